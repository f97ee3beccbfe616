"""The database layer: SQLite writers wait for each other instead of failing."""

from __future__ import annotations

import threading
import time

from sqlalchemy import text

from lms.db import make_engine


def test_concurrent_read_then_write_transactions_on_sqlite_all_succeed(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'busy.sqlite3'}")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE tally (n INTEGER)"))
    failures: list[Exception] = []

    def read_then_write() -> None:
        try:
            with engine.begin() as connection:
                count = connection.execute(text("SELECT count(*) FROM tally")).scalar_one()
                time.sleep(0.02)  # another writer gets in between the read and the write
                connection.execute(text("INSERT INTO tally VALUES (:n)"), {"n": count})
        except Exception as error:  # collected and asserted below
            failures.append(error)

    threads = [threading.Thread(target=read_then_write) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT n FROM tally ORDER BY n")).scalars().all()
    engine.dispose()
    assert failures == []
    # Serialised: each transaction saw every earlier insert.
    assert rows == list(range(8))
