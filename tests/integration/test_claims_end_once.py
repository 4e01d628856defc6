"""Every claim ends exactly once, on moto (issue 15): the adapters' conditional TransactWriteItems
(an outcome only where its claim has no terminal record, its counters in the same write), the
`claims` index the sweeper reads instead of scanning the table, the release the sweeper completes,
and SES's `Send` event (the AWS-documented record, with the tags the sender gives each email) that
lets the sweeper book an accepted email `sent` and park its next step."""

from __future__ import annotations

import copy
import dataclasses
import json
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from tests.integration.conftest import Stack
from tests.integration.helpers import count_calls, dormant_profile, sent_emails, use_program
from winback.adapters import clients
from winback.adapters.channels import EmailChannel
from winback.adapters.messaging_store import MessagingStore
from winback.config.settings import get_settings
from winback.models.delivery import Throttled
from winback.models.jobs import SendJob
from winback.models.outbound import Outbound
from winback.models.send_state import send_key
from winback.runtime.deps import deps
from winback.services import send as send_service
from winback.services.send import record as send_record
from winback.services.send.ports import SendDeps
from winback.services.send.sweep import GRACE, SweepDeps, sweep_claims

PAYLOADS = Path(__file__).parents[1] / "aws_payloads"
CAMPAIGN = "dormant-offer"
NOW = datetime.now(UTC)
LAST_ORDER = NOW - timedelta(days=100)
EPISODE = LAST_ORDER.isoformat()
LATER = GRACE + timedelta(minutes=1)


class Killed(BaseException):
    """The process dies (a Lambda timeout, out of memory): no `except Exception` runs."""


@pytest.fixture(autouse=True)
def _any_hour(stack: Stack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    use_program(tmp_path, monkeypatch, quiet_hours={})


def _job(*user_ids: str) -> SendJob:
    return SendJob.model_validate(
        {
            "run_id": "run-claims",
            "campaign_id": CAMPAIGN,
            "step": 0,
            "tier": "dormant",
            "recipients": [{"user_id": u, "episode": EPISODE, "arm": "a", "segment": "all"} for u in user_ids],
        }
    )


def _users(n: int) -> list[str]:
    users = [f"u{i:02d}" for i in range(n)]
    for user in users:
        dormant_profile(user, LAST_ORDER)
    return users


def _send_deps() -> SendDeps:
    return dataclasses.replace(deps().send_deps, sleep=lambda _seconds: None)


def _sweep(at: datetime, keep_going: Callable[[], bool] | None = None) -> Counter[str]:
    d = deps()
    sweep = SweepDeps(d.claim_index, d.send_records, lambda cid: d.program.campaign(cid))
    return sweep_claims(sweep, at) if keep_going is None else sweep_claims(sweep, at, keep_going=keep_going)


def _counters() -> dict[str, int]:
    return MessagingStore(get_settings().messaging_table).counters(CAMPAIGN).get(0, {})


def _totals() -> dict[str, int]:
    reply = boto3.client("dynamodb").get_item(
        TableName=get_settings().messaging_table, Key={"pk": {"S": f"stats#{CAMPAIGN}"}, "sk": {"S": "totals"}}
    )
    return {k: int(v["N"]) for k, v in reply.get("Item", {}).items() if "N" in v}


def _status(user_id: str) -> str | None:
    reply = boto3.client("dynamodb").get_item(
        TableName=get_settings().messaging_table,
        Key={"pk": {"S": f"user#{user_id}"}, "sk": {"S": f"msg#{send_key(CAMPAIGN, 0, EPISODE)}"}},
    )
    return str(reply["Item"]["status"]["S"]) if "Item" in reply else None


def _parked(kind: str) -> list[SendJob]:
    due = deps().deferrals.due(NOW + timedelta(days=60), 1000)
    return [SendJob.model_validate_json(j.body) for j in due if j.kind == kind]


def _next_step_users() -> list[str]:
    return sorted(r.user_id for j in _parked("next_step") for r in j.recipients)


def _ses_send_event(message: Outbound, message_id: str) -> str:
    """The AWS-documented `Send` record, about this message: its id, and the tags the sender gave it
    (SES publishes every message tag with each event of a configuration set)."""
    record: dict[str, Any] = json.loads((PAYLOADS / "ses_send_record.json").read_text(encoding="utf-8"))
    record = copy.deepcopy(record)
    record["mail"]["messageId"] = message_id
    record["mail"]["tags"].update({k: [v] for k, v in message.tags.items()})
    return json.dumps(record)


def test_an_outcome_after_the_sweep_counts_once(stack: Stack, monkeypatch: pytest.MonkeyPatch) -> None:
    """Guard: SendRecords' condition (`attribute_not_exists(pk) OR status = released`) with the counts
    in the same TransactWriteItems: the sweeper's `uncertain` came first, the job's `sent` is refused
    with its counts. On the old main the cell counted both."""
    _users(1)
    real = EmailChannel.send

    def slow_provider(self: EmailChannel, message: Outbound) -> str:
        _sweep(datetime.now(UTC) + LATER)  # the sweeper gives up on the claim while SES answers
        return real(self, message)

    monkeypatch.setattr(EmailChannel, "send", slow_provider)
    tally = send_service.send_job(_job("u00"), deps().program, _send_deps())
    assert tally["late_outcome"] == 1
    assert _status("u00") == "uncertain"
    counters = _counters()
    assert counters.get("uncertain") == 1 and "sent" not in counters
    assert "sent_email" not in _totals()


def test_a_release_dynamodb_refuses_is_completed_by_the_sweeper(stack: Stack, monkeypatch: pytest.MonkeyPatch) -> None:
    """Guards: claim.release's retries and its `released` record, and ClaimIndexStore.complete_release
    (the claim given back, the record dropped, the resend parked, in one transaction). On the old main
    the throttled release left the claim: `already_sent`, then `uncertain`, and no message."""
    _users(1)
    throttled_once = [True]
    real, real_release = EmailChannel.send, MessagingStore.release

    def throttle_once(self: EmailChannel, message: Outbound) -> str:
        if throttled_once.pop() if throttled_once else False:
            raise Throttled("TooManyRequestsException")
        return real(self, message)

    def refused(*_: Any) -> None:
        raise ClientError({"Error": {"Code": "ProvisionedThroughputExceededException"}}, "UpdateItem")

    monkeypatch.setattr(EmailChannel, "send", throttle_once)
    monkeypatch.setattr(MessagingStore, "release", refused)
    # The throttle defers the message (pacing.defer_after_throttle); the refused release is recorded.
    assert send_service.send_job(_job("u00"), deps().program, _send_deps())["deferred_by_rate"] == 1
    assert _status("u00") == "released"
    monkeypatch.setattr(MessagingStore, "release", real_release)

    assert send_service.send_job(_job("u00"), deps().program, _send_deps())["already_sent"] == 1
    assert _sweep(datetime.now(UTC) + LATER)["released"] == 1
    [resend] = _parked("released")
    assert send_service.send_job(resend, deps().program, _send_deps())["sent"] == 1
    assert len(sent_emails()) == 1 and _status("u00") == "sent"
    assert _counters().get("sent") == 1 and "uncertain" not in _counters()


def test_a_transaction_that_keeps_failing_is_finished_from_ses_send_events(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Guards: the claim's note, SES's `Send` event recorded by the feedback function (AWS's record,
    the sender's tags: user, campaign, step and episode) and the sweeper's `sent` with its counts and
    next step. On the old main the chunk's outcomes, next steps and counters were lost."""
    monkeypatch.setattr(send_record, "OUTCOME_CHUNK", 3)
    users = _users(5)
    events: list[str] = []
    real = EmailChannel.send

    def with_send_event(self: EmailChannel, message: Outbound) -> str:
        message_id = real(self, message)
        events.append(_ses_send_event(message, message_id))
        return message_id

    client = clients.dynamodb()  # the container's client
    real_transact = client.transact_write_items

    def outcomes_throttled(**request: Any) -> Any:
        """The table keeps throttling the job's bookkeeping (a coupon's transaction still goes through)."""
        if any(
            item.get("Put", {}).get("Item", {}).get("sk", {}).get("S", "").startswith("msg#")
            for item in request["TransactItems"]
        ):
            raise ClientError({"Error": {"Code": "ThrottlingException"}}, "TransactWriteItems")
        return real_transact(**request)

    monkeypatch.setattr(EmailChannel, "send", with_send_event)
    monkeypatch.setattr(client, "transact_write_items", outcomes_throttled)
    with pytest.raises(ClientError):
        send_service.send_job(_job(*users), deps().program, _send_deps())
    assert len(sent_emails()) == 3 and _status("u00") is None
    monkeypatch.setattr(EmailChannel, "send", real)
    monkeypatch.setattr(client, "transact_write_items", real_transact)

    assert stack.runner.publish_feedback(events) == {"send": 3}
    swept = _sweep(datetime.now(UTC) + LATER)
    assert swept["sent"] == 3 and swept["uncertain"] == 0
    assert [_status(u) for u in users] == ["sent", "sent", "sent", None, None]
    assert _next_step_users() == users[:3]
    assert _counters().get("sent") == 3 and _totals().get("sent_email") == 3

    send_service.send_job(_job(*users), deps().program, _send_deps())  # SQS redelivers the job
    assert len(sent_emails()) == 5 and _counters().get("sent") == 5
    assert _next_step_users() == users


def test_a_kill_keeps_the_counts_of_every_written_chunk(stack: Stack, monkeypatch: pytest.MonkeyPatch) -> None:
    """Guard: each chunk's counters in the transaction of its outcomes (record.flush). On the old main
    the counters were written at the end of the job, so a kill lost them all."""
    monkeypatch.setattr(send_record, "OUTCOME_CHUNK", 4)
    users = _users(10)
    real = EmailChannel.send

    def die_after_9(self: EmailChannel, message: Outbound) -> str:
        if len(sent_emails()) == 9:
            raise Killed
        return real(self, message)

    monkeypatch.setattr(EmailChannel, "send", die_after_9)
    with pytest.raises(Killed):
        send_service.send_job(_job(*users), deps().program, _send_deps())
    assert _counters().get("sent") == 8 and _totals().get("sent_email") == 8
    assert _next_step_users() == users[:8]


def test_the_sweeper_reads_the_claims_index_not_the_table(stack: Stack, monkeypatch: pytest.MonkeyPatch) -> None:
    """Guards: the `claims` index (keys set by the claim's own write) and the cursor per shard. On the
    old main each run scanned the whole MessagingTable, every item kind, from the start."""
    table = get_settings().messaging_table
    filler = [{"pk": f"stats#other-{i}", "sk": f"cell#0#a#{i}", "sent": 1} for i in range(300)]
    with boto3.resource("dynamodb").Table(table).batch_writer() as batch:
        for item in filler:
            batch.put_item(Item=item)
    users = _users(6)
    real = EmailChannel.send

    def then_die(self: EmailChannel, message: Outbound) -> str:
        real(self, message)
        raise Killed

    monkeypatch.setattr(EmailChannel, "send", then_die)
    for user in users:
        with pytest.raises(Killed):
            send_service.send_job(_job(user), deps().program, _send_deps())
    budget = iter(range(4))
    with count_calls() as calls:
        first = _sweep(datetime.now(UTC) + LATER, keep_going=lambda: next(budget, None) is not None)
        second = _sweep(datetime.now(UTC) + LATER)
    assert calls["Scan"] == 0
    assert first["uncertain"] == 4 and first["incomplete"] == 1
    assert second["uncertain"] == 2 and second["checked"] <= 6
    assert [_status(u) for u in users] == ["uncertain"] * 6
    assert _counters().get("uncertain") == 6
    with count_calls() as calls:
        assert _sweep(datetime.now(UTC) + LATER + timedelta(hours=1))["checked"] <= 6
    assert calls["Scan"] == 0 and calls["TransactWriteItems"] == 0


def test_the_documented_send_record_of_someone_elses_mail_is_ignored(stack: Stack) -> None:
    """SES publishes the configuration set's events for every message: one without our tags (the
    AWS record as documented) writes nothing."""
    record = (PAYLOADS / "ses_send_record.json").read_text(encoding="utf-8")
    assert stack.runner.publish_feedback([record]) == {"send": 1}
    items = boto3.client("dynamodb").scan(TableName=get_settings().messaging_table)["Items"]
    assert not [i for i in items if i["sk"]["S"].startswith("accepted#")]


def test_a_counter_that_meets_a_transaction_is_added_once(stack: Stack, monkeypatch: pytest.MonkeyPatch) -> None:
    """Guard: MessagingStore's retry of an ADD refused with TransactionConflictException (a send job's
    bookkeeping was writing the same counter; the SDK does not retry it). The feedback's counts
    (delivered, bounced, opened) would otherwise fail the notification."""
    client = clients.dynamodb()
    real_update = client.update_item
    conflicts = [1, 1]

    def conflicting(**request: Any) -> Any:
        if conflicts:
            conflicts.pop()
            raise ClientError({"Error": {"Code": "TransactionConflictException"}}, "UpdateItem")
        return real_update(**request)

    monkeypatch.setattr(client, "update_item", conflicting)
    MessagingStore(get_settings().messaging_table).add_cell(CAMPAIGN, 0, "a", "all", {"delivered": 1})
    assert _counters() == {"delivered": 1}
