"""The demo's moto TransactWriteItems (winback_dev.moto_transactions) stays all or nothing while it
copies only the items a transaction names."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from winback_dev import moto_transactions


@pytest.fixture
def table() -> Iterator[Any]:
    with mock_aws():
        moto_transactions.install()
        client = boto3.client("dynamodb", region_name="us-east-1")
        client.create_table(
            TableName="t",
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
            AttributeDefinitions=[
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "sk", "AttributeType": "S"},
            ],
            BillingMode="PAY_PER_REQUEST",
        )
        client.put_item(TableName="t", Item={"pk": {"S": "a"}, "sk": {"S": "1"}, "n": {"N": "1"}})
        yield client


def _items(client: Any) -> list[dict[str, Any]]:
    return sorted(client.scan(TableName="t")["Items"], key=lambda i: i["pk"]["S"])


def _add(pk: str) -> dict[str, Any]:
    return {
        "Update": {
            "TableName": "t",
            "Key": {"pk": {"S": pk}, "sk": {"S": "1"}},
            "UpdateExpression": "ADD n :one",
            "ExpressionAttributeValues": {":one": {"N": "1"}},
        }
    }


def test_a_cancelled_transaction_leaves_every_item_as_it_was(table: Any) -> None:
    """Guard: _put_back. The writes that ran before the refused put are undone."""
    before = _items(table)
    refused = {
        "Put": {
            "TableName": "t",
            "Item": {"pk": {"S": "a"}, "sk": {"S": "1"}},
            "ConditionExpression": "attribute_not_exists(pk)",
        }
    }
    fresh = {"Put": {"TableName": "t", "Item": {"pk": {"S": "b"}, "sk": {"S": "1"}}}}
    with pytest.raises(table.exceptions.TransactionCanceledException):
        table.transact_write_items(TransactItems=[_add("c"), fresh, refused])
    assert _items(table) == before
    # An item that existed and was changed before the refusal is put back as it was.
    refused_b = {**refused, "Put": {**refused["Put"], "Item": {"pk": {"S": "b"}, "sk": {"S": "1"}}}}
    table.put_item(TableName="t", Item={"pk": {"S": "b"}, "sk": {"S": "1"}})
    before = _items(table)
    with pytest.raises(table.exceptions.TransactionCanceledException):
        table.transact_write_items(TransactItems=[_add("a"), refused_b])
    assert _items(table) == before


def test_a_transaction_that_passes_is_applied(table: Any) -> None:
    table.transact_write_items(TransactItems=[_add("a"), _add("c")])
    assert [(i["pk"]["S"], i["n"]["N"]) for i in _items(table)] == [("a", "2"), ("c", "1")]
