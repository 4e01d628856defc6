"""Send, exactly once in fact: a provider that fails like a real one, a render error, a killed job.

The SES failures come from a real HTTP server on 127.0.0.1 that the app's SES v2 client talks to
(AWS_ENDPOINT_URL_SESV2): botocore's own retry machinery runs for real, so a retried attempt
would show up here as a second request.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from botocore.config import Config

from tests.integration.conftest import Stack
from tests.integration.helpers import dormant_profile, invoke_send, sent_emails, step_counters, use_program
from tests.integration.stub_ses import Answer, StubSes
from winback.adapters import clients
from winback.adapters.channels import EmailChannel
from winback.config.settings import get_settings
from winback.content.rendering import Rendered, render
from winback.models.jobs import SendJob
from winback.models.outbound import Outbound
from winback.models.send_state import send_key
from winback.runtime.deps import deps
from winback.services import send as send_service
from winback.services.send import record as send_record
from winback.services.send.sweep import GRACE, SweepDeps, sweep_claims

NOW = datetime.now(UTC)
LAST_ORDER = NOW - timedelta(days=100)
EPISODE = LAST_ORDER.isoformat()


def _job(*user_ids: str) -> dict[str, Any]:
    return {
        "run_id": "run-test",
        "campaign_id": "dormant-offer",
        "step": 0,
        "tier": "dormant",
        "recipients": [{"user_id": u, "episode": EPISODE, "arm": "a", "segment": "all"} for u in user_ids],
    }


def _outcome(user_id: str) -> dict[str, Any] | None:
    import boto3

    reply = boto3.client("dynamodb").get_item(
        TableName=get_settings().messaging_table,
        Key={"pk": {"S": f"user#{user_id}"}, "sk": {"S": f"msg#{send_key('dormant-offer', 0, EPISODE)}"}},
    )
    item = reply.get("Item")
    return {k: next(iter(v.values())) for k, v in item.items()} if item else None


@pytest.fixture(autouse=True)
def _any_hour(stack: Stack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    use_program(tmp_path, monkeypatch, quiet_hours={})


def _failing(mode: str) -> Callable[[int], Answer]:
    """How the provider fails: a 500, a dropped connection, no answer, or a 500 then 429s."""
    fixed: dict[str, Answer] = {
        "500": (500, "InternalFailure", "InternalFailure"),
        "drop": "drop",
        "timeout": "timeout",
    }
    if mode == "500-then-429":
        return lambda n: fixed["500"] if n == 1 else (429, "TooManyRequestsException", "TooManyRequestsException")
    return lambda _n: fixed[mode]


@pytest.fixture
def stub_ses(
    ses_endpoint: Callable[[Callable[[int], Answer]], StubSes], monkeypatch: pytest.MonkeyPatch
) -> Callable[[str], StubSes]:
    def start(mode: str) -> StubSes:
        # The production provider config (one attempt) with a read timeout short enough for a test.
        monkeypatch.setattr(clients, "PROVIDER", clients.PROVIDER.merge(Config(read_timeout=0.5)))
        return ses_endpoint(_failing(mode))

    return start


@pytest.mark.parametrize("mode", ["500", "drop", "timeout", "500-then-429"])
def test_provider_failure_is_one_request_uncertain_and_never_resent(stack: Stack, stub_ses: Any, mode: str) -> None:
    """Guards: the provider client's single attempt (clients.PROVIDER) and the classification of a
    5xx / dropped connection / read timeout as Uncertain (channels._classify), which keeps the claim.
    With botocore's default retries each mode makes several requests; a 500 then 429 chain would be
    classified as throttling and the message resent on redelivery."""
    dormant_profile("u1", LAST_ORDER)
    stub = stub_ses(mode)
    assert invoke_send(stack, _job("u1"), message_ids=["m-1"]) == {"batchItemFailures": []}
    assert stub.requests == 1
    assert step_counters()["uncertain"] == 1
    assert (_outcome("u1") or {})["status"] == "uncertain"

    stub.answer = _failing("500")  # a redelivery would fail again, but it must not even try
    invoke_send(stack, _job("u1"), message_ids=["m-2"])
    assert stub.requests == 1
    assert step_counters()["already_sent"] == 1


def test_render_error_after_the_claim_releases_it_and_redelivery_sends(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Guard: the claim is released when preparing the message fails before the provider call
    (send/run.py `_send_one`); without it the redelivered job counts `already_sent` and nothing goes out."""
    dormant_profile("u1", LAST_ORDER)
    failures = [1]

    def flaky_render(*args: Any, **kwargs: Any) -> Rendered:
        if failures[0]:
            failures[0] -= 1
            raise RuntimeError("template store unavailable")
        return render(*args, **kwargs)

    monkeypatch.setattr("winback.services.send.compose.render", flaky_render)
    assert invoke_send(stack, _job("u1"), message_ids=["m-1"]) == {"batchItemFailures": [{"itemIdentifier": "m-1"}]}
    assert sent_emails() == []
    assert invoke_send(stack, _job("u1"), message_ids=["m-2"]) == {"batchItemFailures": []}
    assert len(sent_emails()) == 1
    assert step_counters()["sent"] == 1 and "already_sent" not in step_counters()


class _Killed(BaseException):
    """Stands for the process dying (a Lambda timeout, out of memory): no `except Exception` runs."""


def test_killed_job_keeps_every_claim_accounted_for(stack: Stack, monkeypatch: pytest.MonkeyPatch) -> None:
    """Guards: outcomes and next steps written every OUTCOME_CHUNK sends as the provider answers (not
    in a `finally`), and the sweeper (services/send/sweep.py) for the claims a kill leaves without one.
    Every claim ends as exactly one of sent / uncertain, nothing is sent twice, no one is lost."""
    monkeypatch.setattr(send_record, "OUTCOME_CHUNK", 2)
    users = [f"u{i}" for i in range(1, 7)]
    for user in users:
        dormant_profile(user, LAST_ORDER)
    real_send = EmailChannel.send
    accepted: list[Outbound] = []

    def send_then_die(self: EmailChannel, message: Outbound) -> str:
        if len(accepted) == 3:
            raise _Killed  # the process dies while the 4th request is in flight
        message_id = real_send(self, message)
        accepted.append(message)
        return message_id

    monkeypatch.setattr(EmailChannel, "send", send_then_die)
    d = deps()
    job = SendJob.model_validate(_job(*users))
    with pytest.raises(_Killed):
        send_service.send_job(job, d.program, d.send_deps)
    assert len(sent_emails()) == 3

    # Users in a written chunk have their outcome and their next step.
    assert [(_outcome(u) or {}).get("status") for u in users] == ["sent", "sent", None, None, None, None]
    next_steps = [SendJob.model_validate_json(j.body) for j in d.deferrals.due(NOW + timedelta(days=30), 100)]
    assert [r.user_id for j in next_steps if j.step == 1 for r in j.recipients] == ["u1", "u2"]

    # The sweeper records the claims the kill left without an outcome (u3 accepted, u4 in flight).
    sweep = SweepDeps(d.claim_index, d.send_records, lambda _: d.program.campaign("dormant-offer"))
    swept = sweep_claims(sweep, datetime.now(UTC) + GRACE + timedelta(minutes=1))
    assert swept["uncertain"] == 2
    assert [(_outcome(u) or {}).get("status") for u in users] == ["sent", "sent", "uncertain", "uncertain", None, None]

    # SQS redelivers the job: the unclaimed users go out, the claimed ones never again.
    monkeypatch.setattr(EmailChannel, "send", real_send)
    send_service.send_job(job, d.program, d.send_deps)
    assert sorted(m.destinations["ToAddresses"][0] for m in sent_emails()) == sorted(
        f"{u}@mail.example.com" for u in ["u1", "u2", "u3", "u5", "u6"]
    )
    statuses = [(_outcome(u) or {}).get("status") for u in users]
    assert statuses == ["sent", "sent", "uncertain", "uncertain", "sent", "sent"]
    counters = step_counters()
    assert counters["uncertain"] == 2 and counters["already_sent"] == 4
    assert sweep_claims(sweep, datetime.now(UTC) + GRACE + timedelta(minutes=2))["uncertain"] == 0
