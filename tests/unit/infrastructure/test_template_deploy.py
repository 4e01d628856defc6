"""What a deploy of template.yaml creates in a new AWS account, read from the translated template
(SAM transformed, Fn::ForEach expanded) with its conditions evaluated for the parameter values given
(``winback_dev.template.deployed``): the defaults deploy where accounts are new, and each setting a
real account needs is there.

moto accepts what a real account refuses, so these are checks of the template against the AWS rules
quoted in docs/deploy.md (Lambda's 100 unreserved executions, SNS's account-wide log group names,
CloudFormation's rollback of a failed create, SES's sending policy and sandbox).
"""

from __future__ import annotations

import json
import re
from functools import cache
from typing import Any

import pytest

from winback_dev.template import deployed, translate_template

# The parameters a deploy must be given (no default): SenderEmail and AlarmEmail.
REQUIRED = {"SenderEmail": "winback@news.acmeshop.com", "AlarmEmail": "ops@acmeshop.com"}
# A new account's Lambda concurrency quota can be 10; Lambda keeps 100 unreserved executions (or the
# account's unreserved minimum), so no reservation fits below a quota of 100 + the reservation.
SMALLEST_QUOTA = 10
SMS_LOG_GROUP = re.compile(r"^sns/\$\{AWS::Region\}/\$\{AWS::AccountId\}/DirectPublishToPhoneNumber(/Failure)?$")


@cache
def _translated() -> dict[str, Any]:
    return translate_template()


def _deploy(**parameters: str | int) -> dict[str, Any]:
    return deployed(_translated(), {**REQUIRED, **parameters})


def _resources(**parameters: str | int) -> dict[str, Any]:
    resources: dict[str, Any] = _deploy(**parameters)["Resources"]
    return resources


def _of_type(resources: dict[str, Any], kind: str) -> dict[str, Any]:
    return {lid: r for lid, r in resources.items() if r["Type"] == kind}


def _default(parameter: str) -> Any:
    return _translated()["Parameters"][parameter].get("Default")


def _sub_text(value: Any) -> str:
    if isinstance(value, dict) and "Fn::Sub" in value:
        sub = value["Fn::Sub"]
        return str(sub if isinstance(sub, str) else sub[0])
    return str(value)


# --- Reserved concurrency ------------------------------------------------------------------------


def test_the_default_deploy_reserves_no_concurrency() -> None:
    """Guard: the ReserveIngestConcurrency / ReserveUnsubscribeConcurrency conditions with defaults 0.
    Any reservation fails the first deploy in an account whose quota is under 100 + the reservation."""
    functions = _of_type(_resources(), "AWS::Lambda::Function")
    reserved = {
        lid: f["Properties"]["ReservedConcurrentExecutions"]
        for lid, f in functions.items()
        if "ReservedConcurrentExecutions" in f["Properties"]
    }
    assert reserved == {}


def test_a_reservation_is_made_only_when_a_value_is_given() -> None:
    functions = _of_type(_resources(IngestReservedConcurrency=20), "AWS::Lambda::Function")
    assert functions["IngestFunction"]["Properties"]["ReservedConcurrentExecutions"] == {
        "Ref": "IngestReservedConcurrency"
    }
    assert "ReservedConcurrentExecutions" not in functions["UnsubscribeFunction"]["Properties"]
    for parameter in ("IngestReservedConcurrency", "UnsubscribeReservedConcurrency"):
        assert (_default(parameter), _translated()["Parameters"][parameter]["MinValue"]) == (0, 0)


def test_what_the_default_deploy_runs_at_once_fits_the_smallest_quota() -> None:
    """Guard: the maximum concurrency of the SQS mappings and of the backfill maps, by parameters
    whose defaults fit an account whose whole concurrency quota is 10 (with room for the HTTP routes,
    feedback and the scheduled runs)."""
    mappings = _of_type(_resources(), "AWS::Lambda::EventSourceMapping")
    bounded = {
        m["Properties"]["EventSourceArn"]["Fn::GetAtt"][0]: m["Properties"]["ScalingConfig"]["MaximumConcurrency"]
        for m in mappings.values()
        if m["Properties"]["EventSourceArn"]["Fn::GetAtt"][0] in ("ScanQueue", "SendQueue")
    }
    assert bounded == {"ScanQueue": {"Ref": "ScanMaxConcurrency"}, "SendQueue": {"Ref": "SendMaxConcurrency"}}
    backfill = _default("BackfillFileConcurrency") * _default("BackfillBatchConcurrency")
    queues = _default("ScanMaxConcurrency") + _default("SendMaxConcurrency")
    # What is left serves a webhook request, a feedback notification and a scheduled run at once.
    assert queues + backfill <= SMALLEST_QUOTA - 3


def test_scan_queue_hides_a_message_for_six_times_the_scan_timeout() -> None:
    """Guard: ScanQueue's VisibilityTimeout, at least 6 x ScanFunction's timeout (AWS's guidance for
    SQS event sources), so a throttled or retried invocation's message is not received twice."""
    resources = _resources()
    timeout = resources["ScanFunction"]["Properties"]["Timeout"]
    assert resources["ScanQueue"]["Properties"]["VisibilityTimeout"] >= 6 * timeout


# --- The backfill's maps -------------------------------------------------------------------------


def _definition() -> dict[str, Any]:
    machine = _resources()["BackfillStateMachine"]["Properties"]
    text = "\n".join(machine["DefinitionString"]["Fn::Join"][1])
    substitutions = {name: f"<{name}>" for name in machine["DefinitionSubstitutions"]}
    definition: dict[str, Any] = json.loads(re.sub(r"\$\{(\w+)\}", lambda m: substitutions[m.group(1)], text))
    return definition


def _maps(states: dict[str, Any]) -> dict[str, Any]:
    found = {}
    for name, state in states.items():
        if state["Type"] == "Map":
            found[name] = state
            found.update(_maps(state["ItemProcessor"]["States"]))
    return found


def test_every_backfill_map_runs_as_many_at_once_as_its_parameter_says() -> None:
    """Guard: MaxConcurrencyPath on each map, fed by the Limits state from BackfillFileConcurrency and
    BackfillBatchConcurrency (MaxConcurrency takes only a literal; it was 4 files x 8 batches)."""
    definition = _definition()
    maps = _maps(definition["States"])
    assert set(maps) == {"Files", "JsonLinesRows", "CsvRows"}
    assert all("MaxConcurrency" not in m for m in maps.values())
    assert maps["Files"]["MaxConcurrencyPath"] == "$.file_concurrency"
    assert maps["JsonLinesRows"]["MaxConcurrencyPath"] == maps["CsvRows"]["MaxConcurrencyPath"] == "$.batch_concurrency"
    limits = definition["States"][definition["StartAt"]]["Parameters"]
    assert limits["file_concurrency.$"] == "States.StringToJson('<FileConcurrency>')"
    assert limits["batch_concurrency.$"] == "States.StringToJson('<BatchConcurrency>')"
    assert maps["Files"]["ItemSelector"]["batch_concurrency.$"] == "$.batch_concurrency"
    substitutions = _resources()["BackfillStateMachine"]["Properties"]["DefinitionSubstitutions"]
    assert substitutions["FileConcurrency"] == {"Ref": "BackfillFileConcurrency"}
    assert substitutions["BatchConcurrency"] == {"Ref": "BackfillBatchConcurrency"}


@pytest.mark.parametrize("row_map", ["JsonLinesRows", "CsvRows"])
def test_a_row_map_tolerates_a_few_failed_batches_and_records_each(row_map: str) -> None:
    """Guard: ToleratedFailurePercentage above 0 on the row maps (one poison batch no longer fails a
    million-row import), with every failed batch caught, written under failed/<run>/ and still failed."""
    row = _maps(_definition()["States"])[row_map]
    assert 0 < row["ToleratedFailurePercentage"] <= 10
    states = row["ItemProcessor"]["States"]
    apply = states[row["ItemProcessor"]["StartAt"]]
    (catch,) = apply["Catch"]
    assert catch["ErrorEquals"] == ["States.ALL"]
    describe = states[catch["Next"]]
    record = states[describe["Next"]]
    assert record["Resource"] == "arn:aws:states:::aws-sdk:s3:putObject"
    assert record["Parameters"]["Key.$"].startswith("States.Format('failed/{}/")
    assert states[record["Next"]]["Type"] == "Fail"  # it still counts against the tolerance
    assert set(describe["Parameters"]) == {"run_id.$", "key.$", "first_index.$", "rows.$", "error.$"}


# --- SMS delivery-status logging -----------------------------------------------------------------


def _sms_log_groups(resources: dict[str, Any]) -> list[str]:
    groups = _of_type(resources, "AWS::Logs::LogGroup").values()
    return sorted(
        _sub_text(g["Properties"]["LogGroupName"])
        for g in groups
        if SMS_LOG_GROUP.match(_sub_text(g["Properties"]["LogGroupName"]))
    )


def test_no_fixed_name_log_group_unless_asked() -> None:
    """Guard: the CreateSmsDeliveryLogGroups condition. SNS names these groups per account and region:
    creating them fails where delivery logging was ever on, and for a second stack in the account."""
    resources = _resources()
    assert _sms_log_groups(resources) == []
    assert _of_type(resources, "AWS::Logs::SubscriptionFilter") == {}
    assert "SmsDeliveryStatusRole" not in resources
    assert "SmsDeliveryStatusRoleArn" not in _deploy()["Outputs"]


def test_existing_sms_log_groups_are_subscribed_to_not_created() -> None:
    resources = _resources(SmsDeliveryStatusLogs="existing")
    assert _sms_log_groups(resources) == []
    filters = _of_type(resources, "AWS::Logs::SubscriptionFilter")
    names = sorted(_sub_text(f["Properties"]["LogGroupName"]) for f in filters.values())
    assert [SMS_LOG_GROUP.match(name) is not None for name in names] == [True, True]
    assert {json.dumps(f["Properties"]["DestinationArn"]) for f in filters.values()} == {
        json.dumps({"Fn::GetAtt": ["FeedbackFunction", "Arn"]})
    }
    permissions = [
        p
        for p in _of_type(resources, "AWS::Lambda::Permission").values()
        if p["Properties"]["Principal"] == "logs.amazonaws.com"
    ]
    assert len(permissions) == 2
    assert "SmsDeliveryStatusRoleArn" in _deploy(SmsDeliveryStatusLogs="existing")["Outputs"]


def test_sms_log_groups_are_created_when_asked() -> None:
    resources = _resources(SmsDeliveryStatusLogs="create")
    assert len(_sms_log_groups(resources)) == 2
    filters = _of_type(resources, "AWS::Logs::SubscriptionFilter").values()
    assert sorted(f["Properties"]["LogGroupName"]["Ref"] for f in filters) == [
        "SmsDeliveryLogGroup",
        "SmsFailureLogGroup",
    ]


def test_the_sms_delivery_status_role_may_create_its_log_groups() -> None:
    """The SNS developer guide lists logs:CreateLogGroup for the delivery-status role."""
    role = _resources(SmsDeliveryStatusLogs="existing")["SmsDeliveryStatusRole"]["Properties"]
    (statement,) = role["Policies"][0]["PolicyDocument"]["Statement"]
    assert {"logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"} <= set(statement["Action"])
    assert all(
        SMS_LOG_GROUP.match(_sub_text(arn).split("log-group:", 1)[1].removesuffix(":*"))
        for arn in statement["Resource"]
    )


# --- Data kept, except after a failed first create -----------------------------------------------


def test_every_data_store_is_retained_except_on_a_failed_create() -> None:
    """Guard: DeletionPolicy RetainExceptOnCreate. With Retain, a failed first create left 5 tables and
    2 buckets behind, and every retry made new ones."""
    resources = _resources()
    stores = {**_of_type(resources, "AWS::DynamoDB::Table"), **_of_type(resources, "AWS::S3::Bucket")}
    policies = {lid: r.get("DeletionPolicy") for lid, r in stores.items()}
    assert policies.pop("IdempotencyTable") == "Delete"  # 24-hour records, disposable by design
    assert len(policies) == 8  # 5 tables, 3 buckets (ProgramBucket: the published program versions)
    assert set(policies.values()) == {"RetainExceptOnCreate"}
    assert {r.get("UpdateReplacePolicy") for lid, r in stores.items() if lid in policies} == {"Retain"}
    assert not [lid for lid, r in resources.items() if r.get("DeletionPolicy") == "Retain"]


# --- The sender ------------------------------------------------------------------------------------


def test_sender_email_has_no_default_and_a_pattern_that_refuses_placeholders() -> None:
    """Guard: SenderEmail without a Default (the guided deploy offered noreply@example.com, which SES
    refuses for every message) and with an AllowedPattern: a bare address at a domain that can be
    verified (a display name no longer matches the sending policy's ses:FromAddress)."""
    parameter = _translated()["Parameters"]["SenderEmail"]
    assert "Default" not in parameter
    pattern = re.compile(parameter["AllowedPattern"])
    for good in ("noreply@acmeshop.com", "win.back+1@mail.acmeshop.co.uk"):
        assert pattern.fullmatch(good), good
    for bad in (
        "noreply@example.com",
        "noreply@mail.example.org",
        "shop@acme.test",
        "Acme Shop <noreply@acmeshop.com>",
        "noreply@acmeshop",
        "",
    ):
        assert not pattern.fullmatch(bad), bad


def test_the_sending_domain_identity_is_created_only_when_asked_with_dkim() -> None:
    assert _of_type(_resources(), "AWS::SES::EmailIdentity") == {}
    deploy = _deploy(CreateSenderDomainIdentity="true")
    (identity,) = _of_type(deploy["Resources"], "AWS::SES::EmailIdentity").values()
    properties = identity["Properties"]
    assert properties["EmailIdentity"] == {"Fn::Select": [1, {"Fn::Split": ["@", {"Ref": "SenderEmail"}]}]}
    assert properties["DkimSigningAttributes"] == {"NextSigningKeyLength": "RSA_2048_BIT"}
    assert properties["ConfigurationSetAttributes"] == {"ConfigurationSetName": {"Ref": "EmailConfigurationSet"}}
    assert "MailFromAttributes" not in properties
    dkim = [name for name in deploy["Outputs"] if name.startswith("SenderDomainDkimRecord")]
    assert len(dkim) == 3
    with_mail_from = _resources(CreateSenderDomainIdentity="true", MailFromDomain="bounce.acmeshop.com")
    assert with_mail_from["SenderDomainIdentity"]["Properties"]["MailFromAttributes"] == {
        "MailFromDomain": {"Ref": "MailFromDomain"},
        "BehaviorOnMxFailure": "USE_DEFAULT_VALUE",
    }


# --- Alarms reach someone --------------------------------------------------------------------------


def test_alarm_email_is_required_with_an_explicit_opt_out() -> None:
    """Guard: AlarmEmail without a Default: the alarms went to a topic nobody read."""
    parameter = _translated()["Parameters"]["AlarmEmail"]
    assert "Default" not in parameter
    pattern = re.compile(parameter["AllowedPattern"])
    assert pattern.fullmatch("none") and pattern.fullmatch("ops@acmeshop.com") and not pattern.fullmatch("")
    assert "AlarmEmailSubscription" in _resources()
    assert "AlarmEmailSubscription" not in _resources(AlarmEmail="none")


def test_sms_spend_alarm_fires_at_a_share_of_the_accounts_limit() -> None:
    """Guard: SmsSpendAlarm divides the month's spend by SmsMonthlySpendLimitUSD (a new account's
    limit is 1 USD, which an alarm at 50 USD could never precede)."""
    parameters = _translated()["Parameters"]
    assert parameters["SmsMonthlySpendLimitUSD"]["Default"] == 1
    assert 0 < parameters["SmsSpendAlarmPercent"]["Default"] < 100
    alarm = _resources()["SmsSpendAlarm"]["Properties"]
    (returned,) = [m for m in alarm["Metrics"] if m.get("ReturnData", True)]
    assert returned["Expression"] == {"Fn::Sub": "100 * spent / ${SmsMonthlySpendLimitUSD}"}
    (spent,) = [m for m in alarm["Metrics"] if m["Id"] == "spent"]
    assert spent["MetricStat"]["Metric"] == {"Namespace": "AWS/SNS", "MetricName": "SMSMonthToDateSpentUSD"}
    assert alarm["Threshold"] == {"Ref": "SmsSpendAlarmPercent"}


# --- Scheduled runs that fail are kept -------------------------------------------------------------


def test_a_failed_scheduled_run_lands_on_a_queue_with_an_alarm() -> None:
    """Guard: each scheduled function's EventInvokeConfig OnFailure destination and its schedule's
    DeadLetterConfig. The scheduler invokes asynchronously: a throwing run was retried twice by
    Lambda, then dropped without a trace."""
    resources = _resources()
    schedules = _of_type(resources, "AWS::Scheduler::Schedule")
    assert len(schedules) == 5
    for schedule in schedules.values():
        target = schedule["Properties"]["Target"]
        assert target["DeadLetterConfig"] == {"Arn": {"Fn::GetAtt": ["ScheduleDLQ", "Arn"]}}
        function = target["Arn"]["Fn::GetAtt"][0]
        (config,) = [
            c["Properties"]
            for c in _of_type(resources, "AWS::Lambda::EventInvokeConfig").values()
            if c["Properties"]["FunctionName"] == {"Ref": function}
        ]
        assert config["DestinationConfig"]["OnFailure"]["Destination"] == {"Fn::GetAtt": ["ScheduleDLQ", "Arn"]}
    alarm = resources["ScheduleDLQAlarm"]["Properties"]
    assert alarm["Dimensions"] == [{"Name": "QueueName", "Value": {"Fn::GetAtt": ["ScheduleDLQ", "QueueName"]}}]


# --- Outputs ----------------------------------------------------------------------------------------


def test_the_outputs_name_what_an_operator_needs_after_deploy() -> None:
    outputs = _deploy()["Outputs"]
    assert outputs["WebhookSecretArn"]["Value"] == {"Ref": "WebhookSecret"}
    assert outputs["SegmentSecretArn"]["Value"] == {"Ref": "SegmentSecret"}
    assert outputs["AlarmTopicArn"]["Value"] == {"Ref": "AlarmTopic"}
    assert outputs["EmailConfigurationSetName"]["Value"] == {"Ref": "EmailConfigurationSet"}
    assert outputs["ScheduleDLQUrl"]["Value"] == {"Ref": "ScheduleDLQ"}
    sms = _deploy(SmsDeliveryStatusLogs="create")["Outputs"]["SmsDeliveryStatusRoleArn"]
    assert sms["Value"] == {"Fn::GetAtt": ["SmsDeliveryStatusRole", "Arn"]}
