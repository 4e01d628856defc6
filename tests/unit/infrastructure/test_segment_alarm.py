"""template.yaml alarms on the Segment calls the door refuses, under the metric the handler emits."""

from __future__ import annotations

import re
from pathlib import Path

from winback_dev.template import sam_template

HANDLER = Path(__file__).resolve().parents[3] / "functions" / "segment" / "app.py"


def test_refused_segment_calls_raise_an_alarm_on_the_metric_the_handler_emits() -> None:
    """Guard: SegmentCallsRejectedAlarm. A refused call is answered in a 200 that Segment never
    resends, so a source gone wrong loses calls silently unless someone is told."""
    alarm = sam_template()["Resources"]["SegmentCallsRejectedAlarm"]["Properties"]
    emitted = set(re.findall(r'add_metric\(name="(\w+)"', HANDLER.read_text(encoding="utf-8")))
    assert alarm["MetricName"] in emitted and alarm["MetricName"] == "SegmentCallsRejected"
    assert (alarm["Namespace"], alarm["Dimensions"]) == ("Winback", [{"Name": "service", "Value": "winback"}])
    assert (alarm["Statistic"], alarm["Threshold"], alarm["ComparisonOperator"]) == (
        "Sum",
        1,
        "GreaterThanOrEqualToThreshold",
    )
    assert alarm["AlarmActions"] == [{"Ref": "AlarmTopic"}]
