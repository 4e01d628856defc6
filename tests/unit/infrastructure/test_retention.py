"""Retention in template.yaml: every function logs to a log group of its own with a retention period
(LogRetentionDays, default 30); profiles may expire (ProfileTtlDays, default 0: off)."""

from __future__ import annotations

from typing import Any

from winback_dev.template import sam_template

TEMPLATE: dict[str, Any] = sam_template()  # Fn::ForEach loops expanded, as CloudFormation does at deploy
RESOURCES: dict[str, Any] = TEMPLATE["Resources"]


def test_every_function_logs_to_a_log_group_with_a_retention_period() -> None:
    functions = [lid for lid, r in RESOURCES.items() if r["Type"] == "AWS::Serverless::Function"]
    assert len(functions) >= 13
    for lid in functions:
        group = RESOURCES[lid]["Properties"]["LoggingConfig"]["LogGroup"]["Ref"]
        assert RESOURCES[group]["Type"] == "AWS::Logs::LogGroup", lid
        assert RESOURCES[group]["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionDays"}, lid
    assert TEMPLATE["Parameters"]["LogRetentionDays"]["Default"] == 30


def test_profiles_expire_only_when_configured() -> None:
    ttl = RESOURCES["ActivityTable"]["Properties"]["TimeToLiveSpecification"]
    assert ttl == {"AttributeName": "expires_at", "Enabled": True}
    assert TEMPLATE["Parameters"]["ProfileTtlDays"]["Default"] == 0
    env = TEMPLATE["Globals"]["Function"]["Environment"]["Variables"]
    assert env["PROFILE_TTL_DAYS"] == {"Ref": "ProfileTtlDays"}
    assert env["POWERTOOLS_LOGGER_SAMPLE_RATE"] == {"Ref": "DebugLogSampleRate"}
