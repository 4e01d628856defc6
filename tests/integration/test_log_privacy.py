"""No log line at INFO carries a user id or a contact address: counts at INFO, ids only at DEBUG.

A demo-like run through the real handlers (webhooks, stats, plan, scan, send, export, unsubscribe,
reasons, inbox, erasure) at POWERTOOLS_LOG_LEVEL=INFO; every line written is scanned for every
user's id, email and phone. Guard: the per-user log lines moved to DEBUG (scan's "matched
campaign", coupon and offer lines, the send warnings, the link routes, the inbox).
"""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from datetime import timedelta

import pytest

from tests.integration.conftest import Stack
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
    assert stack.runner.http("DELETE", f"/users/{USERS[2]}", {}, iam=True)["statusCode"] == 200
    lines = [line for line in log_lines.getvalue().splitlines() if line.startswith("{")]
    logs = [json.loads(line) for line in lines if '"level"' in line]
    assert len(logs) > 20 and {log["level"] for log in logs} <= {"INFO", "WARNING", "ERROR"}
    secrets = {f'"{u}"' for u in USERS} | {_email(u) for u in USERS} | {_phone(n) for n in range(len(USERS))}
    leaks = [line for line in lines if any(s in line for s in secrets)]
    assert leaks == [], leaks[:3]
