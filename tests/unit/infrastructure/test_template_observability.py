"""template.yaml watches what it runs: error-rate alarms per function, reputation alarms, the dashboard.

Reads the SAM template with its Fn::ForEach loops expanded, as CloudFormation expands them at deploy
(CloudFormation short tags become intrinsic dicts), so a function added to the template without its
alarm (or left out of the loop that writes them) or its dashboard widgets fails here, before any deploy.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from winback_dev.template import sam_template

FUNNEL = ("Targeted", "Assigned", "HeldOut", "Sent", "SentEmail", "Delivered", "Reactivated")
GUARDS = ("Suppressed", "Capped", "Deferred", "Dropped", "Failed")
FEEDBACK = ("Bounced", "Complained", "Unsubscribed")
REJECTED = ("WebhookRejected", "SegmentRejected")  # the 401s of POST /events and POST /events/segment
EMITTED_METRICS = (*FUNNEL, *GUARDS, *FEEDBACK, *REJECTED, "CampaignPaused")
OUR_NAMESPACE = "Winback"
ALARM_TOPIC = {"Ref": "AlarmTopic"}
_SUB_REFERENCE = re.compile(r"\$\{([^}!][^}]*)\}")


TEMPLATE_DATA = sam_template()
RESOURCES: dict[str, Any] = TEMPLATE_DATA["Resources"]


def _of_type(resource_type: str) -> list[str]:
    return sorted(lid for lid, res in RESOURCES.items() if res["Type"] == resource_type)


FUNCTIONS = _of_type("AWS::Serverless::Function")
SCHEDULED = sorted(
    lid
    for lid in FUNCTIONS
    if any(e["Type"] == "ScheduleV2" for e in RESOURCES[lid]["Properties"].get("Events", {}).values())
)
# A schedule's period in seconds, from its default expression (template.yaml's mapping must agree).
SCHEDULE_PERIODS = {"rate(1 hour)": 3600, "cron(0 3 * * ? *)": 86400, "cron(0 1 * * ? *)": 86400}
SCHEDULE_PERIODS["cron(0 4 ? * MON *)"] = 7 * 86400
QUEUES = _of_type("AWS::SQS::Queue")
TABLES = _of_type("AWS::DynamoDB::Table")
ALARMS: dict[str, dict[str, Any]] = {lid: RESOURCES[lid]["Properties"] for lid in _of_type("AWS::CloudWatch::Alarm")}


def _metric_stats(alarm: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Metric-math alarm inputs by id: {"errors": {"Metric": {...}, "Period": 300, "Stat": "Sum"}}."""
    return {q["Id"]: q["MetricStat"] for q in alarm.get("Metrics", []) if "MetricStat" in q}


def _returned_expression(alarm: dict[str, Any]) -> str:
    returned = [q for q in alarm.get("Metrics", []) if q.get("ReturnData", True)]
    assert len(returned) == 1, "a metric-math alarm returns exactly one series"
    expression: str = returned[0]["Expression"]
    return expression


def _lambda_metric_id(alarm: dict[str, Any], metric_name: str, function: str) -> str | None:
    for metric_id, stat in _metric_stats(alarm).items():
        metric = stat["Metric"]
        if (
            metric["Namespace"] == "AWS/Lambda"
            and metric["MetricName"] == metric_name
            and metric["Dimensions"] == [{"Name": "FunctionName", "Value": {"Ref": function}}]
        ):
            return metric_id
    return None


def _error_rate_alarms(function: str) -> list[dict[str, Any]]:
    """Alarms whose returned series is the function's Errors / Invocations."""
    found = []
    for alarm in ALARMS.values():
        errors = _lambda_metric_id(alarm, "Errors", function)
        invocations = _lambda_metric_id(alarm, "Invocations", function)
        if errors and invocations and _returned_expression(alarm) == f"{errors} / {invocations}":
            found.append(alarm)
    return found


def _our_rate_alarm(numerator: str, denominator: str = "SentEmail") -> dict[str, Any]:
    """The alarm computing <numerator> / <denominator> from our own EMF metrics."""
    matches = [
        alarm
        for alarm in ALARMS.values()
        if {s["Metric"]["MetricName"] for s in _metric_stats(alarm).values()} == {numerator, denominator}
    ]
    assert len(matches) == 1, f"expected one {numerator} / {denominator} alarm, found {len(matches)}"
    return matches[0]


def schedule_period(function: str) -> int:
    """The period of the function's schedule, in seconds (its expression's default)."""
    (event,) = [e for e in RESOURCES[function]["Properties"]["Events"].values() if e["Type"] == "ScheduleV2"]
    expression = event["Properties"]["ScheduleExpression"]
    if isinstance(expression, dict):
        expression = TEMPLATE_DATA["Parameters"][expression["Ref"]]["Default"]
    return SCHEDULE_PERIODS[expression]


def _alarm_on(namespace: str, metric_name: str) -> dict[str, Any]:
    matches = [a for a in ALARMS.values() if a.get("Namespace") == namespace and a.get("MetricName") == metric_name]
    assert len(matches) == 1, f"expected one alarm on {namespace} {metric_name}, found {len(matches)}"
    return matches[0]


def _dashboard_body() -> dict[str, Any]:
    """The dashboard JSON with every ${...} reference replaced by a placeholder string."""
    (dashboard,) = [RESOURCES[lid] for lid in _of_type("AWS::CloudWatch::Dashboard")]
    text = dashboard["Properties"]["DashboardBody"]["Fn::Sub"]
    body: dict[str, Any] = json.loads(_SUB_REFERENCE.sub(lambda m: f"<{m.group(1)}>", text))
    return body


def _dashboard_metrics() -> list[tuple[str, str, str | None]]:
    """(namespace, metric name, first dimension value) of every plotted metric, expressions excluded."""
    plotted: list[tuple[str, str, str | None]] = []
    for widget in _dashboard_body()["widgets"]:
        for row in widget["properties"].get("metrics", []):
            fields = [f for f in row if isinstance(f, str)]
            if len(fields) >= 2:
                plotted.append((fields[0], fields[1], fields[3] if len(fields) >= 4 else None))
    return plotted


def test_template_has_the_functions_queues_and_tables_it_is_checked_against() -> None:
    assert {"IngestFunction", "PlanFunction", "ScanFunction", "SendFunction"} <= set(FUNCTIONS)
    assert {"FeedbackFunction", "UnsubscribeFunction"} <= set(FUNCTIONS)
    assert {"ScanQueue", "SendQueue", "ScanDLQ", "SendDLQ", "FeedbackDLQ"} <= set(QUEUES)
    assert {"ActivityTable", "SuppressionTable", "MessagingTable", "IdempotencyTable"} <= set(TABLES)


@pytest.mark.parametrize("function", FUNCTIONS)
def test_every_function_has_an_error_rate_alarm(function: str) -> None:
    alarms = _error_rate_alarms(function)
    assert len(alarms) == 1, f"{function} needs exactly one Errors / Invocations alarm"
    alarm = alarms[0]
    assert {stat["Stat"] for stat in _metric_stats(alarm).values()} == {"Sum"}
    assert alarm["Threshold"] == 0.05
    assert alarm["ComparisonOperator"] == "GreaterThanThreshold"
    assert alarm["TreatMissingData"] == "notBreaching"
    if function not in SCHEDULED:
        assert {stat["Period"] for stat in _metric_stats(alarm).values()} == {300}
        assert (alarm["DatapointsToAlarm"], alarm["EvaluationPeriods"]) == (2, 3)


@pytest.mark.parametrize("function", SCHEDULED)
def test_a_scheduled_function_alarms_on_errors_over_its_schedule_period(function: str) -> None:
    """Guard: the Schedules mapping's ErrorPeriod. A scheduled run (with its retries) is one datapoint
    per schedule period; "2 of 3 five-minute periods" can never see two of them, so it never fired."""
    (alarm,) = _error_rate_alarms(function)
    assert {stat["Period"] for stat in _metric_stats(alarm).values()} == {schedule_period(function)}
    assert (alarm["DatapointsToAlarm"], alarm["EvaluationPeriods"]) == (1, 1)


@pytest.mark.parametrize("function", SCHEDULED)
def test_every_scheduled_function_has_a_heartbeat_alarm_over_its_schedule_period(function: str) -> None:
    """Guard: the Fn::ForEach::ScheduledFunction loop's HeartbeatAlarm. A schedule that stops invoking
    (a broken role, a deleted function) makes no error at all; only missing heartbeats show it."""
    (alarm,) = [
        a
        for a in ALARMS.values()
        if a.get("MetricName") == "Heartbeat"
        and {"Name": "Function", "Value": {"Ref": function}} in a.get("Dimensions", [])
    ]
    assert alarm["Namespace"] == OUR_NAMESPACE
    assert alarm["Dimensions"] == [
        {"Name": "service", "Value": "winback"},
        {"Name": "Function", "Value": {"Ref": function}},
    ]
    assert alarm["TreatMissingData"] == "breaching"
    assert (alarm["Statistic"], alarm["Threshold"], alarm["ComparisonOperator"]) == ("Sum", 1, "LessThanThreshold")
    # Every period of the window must miss its heartbeat, and the window covers the schedule's period.
    assert alarm["DatapointsToAlarm"] == alarm["EvaluationPeriods"]
    window = alarm["Period"] * alarm["EvaluationPeriods"]
    assert schedule_period(function) <= window <= 7 * 86400  # CloudWatch evaluates at most 7 days
    if schedule_period(function) < 7 * 86400:
        assert window > schedule_period(function)  # slack for a run that ends late


@pytest.mark.parametrize("alarm", sorted(ALARMS))
def test_every_alarm_notifies_the_alarm_topic(alarm: str) -> None:
    assert ALARM_TOPIC in ALARMS[alarm]["AlarmActions"]


@pytest.mark.parametrize(("numerator", "threshold"), [("Bounced", 0.05), ("Complained", 0.001)])
def test_our_bounce_and_complaint_rates_alarm_over_an_hour_of_at_least_100_emails(
    numerator: str, threshold: float
) -> None:
    """Guard: the rates divide by SentEmail (emitted for email sends only), not Sent: bounces and
    complaints are email's, and texts and pushes in the same hour diluted the rate below SES's."""
    alarm = _our_rate_alarm(numerator)
    stats = _metric_stats(alarm)
    ids = {stat["Metric"]["MetricName"]: metric_id for metric_id, stat in stats.items()}
    sent = ids["SentEmail"]
    assert _returned_expression(alarm) == f"IF({sent} >= 100, FILL({ids[numerator]}, 0) / {sent}, 0)"
    for stat in stats.values():
        assert stat["Metric"]["Namespace"] == OUR_NAMESPACE
        assert stat["Metric"]["Dimensions"] == [{"Name": "service", "Value": "winback"}]
        assert (stat["Period"], stat["Stat"]) == (3600, "Sum")
    assert alarm["Threshold"] == threshold
    assert alarm["ComparisonOperator"] == "GreaterThanThreshold"
    assert alarm["TreatMissingData"] == "notBreaching"


@pytest.mark.parametrize(
    ("metric_name", "threshold"), [("Reputation.BounceRate", 0.05), ("Reputation.ComplaintRate", 0.001)]
)
def test_ses_reputation_rates_alarm_at_the_ses_review_thresholds(metric_name: str, threshold: float) -> None:
    alarm = _alarm_on("AWS/SES", metric_name)
    assert alarm["Threshold"] == threshold
    assert alarm["ComparisonOperator"] == "GreaterThanThreshold"
    assert "Dimensions" not in alarm  # account-wide metric
    assert alarm["TreatMissingData"] == "notBreaching"


def test_a_paused_campaign_raises_an_alarm() -> None:
    alarm = ALARMS["CampaignPausedAlarm"]
    assert (alarm["Namespace"], alarm["MetricName"], alarm["Statistic"]) == (OUR_NAMESPACE, "CampaignPaused", "Sum")
    assert alarm["Dimensions"] == [{"Name": "service", "Value": "winback"}]
    assert alarm["Threshold"] == 1
    assert alarm["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"


def test_dashboard_body_is_valid_json_with_widgets_on_the_grid() -> None:
    widgets = _dashboard_body()["widgets"]
    assert widgets
    for widget in widgets:
        assert widget["x"] + widget["width"] <= 24
        assert widget["properties"]["region"] == "<AWS::Region>"


def test_dashboard_only_references_what_the_template_defines() -> None:
    (dashboard,) = [RESOURCES[lid] for lid in _of_type("AWS::CloudWatch::Dashboard")]
    text = dashboard["Properties"]["DashboardBody"]["Fn::Sub"]
    referenced = {name.split(".", 1)[0] for name in _SUB_REFERENCE.findall(text)}
    assert referenced - {"AWS::Region"} <= set(RESOURCES)
    assert dashboard["Properties"]["DashboardName"] == {"Fn::Sub": "${AWS::StackName}"}


@pytest.mark.parametrize("metric_name", EMITTED_METRICS)
def test_dashboard_plots_every_metric_the_code_emits(metric_name: str) -> None:
    assert (OUR_NAMESPACE, metric_name, "winback") in _dashboard_metrics()


def test_dashboard_shows_the_bounce_and_complaint_rates() -> None:
    expressions = {
        row[0]["expression"]
        for widget in _dashboard_body()["widgets"]
        for row in widget["properties"].get("metrics", [])
        if isinstance(row[0], dict) and "expression" in row[0]
    }
    assert expressions == {
        "IF(sent >= 100, FILL(bounced, 0) / sent, 0)",
        "IF(sent >= 100, FILL(complained, 0) / sent, 0)",
    }
    plotted = {(namespace, name) for namespace, name, _ in _dashboard_metrics()}
    assert {("AWS/SES", "Reputation.BounceRate"), ("AWS/SES", "Reputation.ComplaintRate")} <= plotted


@pytest.mark.parametrize("function", FUNCTIONS)
def test_dashboard_shows_errors_duration_and_throttles_of_every_function(function: str) -> None:
    plotted = _dashboard_metrics()
    for metric_name in ("Errors", "Duration", "Throttles"):
        assert ("AWS/Lambda", metric_name, f"<{function}>") in plotted


@pytest.mark.parametrize("queue", QUEUES)
def test_dashboard_shows_the_depth_of_every_queue(queue: str) -> None:
    assert ("AWS/SQS", "ApproximateNumberOfMessagesVisible", f"<{queue}.QueueName>") in _dashboard_metrics()


@pytest.mark.parametrize("table", TABLES)
def test_dashboard_shows_capacity_and_throttles_of_every_table(table: str) -> None:
    plotted = _dashboard_metrics()
    for metric_name in (
        "ConsumedReadCapacityUnits",
        "ConsumedWriteCapacityUnits",
        "ReadThrottleEvents",
        "WriteThrottleEvents",
    ):
        assert ("AWS/DynamoDB", metric_name, f"<{table}>") in plotted


def test_outputs_link_to_the_dashboard() -> None:
    url = TEMPLATE_DATA["Outputs"]["DashboardUrl"]["Value"]["Fn::Sub"]
    assert url.startswith("https://${AWS::Region}.console.aws.amazon.com/cloudwatch/")
    assert url.endswith("#dashboards:name=${Dashboard}")


@pytest.mark.parametrize(
    ("function", "metric_name"), [("IngestFunction", "WebhookRejected"), ("SegmentFunction", "SegmentRejected")]
)
def test_each_signed_route_alarms_on_its_401_rate(function: str, metric_name: str) -> None:
    """Guard: the Fn::ForEach::SignedRoute alarms. A wrong or rotated key answers every event 401 and
    drops it; nothing watched that."""
    (alarm,) = [
        a for a in ALARMS.values() if metric_name in {s["Metric"]["MetricName"] for s in _metric_stats(a).values()}
    ]
    stats = _metric_stats(alarm)
    ids = {stat["Metric"]["MetricName"]: metric_id for metric_id, stat in stats.items()}
    assert stats[ids["Invocations"]]["Metric"]["Dimensions"] == [{"Name": "FunctionName", "Value": {"Ref": function}}]
    assert stats[ids[metric_name]]["Metric"]["Dimensions"] == [{"Name": "service", "Value": "winback"}]
    rejected, requests = ids[metric_name], ids["Invocations"]
    assert _returned_expression(alarm) == f"IF({requests} >= 5, FILL({rejected}, 0) / {requests}, 0)"
    assert (alarm["Threshold"], alarm["ComparisonOperator"]) == (0.5, "GreaterThanThreshold")
    assert ("AWS/Lambda", "Invocations", f"<{function}>") in _dashboard_metrics()


def test_failed_sends_alarm_on_their_share_of_provider_answers() -> None:
    """Guard: FailedSendsAlarm. A sender, account or sandbox refusal marked every targeted message
    failed (never retried) and no alarm watched Failed."""
    alarm = ALARMS["FailedSendsAlarm"]
    stats = _metric_stats(alarm)
    assert {s["Metric"]["MetricName"] for s in stats.values()} == {"Sent", "Failed"}
    assert {(s["Metric"]["Namespace"], s["Period"], s["Stat"]) for s in stats.values()} == {
        (OUR_NAMESPACE, 3600, "Sum")
    }
    assert "FILL(failed, 0) / (FILL(sent, 0) + FILL(failed, 0))" in _returned_expression(alarm)
    assert (alarm["Threshold"], alarm["ComparisonOperator"]) == (0.05, "GreaterThanThreshold")


def test_dashboard_rates_divide_by_email_sends() -> None:
    rate_widgets = [
        rows
        for rows in (widget["properties"].get("metrics", []) for widget in _dashboard_body()["widgets"])
        if any(isinstance(row[0], dict) and "/ sent" in row[0].get("expression", "") for row in rows)
    ]
    assert len(rate_widgets) == 2  # bounces and complaints
    for rows in rate_widgets:
        sent = [row[:2] for row in rows if isinstance(row[-1], dict) and row[-1].get("id") == "sent"]
        assert sent == [[OUR_NAMESPACE, "SentEmail"]]


@pytest.mark.parametrize("function", SCHEDULED)
def test_dashboard_shows_the_heartbeat_of_every_scheduled_function(function: str) -> None:
    plotted = [
        row
        for widget in _dashboard_body()["widgets"]
        for row in widget["properties"].get("metrics", [])
        if row[:2] == [OUR_NAMESPACE, "Heartbeat"]
    ]
    assert [OUR_NAMESPACE, "Heartbeat", "service", "winback", "Function", f"<{function}>"] in [r[:6] for r in plotted]
