"""Serve an app under gunicorn on a database of its own and wait for it to answer.

Shared by the benchmarks (bench/load.py, bench/http_bench.py) and the serving tests
(tests/serving/). Linux only: worker processes and their memory are read from /proc.
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType

import httpx
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from lms import create_app

ROOT = Path(__file__).resolve().parent.parent
# The gunicorn installed beside the running Python (the project's .venv).
GUNICORN = Path(sys.executable).parent / "gunicorn"
COURSES_DIR = ROOT / "courses"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def app_environment(database_url: str, port: int, **settings: str) -> dict[str, str]:
    """The environment of a served app: this one without any LMS_* variable, plus the given settings.

    The parent's own LMS_* variables are dropped so that a bench or a test never inherits a
    stray setting; `settings` are given without their LMS_ prefix.
    """
    env = {name: value for name, value in os.environ.items() if not name.startswith("LMS_")}
    env.update(
        LMS_DATABASE_URL=database_url,
        LMS_SECRET_KEY=secrets.token_hex(32),
        LMS_BASE_URL=f"http://127.0.0.1:{port}",
        LMS_LOG_LEVEL="INFO",
    )
    env.update({f"LMS_{name}": value for name, value in settings.items()})
    return env


# --- databases -------------------------------------------------------------------------------


def _admin_engine(url: str) -> sa.Engine:
    return sa.create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")


def recreate_postgres_database(url: str) -> None:
    """Drop (closing its connections) and create the PostgreSQL database named in `url`."""
    name = make_url(url).database
    admin = _admin_engine(url)
    with admin.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    admin.dispose()


def drop_postgres_database(url: str) -> None:
    """Drop the PostgreSQL database named in `url`, closing its connections."""
    admin = _admin_engine(url)
    with admin.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)')
    admin.dispose()


def prepare_database(url: str, courses: Sequence[Path], migrate: bool = True) -> None:
    """Run the README's set-up commands on `url`: migrate, sync organisations, load courses.

    They run in this process through Flask's CLI runner, as `flask --app wsgi ...` would.
    """
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "prepare-database"})
    runner = app.test_cli_runner()
    commands = [["orgs", "sync"], ["courses", "load", *map(str, courses)]]
    if migrate:
        commands.insert(0, ["db", "upgrade"])
    try:
        for args in commands:
            result = runner.invoke(args=args)
            if result.exit_code != 0:
                raise RuntimeError(f"flask {' '.join(args)} failed:\n{result.output}") from result.exception
    finally:
        app.extensions["lms.db"].engine.dispose()


# --- processes -------------------------------------------------------------------------------


def child_pids(pid: int) -> list[int]:
    """The processes whose parent is `pid` (gunicorn's workers, for its master)."""
    children = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # The command name is in parentheses and may hold spaces: fields start after the last ')'.
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[1]) == pid:
            children.append(int(entry.name))
    return sorted(children)


def rss_mb(pid: int) -> float:
    """Resident memory of a process in MiB (VmRSS)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


def cpu_seconds(pid: int) -> float:
    """CPU time (user and system) a process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    # Fields 14 and 15 of stat (utime, stime), counted from 3 after the command name.
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class ServerFailed(RuntimeError):
    """gunicorn exited, or did not answer in time; the message ends with its log."""


class Gunicorn:
    """`gunicorn APP` on 127.0.0.1 in its own process group, its output in a log file.

    Run from the project root, so it reads the same gunicorn.conf.py as production.
    """

    def __init__(
        self,
        app: str,
        env: dict[str, str],
        port: int,
        log_path: Path,
        workers: int = 2,
        extra_args: Sequence[str] = (),
        ready_path: str = "/healthz",
    ) -> None:
        self.app = app
        self.env = env
        self.port = port
        self.log_path = log_path
        self.workers = workers
        self.extra_args = list(extra_args)
        self.ready_path = ready_path
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60) -> Gunicorn:
        """Start gunicorn and return once every worker is up and `ready_path` answers 200."""
        command = [
            str(GUNICORN),
            self.app,
            "--bind",
            f"127.0.0.1:{self.port}",
            "--workers",
            str(self.workers),
            *self.extra_args,
        ]
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                command, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        self.wait_ready(timeout)
        return self

    def wait_ready(self, timeout: float = 60) -> None:
        """Wait until all workers run and `ready_path` answers 200; ServerFailed otherwise."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is None or self.process.poll() is not None:
                raise ServerFailed(f"gunicorn exited\n{self.log_tail()}")
            if len(self.worker_pids()) >= self.workers:
                try:
                    if httpx.get(self.url + self.ready_path, timeout=5).status_code == 200:
                        return
                except httpx.TransportError:
                    pass
            time.sleep(0.1)
        raise ServerFailed(f"gunicorn did not answer {self.ready_path} within {timeout} s\n{self.log_tail()}")

    def worker_pids(self) -> list[int]:
        return child_pids(self.process.pid) if self.process is not None else []

    def worker_rss_mb(self) -> dict[int, float]:
        return {pid: rss_mb(pid) for pid in self.worker_pids()}

    def worker_cpu_seconds(self) -> float:
        """CPU time used so far by the workers together."""
        return sum(cpu_seconds(pid) for pid in self.worker_pids())

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log_text().splitlines()[-lines:])

    def stop(self, timeout: float = 15) -> None:
        """Stop gracefully (SIGTERM to the process group); SIGKILL whatever is left after `timeout`."""
        if self.process is None:
            return
        for sig, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, 5)):
            try:
                os.killpg(self.process.pid, sig)
            except ProcessLookupError:
                break
            try:
                self.process.wait(wait)
                break
            except subprocess.TimeoutExpired:
                continue
        self.process = None

    def __enter__(self) -> Gunicorn:
        return self.start()

    def __exit__(
        self, _type: type[BaseException] | None, _value: BaseException | None, _tb: TracebackType | None
    ) -> None:
        self.stop()
