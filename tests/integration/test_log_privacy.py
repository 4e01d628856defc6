"""No log line at INFO carries a user id or a contact address: counts at INFO, ids only at DEBUG.

A demo-like run through the real handlers (webhooks, stats, plan, scan, send, export, unsubscribe,
reasons, inbox, erasure, a request refused for want of IAM) at POWERTOOLS_LOG_LEVEL=INFO; every line
written is scanned for every user's id, email and phone. An id is found wherever it stands as a
whole token, not only as a whole JSON value: inside a message, a path (`/users/u-02/export`), a key
(`user#u-02`). Guards: the per-user log lines moved to DEBUG (scan's "matched campaign", coupon and
offer lines, the send warnings, the link routes, the inbox); a refused request logs its route's
first segment, never its path (runtime/http.py).
"""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Iterator
from datetime import timedelta

import pytest

from tests.integration.conftest import Stack
from tests.integration.test_erasure import _ID_CHARS as ID_CHARS
from tests.integration.test_erasure import NOW, USERS, _email, _phone, _seed
from winback.domain.links.reason_links import sign_reason_token
from winback.domain.links.tokens import sign_token
from winback.runtime.observability import logger


@pytest.fixture
def log_lines() -> Iterator[io.StringIO]:
    """Everything the handlers' Powertools logger writes, at INFO (its level in template.yaml)."""
    handler = logger.registered_handler
    assert isinstance(handler, logging.StreamHandler)
    buffer = io.StringIO()
    previous_stream, previous_level = handler.setStream(buffer), logger.log_level
    logger.setLevel("INFO")
    yield buffer
    handler.setStream(previous_stream)
    logger.setLevel(previous_level)


def test_no_user_id_or_address_in_logs_at_info(stack: Stack, log_lines: io.StringIO) -> None:
    _seed(stack)
    user = USERS[1]
    token = sign_token(stack.unsubscribe_key, user, "email", "dormant-offer", NOW, timedelta(days=30))
    assert stack.runner.http("POST", "/unsubscribe", {"token": token})["statusCode"] == 200
    reason = sign_reason_token(stack.unsubscribe_key, user, "lost-question", "e1", "privacy", NOW, timedelta(days=3))
    assert stack.runner.http("POST", "/reasons", {"token": reason})["statusCode"] == 200
    assert stack.runner.http("GET", f"/users/{user}/inbox", {}, iam=True)["statusCode"] == 200
    assert stack.runner.http("DELETE", f"/users/{USERS[2]}", {}, iam=True)["statusCode"] in (200, 202)
    assert stack.runner.http("GET", f"/users/{USERS[3]}/export", {})["statusCode"] == 403  # no IAM identity
    lines = [line for line in log_lines.getvalue().splitlines() if line.startswith("{")]
    logs = [json.loads(line) for line in lines if '"level"' in line]
    assert len(logs) > 20 and {log["level"] for log in logs} <= {"INFO", "WARNING", "ERROR"}
    ids = re.compile(rf"(?<![{ID_CHARS}])(?:{'|'.join(map(re.escape, USERS))})(?![{ID_CHARS}])")
    secrets = {_email(u) for u in USERS} | {_phone(n) for n in range(len(USERS))}
    leaks = [line for line in lines if ids.search(line) or any(s in line for s in secrets)]
    assert leaks == [], leaks[:3]


def test_an_id_inside_a_message_is_found() -> None:
    """The check itself: an id is found inside a message string and a path, not only as a JSON value."""
    ids = re.compile(rf"(?<![{ID_CHARS}])u-02(?![{ID_CHARS}])")
    assert ids.search('{"message":"erased user u-02 at noon"}') and ids.search('{"path":"/users/u-02/export"}')
    assert not ids.search('{"message":"user u-020"}') and not ids.search('{"id":"xu-02"}')
