"""The campaign report (HTTP and CLI), feedback counted once per message, and auto-pause: a campaign
whose bounce rate passes the limit stops sending (its jobs wait) until an operator resumes it."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.integration.conftest import Stack
from tests.integration.helpers import dormant_profile, sent_emails, use_program
from winback.adapters.deferral_store import DeferralStore
from winback.adapters.messaging_store import MessagingStore
from winback.config.campaigns import PROGRAM_CONTROL
from winback.config.settings import get_settings
from winback_dev.cli import main
from winback_dev.lambda_events import ses_bounce, ses_delivery, sqs_event, sqs_record

CAMPAIGN = "dormant-offer"
SEGMENT = "at_risk"
TAGS = {"campaign": CAMPAIGN, "step": "0", "arm": "coupon", "segment": SEGMENT}


@pytest.fixture(autouse=True)
def _any_hour(stack: Stack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A job that is not paused would go out whatever hour the tests run: no quiet hours."""
    use_program(tmp_path, monkeypatch, quiet_hours={})


def _messaging() -> MessagingStore:
    return MessagingStore(get_settings().messaging_table)


def _report(stack: Stack, campaign_id: str = CAMPAIGN, iam: bool = True) -> tuple[int, dict[str, Any]]:
    reply = stack.runner.http("GET", f"/campaigns/{campaign_id}/report", {}, iam=iam)
    body: dict[str, Any] = json.loads(reply["body"]) if reply.get("body") else {}
    return int(reply["statusCode"]), body


def _experiment(treated_reactivated: int, holdout_reactivated: int) -> None:
    """1000 treated users (split over the two variants) against 1000 held out."""
    messaging = _messaging()
    messaging.add_cell(CAMPAIGN, None, "coupon", SEGMENT, {"assigned": 500, "reactivated": treated_reactivated // 2})
    messaging.add_cell(
        CAMPAIGN,
        None,
        "no-coupon",
        SEGMENT,
        {"assigned": 500, "reactivated": treated_reactivated - treated_reactivated // 2},
    )
    messaging.add_cell(CAMPAIGN, None, "holdout", SEGMENT, {"assigned": 1000, "reactivated": holdout_reactivated})


def test_report_without_an_iam_identity_is_forbidden(stack: Stack) -> None:
    _experiment(150, 100)
    status, body = _report(stack, iam=False)
    assert status == 403
    assert "arms" not in body


@pytest.mark.parametrize(
    ("treated", "holdout", "excludes_zero"), [(150, 100, True), (100, 100, False)], ids=["lift", "no-lift"]
)
def test_report_compares_the_pooled_treatment_with_the_holdout(
    stack: Stack, treated: int, holdout: int, excludes_zero: bool
) -> None:
    _experiment(treated, holdout)
    status, report = _report(stack)
    assert status == 200
    assert report["campaign_id"] == CAMPAIGN and report["paused"] is False
    rates = {row["arm"]: row["reactivation_rate"] for row in report["arms"]}
    assert rates == {
        "coupon": pytest.approx(treated // 2 / 500),
        "no-coupon": pytest.approx((treated - treated // 2) / 500),
        "holdout": pytest.approx(holdout / 1000),
    }
    [overall] = [c for c in report["comparisons"] if c["arm"] == "treatment" and c["segment"] is None]
    assert overall["pooled"] is True
    assert (overall["treated_n"], overall["treated_x"]) == (1000, treated)
    assert (overall["control_n"], overall["control_x"]) == (1000, holdout)
    assert overall["abs_lift"] == pytest.approx((treated - holdout) / 1000)
    assert (overall["abs_low"] > 0) is excludes_zero
    assert overall["abs_low"] <= overall["abs_lift"] <= overall["abs_high"]
    assert overall["significant"] is excludes_zero


def test_report_for_an_unknown_campaign_is_404(stack: Stack) -> None:
    status, _ = _report(stack, "no-such-campaign")
    assert status == 404


def _send_job(user_id: str, episode: datetime) -> dict[str, Any]:
    job = {
        "run_id": "run-test",
        "campaign_id": CAMPAIGN,
        "step": 0,
        "tier": "dormant",
        "recipients": [{"user_id": user_id, "episode": episode.isoformat(), "arm": "coupon", "segment": SEGMENT}],
    }
    record = sqs_record(json.dumps(job), "arn:aws:sqs:us-east-1:123456789012:send")
    return sqs_event([record])


def test_a_campaign_pauses_itself_past_the_bounce_rate_and_resumes_on_request(
    stack: Stack, capsys: pytest.CaptureFixture[str]
) -> None:
    messaging = _messaging()
    messaging.add_totals(CAMPAIGN, {"sent_email": 300})
    bounces = [ses_bounce(f"b{i}@mail.example.com", "Permanent", f"mid-{i}", tags=TAGS) for i in range(16)]
    stack.runner.publish_feedback(bounces[:15])
    assert messaging.paused_reason(CAMPAIGN) is None  # 15/300 = 5.0%: at the limit, not past it
    assert '"CampaignPaused"' not in capsys.readouterr().out
    stack.runner.publish_feedback(bounces[15:])
    reason = messaging.paused_reason(CAMPAIGN)
    assert reason is not None and "bounce rate" in reason
    assert '"CampaignPaused"' in capsys.readouterr().out  # the feedback handler's EMF metric

    status, report = _report(stack)
    assert status == 200 and report["paused"] is True and report["paused_reason"] == reason
    [coupon] = [row for row in report["arms"] if row["arm"] == "coupon"]
    assert coupon["bounced"] == 16

    now = datetime.now(UTC)
    last_order = now - timedelta(days=100)
    dormant_profile("u1", last_order)
    assert stack.invoke("send", _send_job("u1", last_order)) == {"batchItemFailures": []}
    assert sent_emails() == []
    deferrals = DeferralStore(get_settings().deferral_table)
    assert deferrals.due(now, 10) == []  # it waits for the pause to be looked at again
    [waiting] = deferrals.due(now + timedelta(hours=2), 10)
    assert waiting.kind == "paused"
    assert [r["user_id"] for r in json.loads(waiting.body)["recipients"]] == ["u1"]

    denied = stack.runner.http("POST", f"/campaigns/{CAMPAIGN}/resume", {})
    assert denied["statusCode"] == 403 and messaging.paused_reason(CAMPAIGN) == reason
    resumed = stack.runner.http("POST", f"/campaigns/{CAMPAIGN}/resume", {}, iam=True)
    assert resumed["statusCode"] == 200 and json.loads(resumed["body"])["resumed"] is True
    assert messaging.paused_reason(CAMPAIGN) is None
    assert _report(stack)[1]["paused"] is False
    # The rates start again: the next bounce alone does not pause it again.
    assert messaging.add_totals(CAMPAIGN, {"bounced": 1}) == {"bounced": 1}


def test_a_delivery_notification_published_twice_is_counted_once(stack: Stack) -> None:
    note = ses_delivery("u1@mail.example.com", "mid-delivered", TAGS)
    stack.runner.publish_feedback([note])
    stack.runner.publish_feedback([note])  # SNS delivers at least once
    cells = {(c.step, c.arm, c.segment): c.counts for c in _messaging().cells(CAMPAIGN)}
    assert cells[(0, "coupon", SEGMENT)]["delivered"] == 1
    _, report = _report(stack)
    assert [row["delivered"] for row in report["arms"] if row["arm"] == "coupon"] == [1]


def test_cli_prints_the_report_as_json_and_resumes_a_paused_campaign(
    stack: Stack, capsys: pytest.CaptureFixture[str]
) -> None:
    _experiment(150, 100)
    assert main(["report", CAMPAIGN, "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["campaign_id"] == CAMPAIGN
    assert {row["arm"] for row in report["arms"]} == {"coupon", "no-coupon", "holdout"}

    messaging = _messaging()
    assert messaging.pause(CAMPAIGN, "bounce rate 6.00% over 5.00% after 300 sends", datetime.now(UTC))
    assert main(["resume", CAMPAIGN]) == 0
    assert capsys.readouterr().out.strip() == f"{CAMPAIGN}: resumed"
    assert messaging.paused_reason(CAMPAIGN) is None


def test_the_program_report_compares_everyone_treated_with_the_program_control_group(
    stack: Stack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The control group's cells are left out of the campaign report and measured in the program's."""
    use_program(tmp_path, monkeypatch, quiet_hours={}, experiments={"program_control_percent": 5})
    _experiment(150, 100)
    _messaging().add_cell(CAMPAIGN, None, PROGRAM_CONTROL, SEGMENT, {"assigned": 200, "reactivated": 20})
    status, body = _report(stack)
    assert status == 200 and {row["arm"] for row in body["arms"]} == {"coupon", "no-coupon", "holdout"}

    capsys.readouterr()  # the function's metrics
    assert main(["program-report", "--json"]) == 0
    program = json.loads(capsys.readouterr().out)
    assert program["control_percent"] == 5
    assert (program["treated_n"], program["treated_x"], program["control_n"], program["control_x"]) == (
        1000,
        150,
        200,
        20,
    )
    assert program["abs_lift"] == pytest.approx(0.05)
    assert program["incremental_reactivations"] == pytest.approx(50)
    assert program["abs_low"] < 0.05 < program["abs_high"]
    assert main(["program-report"]) == 0
    assert "Incremental reactivations 50 [2, 98]" in capsys.readouterr().out


def test_the_program_report_gives_incremental_revenue_with_its_interval(
    stack: Stack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Revenue per assigned user from the cells' sums and sums of squares (the guard: without
    `revenue_sq_minor_*` there is no interval), treated against the program-wide control group."""
    use_program(tmp_path, monkeypatch, quiet_hours={}, experiments={"program_control_percent": 5})
    messaging = _messaging()
    # 1000 treated, 100 of whom spent 50.00 each; 200 in control, 4 of whom spent 50.00 each.
    treated = {"assigned": 1000, "revenue_minor_USD": 100 * 5000, "revenue_sq_minor_USD": 100 * 5000**2}
    control = {"assigned": 200, "revenue_minor_USD": 4 * 5000, "revenue_sq_minor_USD": 4 * 5000**2}
    messaging.add_cell(CAMPAIGN, None, "coupon", SEGMENT, treated)
    messaging.add_cell(CAMPAIGN, None, PROGRAM_CONTROL, SEGMENT, control)
    capsys.readouterr()
    assert main(["program-report", "--json"]) == 0
    (usd,) = json.loads(capsys.readouterr().out)["revenue"]
    assert usd["currency"] == "USD"
    assert usd["per_user_minor"] == pytest.approx(500 - 100)  # 5.00 - 1.00 per assigned user
    assert usd["incremental_minor"] == pytest.approx(1000 * 400)
    assert 0 < usd["incremental_low_minor"] < 400_000 < usd["incremental_high_minor"] and usd["significant"]
    assert main(["program-report"]) == 0
    assert "Incremental revenue USD 4,000.00 [" in capsys.readouterr().out
