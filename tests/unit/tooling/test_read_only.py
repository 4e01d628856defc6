"""read_only(): inside it, an AWS call that is not a read raises before it leaves the process."""

from __future__ import annotations

import boto3
import pytest
from botocore.stub import Stubber

from winback_dev.read_only import WriteRefused, is_read, read_only


def test_reads_pass_and_writes_are_refused() -> None:
    """Guard: read_only patches BaseClient._make_api_call and lets only reads through."""
    client = boto3.client("dynamodb", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    with Stubber(client) as stub, read_only() as calls:
        stub.add_response("get_item", {}, {"TableName": "t", "Key": {"k": {"S": "1"}}})
        client.get_item(TableName="t", Key={"k": {"S": "1"}})
        with pytest.raises(WriteRefused, match=r"dynamodb\.PutItem"):
            client.put_item(TableName="t", Item={"k": {"S": "1"}})
    assert calls == {"GetItem": 1}


def test_an_allowed_operation_passes() -> None:
    client = boto3.client("sesv2", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    with Stubber(client) as stub, read_only(allow=("SendEmail",)):
        stub.add_response("send_email", {"MessageId": "m-1"})
        assert client.send_email(Content={"Raw": {"Data": b"x"}})["MessageId"] == "m-1"
        with pytest.raises(WriteRefused):
            client.create_email_identity(EmailIdentity="a@example.com")


def test_what_counts_as_a_read() -> None:
    reads = ("Scan", "Query", "GetItem", "BatchGetItem", "DescribeTable", "GetAccount", "GetSecretValue")
    writes = ("PutItem", "UpdateItem", "BatchWriteItem", "TransactWriteItems", "SendEmail", "Publish")
    assert all(is_read(op) for op in reads) and not any(is_read(op) for op in writes)
