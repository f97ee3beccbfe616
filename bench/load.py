"""Load test: simulated volunteers register, take a shipped course and complete it, under gunicorn.

    .venv/bin/python -m bench.load [--users 200] [--concurrency 20] [--database postgresql|sqlite]

It prepares a database of its own (migrate, `orgs sync`, `courses load courses/`): PostgreSQL
database `bench_load` (dropped and re-created; see --postgres-url) or an SQLite file in WAL
mode in a temporary folder. It serves it with `gunicorn wsgi:app` on 127.0.0.1 (2 workers),
and each volunteer, on their own cookies and through the real forms (CSRF on), registers,
opens the catalogue and a course (the shipped courses in turn), starts it, opens every lesson,
answers every knowledge check and scenario right, writes every reflection, is completed,
opens My learning and downloads the certificate.

At the end it checks the database: every volunteer's completion exists exactly once, every
answer they sent exists exactly once (and no other), their reflections are saved, and no
response was a 5xx. It prints throughput and latency percentiles per kind of request and the
workers' memory, exits 1 if any check fails, and deletes its database (unless --keep).
Requests go only to 127.0.0.1; the run stops by itself after --max-seconds.
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import click
import sqlalchemy as sa
from sqlalchemy.orm import Session

from bench._journey import CourseKey, JourneyFailed, Learner, Stats, check_records, course_keys
from bench._server import (
    COURSES_DIR,
    Gunicorn,
    app_environment,
    drop_postgres_database,
    free_port,
    prepare_database,
    recreate_postgres_database,
)

DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/bench_load"
# Every volunteer registers from 127.0.0.1: the per-address limits would stop the 21st.
UNTHROTTLED = {
    "REGISTER_LIMIT_PER_IP": "1000000 per hour",
    "LOGIN_LIMIT_PER_IP": "1000000 per hour",
}


@dataclass
class Outcome:
    stats: Stats = field(default_factory=Stats)
    learners: list[Learner] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    elapsed: float = 0.0
    timed_out: bool = False


async def _run_learners(
    base_url: str, keys: list[CourseKey], users: int, concurrency: int, max_seconds: float
) -> Outcome:
    outcome = Outcome()
    run_id = uuid.uuid4().hex[:8]
    gate = asyncio.Semaphore(concurrency)

    async def volunteer(number: int) -> None:
        learner = Learner(
            base_url, outcome.stats, keys[number % len(keys)], f"load-{run_id}-{number}@example.org"
        )
        outcome.learners.append(learner)
        async with gate:
            try:
                await learner.whole_journey()
            except JourneyFailed as error:
                outcome.failures.append(f"{learner.email}: {error}")
            finally:
                await learner.close()

    started = time.perf_counter()
    try:
        await asyncio.wait_for(asyncio.gather(*(volunteer(n) for n in range(users))), max_seconds)
    except TimeoutError:
        outcome.timed_out = True
    outcome.elapsed = time.perf_counter() - started
    return outcome


def _report(outcome: Outcome, problems: list[str], rss: dict[int, float]) -> bool:
    stats = outcome.stats
    completed = sum(1 for learner in outcome.learners if learner.certificate_code)
    click.echo(
        f"\n{len(outcome.learners)} volunteers, {completed} completed, in {outcome.elapsed:.1f} s: "
        f"{stats.requests} requests, {stats.requests / outcome.elapsed:.1f} requests/s, "
        f"{completed / outcome.elapsed * 60:.1f} completions/min"
    )
    click.echo(f"statuses: {dict(sorted(stats.statuses.items()))}")
    click.echo(stats.table(outcome.elapsed))
    click.echo("worker RSS after the run: " + ", ".join(f"{mb:.0f} MB" for mb in rss.values()))
    checks = {
        "every volunteer completed": completed == len(outcome.learners) and not outcome.failures,
        "no 5xx response": stats.server_errors == 0,
        "no broken connection": not stats.transport_errors,
        "the run ended in time": not outcome.timed_out,
        "the database holds every completion and answer exactly once": not problems,
    }
    for name, ok in checks.items():
        click.echo(f"{'PASS' if ok else 'FAIL'}  {name}")
    for line in [*outcome.failures, *problems][:20]:
        click.echo(f"  {line}")
    if stats.transport_errors:
        click.echo(f"  broken connections: {dict(stats.transport_errors)}")
    return all(checks.values())


@click.command()
@click.option("--users", default=200, show_default=True, help="Simulated volunteers.")
@click.option("--concurrency", default=20, show_default=True, help="Volunteers active at the same time.")
@click.option(
    "--database", type=click.Choice(["postgresql", "sqlite"]), default="postgresql", show_default=True
)
@click.option(
    "--postgres-url", default=DEFAULT_POSTGRES_URL, show_default=True, help="Dropped and re-created."
)
@click.option("--workers", default=2, show_default=True, help="gunicorn workers.")
@click.option("--max-seconds", default=1200.0, show_default=True, help="The run stops after this long.")
@click.option("--keep", is_flag=True, help="Keep the database and the server log.")
def main(
    users: int,
    concurrency: int,
    database: str,
    postgres_url: str,
    workers: int,
    max_seconds: float,
    keep: bool,
) -> None:
    folder = Path(tempfile.mkdtemp(prefix="bench-load-"))
    url = postgres_url if database == "postgresql" else f"sqlite:///{folder / 'load.sqlite3'}"
    if database == "postgresql":
        recreate_postgres_database(url)
    click.echo(f"Preparing {url} (migrate, organisations, courses)…")
    prepare_database(url, [COURSES_DIR])
    engine = sa.create_engine(url)
    with Session(engine) as session:
        keys = list(course_keys(session).values())
    port = free_port()
    server = Gunicorn(
        "wsgi:app", app_environment(url, port, **UNTHROTTLED), port, folder / "gunicorn.log", workers=workers
    )
    click.echo(
        f"{users} volunteers, {concurrency} at a time, on {', '.join(k.slug for k in keys)}; "
        f"gunicorn with {workers} workers on {database}"
    )
    try:
        with server:
            outcome = asyncio.run(_run_learners(server.url, keys, users, concurrency, max_seconds))
            rss = server.worker_rss_mb()
        with Session(engine) as session:
            problems = check_records(session, outcome.learners)
        passed = _report(outcome, problems, rss)
        if not passed:
            click.echo(f"\nServer log ({folder / 'gunicorn.log'}), last lines:\n{server.log_tail(20)}")
    finally:
        engine.dispose()
        if keep:
            click.echo(f"Kept {url} and {folder}")
        else:
            if database == "postgresql":
                drop_postgres_database(url)
            shutil.rmtree(folder, ignore_errors=True)
    raise SystemExit(0 if passed else 1)


if __name__ == "__main__":
    main()
