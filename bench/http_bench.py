"""HTTP benchmark: the real pages against a minimal Flask app, side by side in one run.

    .venv/bin/python -m bench.http_bench [--duration 10] [--rounds 3] [--database postgresql|sqlite]

Serves the real app (`gunicorn wsgi:app`) on a database of its own (migrated, organisations,
the shipped courses) and bench/minimal_app.py, which answers a page of the same byte size,
with the same gunicorn settings (2 sync workers), both on 127.0.0.1. Learners are registered
and started on a course through the real forms; `wrk` (Debian: apt-get install wrk) then
loads each page with their session cookies, in turn: the catalogue and a lesson page, each
against the real app and against the minimal app, for --rounds rounds of --duration seconds.

Prints requests/s and latency (p50, p95) of each page, its throughput as a fraction of the
minimal app's (absolute figures are noisy on a shared machine; the ratios are the figures),
and the workers' resident memory after the load. Exits 1 when a target is missed: the lesson
page at least 50 % of the minimal app's requests/s, and every app worker under 150 MB.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import statistics
import subprocess
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

import click
import httpx
import sqlalchemy as sa
from sqlalchemy.orm import Session

from bench._journey import CourseKey, Learner, Stats, course_keys
from bench._server import (
    COURSES_DIR,
    Gunicorn,
    app_environment,
    drop_postgres_database,
    free_port,
    prepare_database,
    recreate_postgres_database,
)

DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/bench_http"
LESSON_TARGET = 0.5
RSS_TARGET_MB = 150
WARM_UP_SECONDS = 3

# Each wrk thread sends its requests with its own learners' cookies in turn, so that no two
# requests in flight are the same learner's (they would queue on the learner's rows).
WRK_THREADS = 2
WRK_SCRIPT = """
local cookies = {%(cookies)s}
local threads = 0
local counter = 0
setup = function(thread)
  thread:set("offset", threads)
  threads = threads + 1
end
request = function()
  counter = counter + 1
  if #cookies == 0 then return wrk.format("GET") end
  local index = (counter * %(threads)d + offset) %% #cookies
  return wrk.format("GET", nil, {["Cookie"] = cookies[index + 1]})
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests":%%d,"seconds":%%f,"p50_ms":%%f,"p95_ms":%%f,"p99_ms":%%f,"errors":%%d,"bad_status":%%d,"bytes":%%d}\\n',
    summary.requests, summary.duration / 1e6, latency:percentile(50) / 1e3, latency:percentile(95) / 1e3,
    latency:percentile(99) / 1e3, e.connect + e.read + e.write + e.timeout, e.status, summary.bytes))
end
"""


@dataclass
class Measure:
    requests_per_second: float
    p50_ms: float
    p95_ms: float
    errors: int
    bytes_per_response: float
    # The workers' CPU time per request: unlike requests/s, not lowered by other processes.
    cpu_ms: float


def wrk(server: Gunicorn, url: str, script: Path, seconds: float, connections: int) -> Measure:
    """Load `url` of `server` with wrk for `seconds`; wrk's figures and the workers' CPU time."""
    command = [
        "wrk",
        "--threads",
        str(WRK_THREADS),
        "--connections",
        str(connections),
        "--duration",
        f"{seconds}s",
        "--timeout",
        "10s",
        "--script",
        str(script),
        url,
    ]
    cpu_before = server.worker_cpu_seconds()
    output = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60, check=True).stdout
    cpu = server.worker_cpu_seconds() - cpu_before
    figures = json.loads(output.strip().splitlines()[-1])
    count = max(figures["requests"], 1)
    return Measure(
        figures["requests"] / figures["seconds"],
        figures["p50_ms"],
        figures["p95_ms"],
        figures["errors"] + figures["bad_status"],
        figures["bytes"] / count,
        cpu * 1000 / count,
    )


def write_script(folder: Path, name: str, cookies: list[str]) -> Path:
    path = folder / f"{name}.lua"
    listed = ", ".join(json.dumps(cookie) for cookie in cookies)
    path.write_text(WRK_SCRIPT % {"cookies": listed, "threads": WRK_THREADS})
    return path


async def _learner_cookies(base_url: str, key: CourseKey, count: int) -> list[str]:
    """Register `count` learners and start them on the course; their session cookies."""
    run_id = uuid.uuid4().hex[:8]
    cookies = []
    for number in range(count):
        learner = Learner(base_url, Stats(), key, f"bench-{run_id}-{number}@example.org")
        try:
            await learner.register()
            await learner.start()
            cookies.append(f"session={learner.client.cookies['session']}")
        finally:
            await learner.close()
    return cookies


def busiest_lesson(key: CourseKey) -> str:
    """The lesson with the most interactive blocks: the heaviest page of a course to render."""
    return max(key.lessons, key=lambda lesson: len(lesson[1]))[0]


def _page_size(url: str, cookies: list[str]) -> int:
    """The page's size in bytes; every learner must get it (200), not a redirect to log in."""
    sizes = []
    for cookie in cookies:
        response = httpx.get(url, headers={"Cookie": cookie}, timeout=30)
        if response.status_code != 200:
            raise click.ClickException(f"{url} answered {response.status_code} to a logged-in learner")
        sizes.append(len(response.content))
    return round(statistics.median(sizes))


@click.command()
@click.option("--duration", default=10, show_default=True, help="Seconds of load per measurement.")
@click.option("--rounds", default=3, show_default=True, help="Measurements of each page; medians are shown.")
@click.option("--connections", default=8, show_default=True, help="wrk's open connections.")
@click.option("--learners", default=16, show_default=True, help="Logged-in learners whose cookies wrk sends.")
@click.option("--course", default="basic-pss-intro", show_default=True)
@click.option(
    "--database", type=click.Choice(["postgresql", "sqlite"]), default="postgresql", show_default=True
)
@click.option(
    "--postgres-url", default=DEFAULT_POSTGRES_URL, show_default=True, help="Dropped and re-created."
)
@click.option("--workers", default=2, show_default=True, help="gunicorn workers of each app.")
def main(
    duration: int,
    rounds: int,
    connections: int,
    learners: int,
    course: str,
    database: str,
    postgres_url: str,
    workers: int,
) -> None:
    if shutil.which("wrk") is None:
        raise click.ClickException("wrk is not installed (Debian: apt-get install wrk)")
    folder = Path(tempfile.mkdtemp(prefix="bench-http-"))
    url = postgres_url if database == "postgresql" else f"sqlite:///{folder / 'http.sqlite3'}"
    if database == "postgresql":
        recreate_postgres_database(url)
    try:
        prepare_database(url, [COURSES_DIR])
        engine = sa.create_engine(url)
        with Session(engine) as session:
            key = course_keys(session)[course]
        engine.dispose()
        passed = _measure(folder, url, key, duration, rounds, connections, learners, workers)
    finally:
        if database == "postgresql":
            drop_postgres_database(url)
        shutil.rmtree(folder, ignore_errors=True)
    raise SystemExit(0 if passed else 1)


def _measure(
    folder: Path,
    url: str,
    key: CourseKey,
    duration: int,
    rounds: int,
    connections: int,
    learner_count: int,
    workers: int,
) -> bool:
    port, minimal_port = free_port(), free_port()
    real = Gunicorn("wsgi:app", app_environment(url, port), port, folder / "app.log", workers=workers)
    minimal = Gunicorn(
        "bench.minimal_app:app",
        app_environment(url, minimal_port),
        minimal_port,
        folder / "minimal.log",
        workers=workers,
    )
    with real, minimal:
        cookies = asyncio.run(_learner_cookies(real.url, key, learner_count))
        script = write_script(folder, "learners", cookies)
        lesson = busiest_lesson(key)
        pages = {"catalogue": "/courses", f"lesson ({lesson})": f"/learn/{key.slug}/{lesson}"}
        sizes = {name: _page_size(real.url + path, cookies) for name, path in pages.items()}
        results: dict[tuple[str, str], list[Measure]] = {}
        for name, path in pages.items():
            targets = {
                "app": (real, real.url + path),
                "minimal": (minimal, f"{minimal.url}/page/{sizes[name]}"),
            }
            for server, target in targets.values():
                wrk(server, target, script, WARM_UP_SECONDS, connections)
            for _round in range(rounds):
                for which, (server, target) in targets.items():
                    measure = wrk(server, target, script, duration, connections)
                    results.setdefault((name, which), []).append(measure)
        rss = {"app": real.worker_rss_mb(), "minimal": minimal.worker_rss_mb()}
    return _report(pages, sizes, results, rss, duration, rounds, connections, workers)


def _median(measures: list[Measure], attribute: str) -> float:
    return statistics.median(getattr(measure, attribute) for measure in measures)


def _report(
    pages: dict[str, str],
    sizes: dict[str, int],
    results: dict[tuple[str, str], list[Measure]],
    rss: dict[str, dict[int, float]],
    duration: int,
    rounds: int,
    connections: int,
    workers: int,
) -> bool:
    click.echo(
        f"\ngunicorn, {workers} sync workers per app; wrk, {connections} connections, "
        f"median of {rounds} x {duration} s per figure\n"
    )
    click.echo(
        f"{'page':<30}{'bytes':>7}{'app req/s':>10}{'min req/s':>10}{'ratio':>7}"
        f"{'app p50':>9}{'app p95':>9}{'min p95':>9}{'app cpu':>9}{'min cpu':>9}{'cpu ratio':>10}"
    )
    ratios = {}
    problems = []
    for name in pages:
        app, minimal = results[(name, "app")], results[(name, "minimal")]
        ratios[name] = _median(app, "requests_per_second") / _median(minimal, "requests_per_second")
        cpu_ratio = _median(minimal, "cpu_ms") / _median(app, "cpu_ms")
        click.echo(
            f"{name:<30}{sizes[name]:>7}{_median(app, 'requests_per_second'):>10.1f}"
            f"{_median(minimal, 'requests_per_second'):>10.1f}{ratios[name]:>7.3f}"
            f"{_median(app, 'p50_ms'):>9.1f}{_median(app, 'p95_ms'):>9.1f}{_median(minimal, 'p95_ms'):>9.1f}"
            f"{_median(app, 'cpu_ms'):>9.2f}{_median(minimal, 'cpu_ms'):>9.2f}{cpu_ratio:>10.3f}"
        )
        for measure in [*app, *minimal]:
            if measure.errors:
                problems.append(f"{name}: {measure.errors} failed requests")
            if measure.bytes_per_response < sizes[name]:
                problems.append(f"{name}: responses smaller than the page (not the page itself)")
    click.echo(
        "(latencies in ms; cpu: the workers' CPU ms per request, which other processes on the\n"
        " machine do not inflate; cpu ratio: minimal cpu / app cpu, the throughput ratio to\n"
        " expect on an otherwise idle machine, database server time not included)"
    )
    for which, workers_rss in rss.items():
        click.echo(
            f"{which} worker RSS after the load: " + ", ".join(f"{mb:.0f} MB" for mb in workers_rss.values())
        )
    lesson = next(name for name in pages if name.startswith("lesson"))
    checks = {
        f"lesson page at least {LESSON_TARGET:.0%} of the minimal app's requests/s": (
            ratios[lesson] >= LESSON_TARGET
        ),
        f"every app worker under {RSS_TARGET_MB} MB": max(rss["app"].values()) < RSS_TARGET_MB,
        "every request answered with the page": not problems,
    }
    for text, ok in checks.items():
        click.echo(f"{'PASS' if ok else 'FAIL'}  {text}")
    for problem in sorted(set(problems)):
        click.echo(f"  {problem}")
    return all(checks.values())


if __name__ == "__main__":
    main()
