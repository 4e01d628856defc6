"""A first run that cannot burn anyone, on the local stack: `winback doctor` reports a sandboxed,
unverified sender and passes once the account is fixed; a new stack holds every send job until
`winback enable-sending`, which refuses while the doctor fails.

The stack is moto's, built from template.yaml (tables, topics, secrets); the account reads moto
lacks (SES v2 GetAccount, a truthful GetEmailIdentity, Lambda GetAccountSettings) come from a local
endpoint answering as AWS does (tests/integration/stub_account.py). The program is the shipped one
with a real brand, on email only: the first narrow campaign docs/deploy.md advises.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml

from tests.integration.conftest import SENDER, Stack
from tests.integration.helpers import dormant_profile, sent_emails
from tests.integration.stub_account import AccountState
from winback.adapters import clients
from winback.adapters.dynamo import to_av
from winback.adapters.messaging_store import MessagingStore
from winback.adapters.sending_switch import SendingSwitch, sending_switch_key
from winback.config.loader import DEFAULT_PROGRAM_PATH
from winback.config.settings import get_settings
from winback.domain.clock import SystemClock
from winback.runtime.deps import reset
from winback_dev.cli import main as winback
from winback_dev.lambda_events import sqs_event, sqs_record

T0 = datetime(2026, 6, 10, 15, 0, tzinfo=UTC)
LAST_ORDER = T0 - timedelta(days=100)
EPISODE = LAST_ORDER.isoformat()
USERS = ["u1", "u2", "u3"]
CONFIGURATION_SET = "winback-EmailConfigurationSet-1A2B"
ALL_EVENTS = ["BOUNCE", "COMPLAINT", "DELIVERY", "OPEN", "CLICK"]


@pytest.fixture
def first_day(stack: Stack, aws_account: AccountState, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The local stack as deployed and configured on day one: a real brand on email only, the stack's
    configuration set sending events to the feedback topic, a confirmed alarm subscription; the AWS
    account new (SES sandbox, the sender's domain pending verification)."""
    data = yaml.safe_load(DEFAULT_PROGRAM_PATH.read_text(encoding="utf-8"))
    data.update(brand="Winback Test Shop", site_url="https://shop.winback.test/", quiet_hours={})
    for campaign in data["campaigns"]:
        campaign["channels"] = ["email"]
        for step in campaign["steps"]:
            step.pop("channels", None)
    program = tmp_path / "program.yaml"
    program.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    monkeypatch.setenv("WINBACK_PROGRAM_PATH", str(program))
    monkeypatch.setenv("SES_CONFIGURATION_SET", CONFIGURATION_SET)
    monkeypatch.setenv("ALARM_TOPIC_ARN", stack.table("AlarmTopic"))
    reset()
    feedback = stack.table("FeedbackTopic")
    aws_account.configuration_sets[CONFIGURATION_SET] = [
        {
            "Name": "feedback",
            "Enabled": True,
            "MatchingEventTypes": ALL_EVENTS,
            "SnsDestination": {"TopicArn": feedback},
        }
    ]
    boto3.client("sns").subscribe(
        TopicArn=stack.table("AlarmTopic"), Protocol="email", Endpoint="ops@shop.winback.test"
    )
    monkeypatch.setattr(SystemClock, "now", lambda _self: T0)
    for user in USERS:
        dormant_profile(user, LAST_ORDER)
    return aws_account


def _fix(account: AccountState) -> None:
    """Production access granted, the sender's domain verified with DKIM."""
    account.production_access = True
    account.verified.add(SENDER.rsplit("@", 1)[1])


def _doctor(capsys: pytest.CaptureFixture[str]) -> tuple[int, dict[str, str]]:
    code = winback(["doctor", "--json"])
    return code, {c["id"]: c["status"] for c in json.loads(capsys.readouterr().out)}


def test_doctor_on_the_local_stack_reports_a_sandboxed_unverified_sender_and_passes_after_the_fix(
    first_day: AccountState, capsys: pytest.CaptureFixture[str]
) -> None:
    """Guards: email.account (SES v2 GetAccount's ProductionAccessEnabled) and email.sender
    (GetEmailIdentity's VerifiedForSendingStatus and DKIM), and the exit code that only a round
    without a failure passes."""
    code, found = _doctor(capsys)
    assert code == 1
    assert found["email.production_access"] == "fail"
    assert found["email.sender"] == "fail" and found["email.dkim"] == "fail"
    assert "sms.sandbox" not in found and "push.platform_applications" not in found  # channels the program skips

    _fix(first_day)
    code, found = _doctor(capsys)
    assert code == 0, found
    assert {k: v for k, v in found.items() if v == "fail"} == {}
    assert found["email.production_access"] == found["email.sender"] == found["email.dkim"] == "ok"
    assert found["email.event_destination"] == found["alarms.subscription"] == found["program.brand"] == "ok"


def _send(stack: Stack) -> Any:
    job = {
        "run_id": "run-test",
        "campaign_id": "dormant-offer",
        "step": 0,
        "tier": "dormant",
        "not_after": (T0 + timedelta(hours=2)).isoformat(),
        "recipients": [{"user_id": u, "episode": EPISODE, "arm": "a", "segment": "all"} for u in USERS],
    }
    record = sqs_record(json.dumps(job), "arn:aws:sqs:us-east-1:123456789012:send", "m-1")
    return stack.invoke("send", sqs_event([record]))


def test_a_new_stack_holds_every_job_until_enable_sending_which_waits_for_the_doctor(
    stack: Stack, first_day: AccountState, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Guards: the sending switch read with the sender's batch read (services/send/run.py holds the
    job, unclaimed, its deadline moved along) and `winback enable-sending` refusing while a check
    fails. Without the first, a new stack mails the imported base before anyone ran the doctor."""
    table = get_settings().messaging_table
    boto3.client("dynamodb").delete_item(TableName=table, Key=to_av(sending_switch_key()))  # as deployed: no switch
    assert _send(stack) == {"batchItemFailures": []}
    assert sent_emails() == [] and MessagingStore(table).counters("dormant-offer") == {}  # nobody claimed or counted
    assert "SendingOff" in capsys.readouterr().out  # the metric the operator sees

    assert winback(["enable-sending"]) == 1  # SES sandbox, sender unverified: it stays off
    assert "sending stays off" in capsys.readouterr().err
    assert not SendingSwitch(table).state().on

    _fix(first_day)
    assert winback(["enable-sending"]) == 0
    assert SendingSwitch(table).state().note == "winback doctor passed"
    monkeypatch.delenv("AWS_ENDPOINT_URL_SESV2")  # the app sends through moto's SES from here on
    clients.reset()

    # Three hours later, past the job's original deadline: the held job still goes out, once each.
    for hour in (1, 2, 3):
        at = T0 + timedelta(hours=hour)
        monkeypatch.setattr(SystemClock, "now", lambda _self, at=at: at)
        stack.runner.fire_schedule(at, "release")
        stack.runner.drain("SendQueue", "send")
    assert sorted(m.destinations["ToAddresses"][0] for m in sent_emails()) == [f"{u}@mail.example.com" for u in USERS]
    counters = MessagingStore(table).counters("dormant-offer").get(0, {})
    assert counters["sent"] == 3 and "dropped" not in counters


def test_enable_sending_force_and_disable_sending(first_day: AccountState, capsys: pytest.CaptureFixture[str]) -> None:
    table = get_settings().messaging_table
    assert winback(["disable-sending", "--reason", "domain migration"]) == 0
    state = SendingSwitch(table).state()
    assert not state.on and state.note == "domain migration"
    assert winback(["enable-sending", "--force"]) == 0
    state = SendingSwitch(table).state()
    assert (
        state.on and state.note.startswith("forced past failing checks: ") and "email.production_access" in state.note
    )
