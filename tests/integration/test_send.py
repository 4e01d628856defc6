"""Send: guards in order, one message per campaign step and episode, whatever SQS does."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSResponse
from botocore.compat import HTTPHeaders

from tests.integration.conftest import Stack
from tests.integration.helpers import dormant_profile, invoke_send, sent_emails, sent_sms, step_counters, use_program
from winback.adapters import clients
from winback.adapters.deferral_store import DeferralStore
from winback.adapters.messaging_store import state_key
from winback.adapters.suppression_store import SuppressionStore
from winback.config.settings import get_settings
from winback.domain.journey.pacing import THROTTLE_BACKOFF
from winback.models.send_state import send_key

NOW = datetime.now(UTC)
LAST_ORDER = NOW - timedelta(days=100)


def _job(*user_ids: str, campaign: str = "dormant-offer", episode: datetime = LAST_ORDER) -> dict[str, Any]:
    return {
        "run_id": "run-test",
        "campaign_id": campaign,
        "step": 0,
        "tier": "dormant",
        "recipients": [{"user_id": u, "episode": episode.isoformat(), "arm": "a", "segment": "all"} for u in user_ids],
    }


@pytest.fixture(autouse=True)
def _any_hour(stack: Stack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests send at whatever hour they run: no quiet hours (test_journeys covers them)."""
    use_program(tmp_path, monkeypatch, quiet_hours={})


def test_email_goes_out_once_with_one_click_unsubscribe_headers(stack: Stack) -> None:
    dormant_profile("u1", LAST_ORDER, name="Alex")
    captured: list[dict[str, Any]] = []

    def capture(params: dict[str, Any], **_: Any) -> None:
        captured.append(params)

    clients.sesv2().meta.events.register("before-parameter-build.sesv2.SendEmail", capture)
    assert invoke_send(stack, _job("u1")) == {"batchItemFailures": []}
    assert [m.destinations["ToAddresses"] for m in sent_emails()] == [["u1@mail.example.com"]]
    headers = {h["Name"]: h["Value"] for h in captured[0]["Content"]["Simple"]["Headers"]}
    assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert headers["List-Unsubscribe"].startswith("<https://api.example.com/unsubscribe?token=")
    assert "Alex" in captured[0]["Content"]["Simple"]["Body"]["Html"]["Data"]
    assert step_counters()["sent_email"] == 1


@pytest.mark.parametrize(("locale", "suffix"), [("zh-CN", "回复TD退订"), ("en", "Reply STOP to opt out")])
def test_sms_carries_the_opt_out_suffix_of_the_users_locale(stack: Stack, locale: str, suffix: str) -> None:
    dormant_profile("u1", LAST_ORDER, email=None, phone="+8613800138000", locale=locale, consent={"sms": True})
    invoke_send(stack, _job("u1"))
    [(phone, text)] = sent_sms()
    assert phone == "+8613800138000" and text.endswith(suffix)


def test_redelivered_job_sends_nothing_twice(stack: Stack) -> None:
    dormant_profile("u1", LAST_ORDER)
    dormant_profile("u2", LAST_ORDER)
    job = _job("u1", "u2")
    invoke_send(stack, job, message_ids=["m-1"])
    invoke_send(stack, job, message_ids=["m-2"])  # SQS redelivery: a new messageId, the same business key
    invoke_send(stack, job, job)  # and a duplicate within one batch
    assert len(sent_emails()) == 2
    assert step_counters()["already_sent"] == 6


def test_suppressed_address_and_missing_consent_are_not_messaged(stack: Stack) -> None:
    dormant_profile("suppressed", LAST_ORDER)
    dormant_profile("no-consent", LAST_ORDER, consent={"email": False})
    SuppressionStore(get_settings().suppression_table).suppress(
        "email#suppressed@mail.example.com", "bounce", "ses", NOW
    )
    invoke_send(stack, _job("suppressed", "no-consent"))
    assert sent_emails() == []
    counters = step_counters()
    assert counters["suppressed"] == 1 and counters["no_channel"] == 1


def test_frequency_cap_holds_back_sends_over_the_rolling_window(stack: Stack) -> None:
    dormant_profile("u1", LAST_ORDER, email=None, phone="+14155550123", consent={"sms": True})
    invoke_send(stack, _job("u1", campaign="lapsing-nudge"))
    invoke_send(stack, _job("u1", campaign="dormant-offer"))  # sms cap: 1 per 7 days
    assert len(sent_sms()) == 1
    assert step_counters()["capped"] == 1


def test_user_active_again_since_the_scan_is_not_messaged(stack: Stack) -> None:
    dormant_profile("u1", NOW - timedelta(days=1))  # ordered yesterday: a new episode
    invoke_send(stack, _job("u1"))
    assert sent_emails() == []
    assert step_counters()["active_again"] == 1


def test_claim_whose_outcome_is_unknown_is_never_resent(stack: Stack) -> None:
    dormant_profile("u1", LAST_ORDER)
    key = send_key("dormant-offer", 0, LAST_ORDER.isoformat())
    # A worker claimed this send and died before recording what the provider said.
    user = state_key("u1")
    boto3.client("dynamodb").put_item(
        TableName=get_settings().messaging_table,
        Item={
            "pk": {"S": user["pk"]},
            "sk": {"S": user["sk"]},
            "v": {"N": "1"},
            "ledger": {"M": {key: {"N": str(int(NOW.timestamp()))}}},
        },
    )
    invoke_send(stack, _job("u1"))
    assert sent_emails() == []
    assert step_counters()["already_sent"] == 1


def test_uncertain_provider_outcome_stays_claimed(stack: Stack) -> None:
    dormant_profile("u1", LAST_ORDER)
    _fail_ses(1, "InternalFailure", 500)
    invoke_send(stack, _job("u1"), message_ids=["m-1"])
    invoke_send(stack, _job("u1"), message_ids=["m-1"])
    assert sent_emails() == []
    counters = step_counters()
    assert counters["uncertain"] == 1 and counters["already_sent"] == 1


def _fail_ses(times: int, code: str, status: int) -> None:
    """Make SES answer `code` for the next `times` calls, as it would after botocore's own retries."""
    left = [times]

    def failing(**_: Any) -> Any:
        if left[0] <= 0:
            return None
        left[0] -= 1
        body = {"Error": {"Code": code, "Message": code}, "ResponseMetadata": {"HTTPStatusCode": status}}
        return AWSResponse("https://email.us-east-1.amazonaws.com", status, HTTPHeaders(), None), body

    clients.sesv2().meta.events.register("before-call.sesv2.SendEmail", failing)


def test_throttled_send_is_deferred_and_delivered_exactly_once(stack: Stack) -> None:
    """A throttle is a paced deferral of the job's rest, not a failed receive (tests/integration/
    test_send_throttle.py proves it under another application's load)."""
    assert getattr(clients.sesv2().meta.config, "retries")["mode"] == "standard"  # noqa: B009  # botocore backs off on throttles first
    dormant_profile("u1", LAST_ORDER)
    dormant_profile("u2", LAST_ORDER)
    _fail_ses(1, "TooManyRequestsException", 429)  # the provider still throttles after botocore's own retries
    first = invoke_send(stack, _job("u1", "u2"), message_ids=["m-1"])
    assert first == {"batchItemFailures": []}  # nothing goes back to SQS, so nothing towards the DLQ
    assert sent_emails() == []
    [deferred] = DeferralStore(get_settings().deferral_table).due(datetime.now(UTC) + THROTTLE_BACKOFF, 10)
    assert deferred.kind == "rate"
    again = invoke_send(stack, json.loads(deferred.body), message_ids=["m-2"])  # the release sends it on
    assert again == {"batchItemFailures": []}
    assert sorted(m.destinations["ToAddresses"][0] for m in sent_emails()) == [
        "u1@mail.example.com",
        "u2@mail.example.com",
    ]
    assert step_counters()["throttled"] == 1


def test_one_failing_job_does_not_fail_the_others_in_the_batch(stack: Stack) -> None:
    dormant_profile("u1", LAST_ORDER)
    reply = invoke_send(stack, {"not": "a job"}, _job("u1"), message_ids=["bad", "good"])
    assert reply == {"batchItemFailures": [{"itemIdentifier": "bad"}]}
    assert len(sent_emails()) == 1


def test_sample_send_event_runs_against_the_stack(stack: Stack) -> None:
    from tests.integration.helpers import sample_event

    dormant_profile("u-1001", datetime(2026, 6, 2, 12, 15, tzinfo=UTC))
    reply = stack.invoke("send", sample_event("send_sqs.json"))
    assert reply == {"batchItemFailures": []}
    assert len(sent_emails()) == 1


def test_suppressed_email_falls_back_to_the_next_consented_channel(stack: Stack) -> None:
    dormant_profile("u1", LAST_ORDER, phone="+14155550123", consent={"email": True, "sms": True})
    SuppressionStore(get_settings().suppression_table).suppress("email#u1@mail.example.com", "bounce", "ses", NOW)
    invoke_send(stack, _job("u1"))  # dormant-offer prefers email, then sms
    assert sent_emails() == []
    assert [phone for phone, _ in sent_sms()] == ["+14155550123"]
    assert step_counters()["sent_sms"] == 1
