"""The metrics template.yaml's alarms read are emitted by the real handlers, under the names and
dimensions those alarms name (read from the template, not repeated here): a scheduled run's
Heartbeat, the email-only SentEmail, and each signed route's 401 metric."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from tests.integration.conftest import Stack
from tests.integration.helpers import dormant_profile, sample_event, use_program
from winback_dev.handlers import handler
from winback_dev.lambda_events import FakeContext, http_event, sqs_event, sqs_record
from winback_dev.signing import signed_headers
from winback_dev.template import sam_template

LAST_ORDER = datetime.now(UTC) - timedelta(days=100)
SCHEDULED = {
    "plan": ("PlanFunction", sample_event("plan_schedule.json")),
    "stats": ("StatsFunction", sample_event("stats_schedule.json")),
    "release": ("ReleaseFunction", sample_event("release_schedule.json")),
    "sweep": ("SweepFunction", {"time": "2026-11-25T05:00:00Z"}),
    "export": ("ExportFunction", sample_event("export_schedule.json")),
}


@cache
def _alarms() -> dict[str, dict[str, Any]]:
    resources = sam_template()["Resources"]
    return {lid: r["Properties"] for lid, r in resources.items() if r["Type"] == "AWS::CloudWatch::Alarm"}


def _emitted(out: str) -> list[dict[str, Any]]:
    """Every EMF metric line: {"names": [...], "dimensions": {name: value}, "values": {name: value}}."""
    found = []
    for line in out.splitlines():
        if '"_aws"' not in line:
            continue
        blob = json.loads(line)
        (directive,) = blob["_aws"]["CloudWatchMetrics"]
        names = [m["Name"] for m in directive["Metrics"]]
        (dimension_names,) = directive["Dimensions"]
        found.append(
            {
                "namespace": directive["Namespace"],
                "dimensions": {d: blob[d] for d in dimension_names},
                "values": {n: blob[n] for n in names},
            }
        )
    return found


def _with(emitted: list[dict[str, Any]], metric: str) -> list[dict[str, Any]]:
    return [m for m in emitted if metric in m["values"]]


@pytest.mark.parametrize("function", sorted(SCHEDULED))
def test_a_scheduled_run_that_ends_emits_the_heartbeat_its_alarm_reads(
    stack: Stack, function: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Guard: the @heartbeat decorator on the scheduled handlers, emitting Heartbeat with the
    dimensions of <Name>HeartbeatAlarm (Function = the Lambda's own name, which the alarm's
    {Ref: <Name>Function} resolves to)."""
    logical_id, event = SCHEDULED[function]
    alarm = _alarms()[logical_id.replace("Function", "HeartbeatAlarm")]
    lambda_name = f"winback-{logical_id}-AbC123"
    capsys.readouterr()

    handler(function)(event, FakeContext(function_name=lambda_name))

    (beat,) = _with(_emitted(capsys.readouterr().out), alarm["MetricName"])
    assert beat["namespace"] == alarm["Namespace"]
    expected = {d["Name"]: d["Value"] for d in alarm["Dimensions"]}
    assert expected.pop("Function") == {"Ref": logical_id}
    assert beat["dimensions"] == {**expected, "Function": lambda_name}
    assert beat["values"][alarm["MetricName"]] == [1.0]


def test_a_scheduled_run_that_raises_emits_no_heartbeat(stack: Stack, capsys: pytest.CaptureFixture[str]) -> None:
    """A run that fails must leave its hour without a heartbeat (missing data is what breaches)."""
    capsys.readouterr()
    with pytest.raises(ValueError, match="Invalid isoformat"):
        handler("plan")({"time": "not a time"}, FakeContext(function_name="winback-PlanFunction-AbC123"))
    assert _with(_emitted(capsys.readouterr().out), "Heartbeat") == []


def _send_job(stack: Stack, *user_ids: str) -> None:
    job = {
        "run_id": "run-metrics",
        "campaign_id": "dormant-offer",
        "step": 0,
        "tier": "dormant",
        "recipients": [
            {"user_id": u, "episode": LAST_ORDER.isoformat(), "arm": "a", "segment": "all"} for u in user_ids
        ],
    }
    record = sqs_record(json.dumps(job), "arn:aws:sqs:us-east-1:123456789012:send")
    assert stack.invoke("send", sqs_event([record])) == {"batchItemFailures": []}


def test_sent_email_counts_email_sends_only_as_the_bounce_alarm_divides_by_it(
    stack: Stack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Guard: HEADLINE's sent_email -> SentEmail. The bounce-rate alarm divided email bounces by the
    sends of every channel; its denominator is now this metric, which texts do not move."""
    use_program(tmp_path, monkeypatch, quiet_hours={})
    dormant_profile("by-email", LAST_ORDER)
    dormant_profile("by-sms", LAST_ORDER, email=None, phone="+14155550123", consent={"sms": True})
    bounce = _alarms()["BounceRateAlarm"]
    (denominator,) = [
        q["MetricStat"]["Metric"]
        for q in bounce["Metrics"]
        if "MetricStat" in q and q["MetricStat"]["Metric"]["MetricName"] != "Bounced"
    ]
    capsys.readouterr()

    _send_job(stack, "by-email", "by-sms")

    emitted = _emitted(capsys.readouterr().out)
    (email,) = _with(emitted, denominator["MetricName"])
    assert email["values"][denominator["MetricName"]] == [1.0]
    assert email["dimensions"] == {d["Name"]: d["Value"] for d in denominator["Dimensions"]}
    assert email["values"]["Sent"] == [2.0]


@pytest.mark.parametrize("route", ["Ingest", "Segment"])
def test_a_401_emits_the_metric_its_routes_alarm_reads(
    stack: Stack, route: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Guard: the 401 metric of each signed route (SegmentRejected was WebhookRejected too, so the
    two routes' alarms could not be told apart)."""
    alarm = _alarms()[f"{route}UnauthorizedAlarm"]
    (rejected,) = [q["MetricStat"]["Metric"] for q in alarm["Metrics"] if q["Id"] == "rejected"]
    capsys.readouterr()

    if route == "Ingest":
        body = '{"events": []}'
        headers = {**signed_headers(stack.webhook_secret, body), "webhook-signature": "v1,bad"}
        reply = handler("ingest")(http_event("POST", "/events", body, headers), FakeContext(function_name="ingest"))
    else:
        reply = stack.runner.post_segment('{"type": "page"}', {"Authorization": "Bearer guess"})

    assert reply["statusCode"] == 401
    emitted = _emitted(capsys.readouterr().out)
    (metric,) = _with(emitted, rejected["MetricName"])
    assert metric["dimensions"] == {d["Name"]: d["Value"] for d in rejected["Dimensions"]}
    other = "SegmentRejected" if route == "Ingest" else "WebhookRejected"
    assert _with(emitted, other) == []
