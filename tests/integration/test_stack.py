"""template.yaml is the one source of infrastructure: what the product needs is there, and works on moto."""

from __future__ import annotations

import json
from typing import Any

import boto3

from tests.integration.conftest import Stack
from winback_dev.handlers import FUNCTIONS, REPO_ROOT
from winback_dev.stack import dependency_cycles
from winback_dev.template import translate_template


def _resources() -> dict[str, Any]:
    resources: dict[str, Any] = translate_template()["Resources"]
    return resources


def test_template_has_no_dependency_cycles() -> None:
    assert dependency_cycles(translate_template()) == []


def test_every_function_folder_is_a_function_in_the_template() -> None:
    template = (REPO_ROOT / "template.yaml").read_text(encoding="utf-8")
    for name in FUNCTIONS:
        assert f"CodeUri: functions/{name}/" in template
        assert (REPO_ROOT / "functions" / name / "app.py").is_file()


def test_every_queue_has_a_dlq_with_an_alarm() -> None:
    resources = _resources()
    queues = {k for k, v in resources.items() if v["Type"] == "AWS::SQS::Queue"}
    dlqs = {
        v["Properties"]["RedrivePolicy"]["deadLetterTargetArn"]["Fn::GetAtt"][0]
        for v in resources.values()
        if v["Type"] == "AWS::SQS::Queue" and "RedrivePolicy" in v.get("Properties", {})
    }
    function_dlqs = {
        v["Properties"]["DeadLetterConfig"]["TargetArn"]["Fn::GetAtt"][0]
        for v in resources.values()
        if v["Type"] == "AWS::Lambda::Function" and "DeadLetterConfig" in v["Properties"]
    }
    # Where asynchronous invocations that failed go (the scheduled functions' on-failure destination).
    destination_dlqs = {
        v["Properties"]["DestinationConfig"]["OnFailure"]["Destination"]["Fn::GetAtt"][0]
        for v in resources.values()
        if v["Type"] == "AWS::Lambda::EventInvokeConfig" and "OnFailure" in v["Properties"].get("DestinationConfig", {})
    }
    function_dlqs |= destination_dlqs
    assert queues == {"ScanQueue", "SendQueue"} | dlqs | function_dlqs
    alarmed = {
        d["Value"]["Fn::GetAtt"][0]
        for v in resources.values()
        if v["Type"] == "AWS::CloudWatch::Alarm"
        for d in v["Properties"].get("Dimensions", [])
        if isinstance(d["Value"], dict) and "Fn::GetAtt" in d["Value"]
    }
    assert dlqs | function_dlqs <= alarmed


def test_tables_are_on_demand_encrypted_and_recoverable() -> None:
    for name, resource in _resources().items():
        if resource["Type"] != "AWS::DynamoDB::Table":
            continue
        props = resource["Properties"]
        assert props["BillingMode"] == "PAY_PER_REQUEST", name
        assert props["SSESpecification"]["SSEEnabled"] is True, name
        if name != "IdempotencyTable":
            assert props["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True, name


def test_provisioned_stack_matches_the_template(stack: Stack) -> None:
    dynamodb = boto3.client("dynamodb")
    messaging = dynamodb.describe_table(TableName=stack.table("MessagingTable"))["Table"]
    assert [k["AttributeName"] for k in messaging["KeySchema"]] == ["pk", "sk"]
    ttl = dynamodb.describe_time_to_live(TableName=stack.table("MessagingTable"))["TimeToLiveDescription"]
    assert ttl == {"TimeToLiveStatus": "ENABLED", "AttributeName": "expires_at"}
    sqs = boto3.client("sqs")
    attrs = sqs.get_queue_attributes(QueueUrl=stack.table("SendQueue"), AttributeNames=["RedrivePolicy"])
    redrive = json.loads(attrs["Attributes"]["RedrivePolicy"])
    assert int(redrive["maxReceiveCount"]) == 5
    assert redrive["deadLetterTargetArn"].endswith(stack.table("SendDLQ").rsplit("/", 1)[-1])
