"""The request log keeps an incoming X-Request-Id only when it is short and plain."""

from __future__ import annotations

import json
import logging
import re

import pytest

FRESH = re.compile(r"[0-9a-f]{32}")


def _logged(caplog: pytest.LogCaptureFixture) -> list[dict]:
    return [json.loads(record.getMessage()) for record in caplog.records if record.name == "lms.request"]


@pytest.mark.parametrize(
    "incoming",
    ["0f8fad5b-d9cb-469f-a165-70867728950e", "A", "proxy-42-XYZ", "x" * 64],
    ids=["uuid", "one-character", "mixed", "64-characters"],
)
def test_a_plain_request_id_is_kept_in_the_log_and_the_answer(client, caplog, incoming):
    caplog.set_level(logging.INFO, logger="lms.request")
    response = client.get("/courses", headers={"X-Request-Id": incoming})
    assert response.status_code == 200
    assert response.headers["X-Request-Id"] == incoming
    assert [entry["request_id"] for entry in _logged(caplog)] == [incoming]


@pytest.mark.parametrize(
    "incoming",
    [
        "",
        "x" * 65,
        "x" * 8000,
        "forged\r\n2024-01-01 INFO lms.request {}",
        "forged\n",
        "with space",
        '{"user":1}',
        "id;drop",
        "émile",
        "١٢٣",  # Arabic-Indic digits: digits to Unicode, not to the pattern
        "abc\x00",
    ],
    ids=[
        "empty",
        "65-characters",
        "huge",
        "crlf",
        "newline",
        "space",
        "json",
        "semicolon",
        "accent",
        "arabic-digits",
        "nul",
    ],
)
def test_any_other_request_id_is_replaced_by_a_fresh_one(client, caplog, incoming):
    caplog.set_level(logging.INFO, logger="lms.request")
    # Through the WSGI environ, as a server would pass it: the test client's own header checks
    # would refuse some of these values before the application saw them.
    response = client.get("/courses", environ_overrides={"HTTP_X_REQUEST_ID": incoming})
    assert response.status_code == 200
    answered = response.headers["X-Request-Id"]
    assert FRESH.fullmatch(answered), answered
    entries = _logged(caplog)
    assert [entry["request_id"] for entry in entries] == [answered]
    if incoming:
        assert incoming not in caplog.text


def test_each_request_without_an_id_gets_its_own(client, caplog):
    caplog.set_level(logging.INFO, logger="lms.request")
    first = client.get("/courses").headers["X-Request-Id"]
    second = client.get("/courses").headers["X-Request-Id"]
    assert FRESH.fullmatch(first) and FRESH.fullmatch(second) and first != second
    assert [entry["request_id"] for entry in _logged(caplog)] == [first, second]
