"""The in-app inbox on moto: delivered once per key, listed newest first, read once, served only over IAM."""

from __future__ import annotations

import copy
import importlib.util
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any
from unittest import mock

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from tests.integration.helpers import create_keyed_table, fake_aws_env
from winback.adapters import clients
from winback.adapters.inbox_store import InboxChannel, InboxStore
from winback.content.rendering import Rendered
from winback.models.delivery import Rejected, Throttled, Uncertain
from winback.models.outbound import Outbound
from winback.runtime.deps import reset
from winback.services.recipient.inbox import read_inbox
from winback_dev.lambda_events import FakeContext

ROOT = Path(__file__).resolve().parents[2]
TABLE = "MessagingTable"
T0 = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
# The handler reads with the system clock, so what it serves must not have expired by then.
RECENT = datetime.now(UTC) - timedelta(days=2)


class FixedClock:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def now(self) -> datetime:
        return self.at


def _create_messaging_table() -> None:
    create_keyed_table(TABLE)


def _load_handler_module() -> ModuleType:
    """functions/inbox/app.py under a name of its own, the way winback_dev.handlers loads the others."""
    spec = importlib.util.spec_from_file_location("winback_functions.inbox", ROOT / "functions/inbox/app.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def store(monkeypatch: pytest.MonkeyPatch) -> Iterator[InboxStore]:
    fake_aws_env(
        monkeypatch, ACTIVITY_TABLE="ActivityTable", SUPPRESSION_TABLE="SuppressionTable", MESSAGING_TABLE=TABLE
    )
    with mock_aws():
        reset()
        _create_messaging_table()
        yield InboxStore(TABLE)
        reset()


@pytest.fixture
def handler(store: InboxStore) -> Any:
    return _load_handler_module().lambda_handler


def _deliver(store: InboxStore, user_id: str, key: str, at: datetime, title: str = "We miss you") -> str:
    return store.deliver(
        user_id, key, title, "10% off your next order", "https://shop.example.com/?c=1", "c1", 0, at, 30
    )


def _message(key: str) -> Outbound:
    content = Rendered(subject="t", text="b", html="")
    return Outbound("inbox", "u1", "", key, content, "c1", 0, cta_url="https://x.example")


def _event(user_id: str = "u-1001", query: dict[str, str] | None = None, iam: bool = True) -> dict[str, Any]:
    event: dict[str, Any] = copy.deepcopy(json.loads((ROOT / "events/inbox_get.json").read_text(encoding="utf-8")))
    path = f"/users/{user_id}/inbox"
    event["rawPath"] = event["requestContext"]["http"]["path"] = path
    event["pathParameters"] = {"user_id": user_id}
    event["queryStringParameters"] = query
    event["rawQueryString"] = "&".join(f"{k}={v}" for k, v in (query or {}).items())
    if not iam:
        del event["requestContext"]["authorizer"]
    return event


def _get(handler: Any, event: dict[str, Any]) -> tuple[int, Any]:
    reply = handler(event, FakeContext(function_name="inbox"))
    return reply["statusCode"], json.loads(reply["body"])


def test_delivering_the_same_key_twice_stores_one_message(store: InboxStore) -> None:
    first = _deliver(store, "u1", "c1#0#2026-01-01", T0, title="first")
    again = _deliver(store, "u1", "c1#0#2026-01-01", T0 + timedelta(hours=1), title="second")
    assert again == first
    messages = store.list("u1", 50)
    assert [(m.id, m.title, m.created_at) for m in messages] == [(first, "first", T0)]


def test_messages_are_listed_newest_first_and_limited(store: InboxStore) -> None:
    ids = [_deliver(store, "u1", f"c1#{n}#e", T0 + timedelta(days=n)) for n in (1, 3, 0, 2)]
    newest_first = [ids[1], ids[3], ids[0], ids[2]]
    assert [m.id for m in store.list("u1", 50)] == newest_first
    assert [m.id for m in store.list("u1", 2)] == newest_first[:2]


def test_expired_messages_are_not_listed_before_ttl_deletes_them(store: InboxStore) -> None:
    old = _deliver(store, "u1", "old", T0)
    new = _deliver(store, "u1", "new", T0 + timedelta(days=20))
    assert [m.id for m in store.list("u1", 50, now=T0 + timedelta(days=31))] == [new]
    assert {m.id for m in store.list("u1", 50)} == {old, new}


def test_first_read_flags_unread_and_marks_read_second_read_does_not(store: InboxStore) -> None:
    mid = _deliver(store, "u1", "k", T0)
    first = read_inbox(store, "u1", 20, T0 + timedelta(hours=1))
    assert [(e.id, e.unread, e.read_at) for e in first.messages] == [(mid, True, None)]
    assert first.unread == 1
    second = read_inbox(store, "u1", 20, T0 + timedelta(hours=2))
    assert [(e.id, e.unread, e.read_at) for e in second.messages] == [(mid, False, T0 + timedelta(hours=1))]
    assert second.unread == 0


def test_mark_read_keeps_the_first_read_time(store: InboxStore) -> None:
    mid = _deliver(store, "u1", "k", T0)
    assert store.mark_read("u1", [mid], T0 + timedelta(hours=1)) == [mid]
    assert store.mark_read("u1", [mid], T0 + timedelta(hours=5)) == []
    assert store.list("u1", 1)[0].read_at == T0 + timedelta(hours=1)


def test_mark_read_never_creates_a_message_the_user_does_not_have(store: InboxStore) -> None:
    mid = _deliver(store, "u1", "k", T0)
    assert store.mark_read("u2", [mid], T0) == []
    assert store.list("u2", 50) == []


def test_messages_of_another_user_are_never_returned(store: InboxStore, handler: Any) -> None:
    theirs = _deliver(store, "u1", "k", RECENT)
    mine = _deliver(store, "u10", "k", RECENT)
    status, body = _get(handler, _event("u10"))
    assert status == 200
    assert [m["id"] for m in body["messages"]] == [mine]
    assert [(m.id, m.read_at) for m in store.list("u1", 50)] == [(theirs, None)]


def test_handler_returns_the_inbox_newest_first_and_marks_it_read(store: InboxStore, handler: Any) -> None:
    older = _deliver(store, "u-1001", "c1#0#e", RECENT)
    newer = _deliver(store, "u-1001", "c1#1#e", RECENT + timedelta(days=1))
    status, body = _get(handler, _event(query={"limit": "20"}))
    assert status == 200
    assert [(m["id"], m["unread"]) for m in body["messages"]] == [(newer, True), (older, True)]
    assert set(body["messages"][0]) == {
        "id",
        "title",
        "body",
        "cta_url",
        "opt_out_url",
        "created_at",
        "read_at",
        "unread",
    }
    assert body["unread"] == 2
    status, body = _get(handler, _event(query={"limit": "1"}))
    assert status == 200
    assert [(m["id"], m["unread"]) for m in body["messages"]] == [(newer, False)]


def test_request_without_iam_authorization_is_403_and_marks_nothing(store: InboxStore, handler: Any) -> None:
    _deliver(store, "u-1001", "k", RECENT)
    status, body = _get(handler, _event(iam=False))
    assert status == 403
    assert "IAM" in body["message"]
    assert store.list("u-1001", 1)[0].read_at is None


@pytest.mark.parametrize("limit", ["0", "51", "abc", "-1", "5,10", ""])
def test_bad_limit_is_400(store: InboxStore, handler: Any, limit: str) -> None:
    status, body = _get(handler, _event(query={"limit": limit}))
    assert status == 400
    assert "limit" in body["message"]


@pytest.mark.parametrize("user_id", ["a%2Fb", "a%20b", "x" * 129, "%F0%9F%98%80"])
def test_bad_user_id_is_400(store: InboxStore, handler: Any, user_id: str) -> None:
    status, body = _get(handler, _event(user_id))
    assert status == 400
    assert "user_id" in body["message"]


def test_percent_encoded_user_id_is_decoded(store: InboxStore, handler: Any) -> None:
    mid = _deliver(store, "ann@shop", "k", RECENT)
    status, body = _get(handler, _event("ann%40shop"))
    assert status == 200
    assert [m["id"] for m in body["messages"]] == [mid]


def _dynamodb_error(code: str, status: int) -> ClientError:
    response: Any = {"Error": {"Code": code, "Message": code}, "ResponseMetadata": {"HTTPStatusCode": status}}
    return ClientError(response, "PutItem")


@pytest.mark.parametrize(
    ("code", "status", "outcome"),
    [
        ("ProvisionedThroughputExceededException", 400, Throttled),
        ("ThrottlingException", 400, Throttled),
        ("InternalServerError", 500, Uncertain),
        ("ValidationException", 400, Rejected),
    ],
)
def test_channel_maps_dynamodb_failures_to_send_outcomes(
    store: InboxStore, code: str, status: int, outcome: type[Exception]
) -> None:
    channel = InboxChannel(store, FixedClock(T0), ttl_days=30)
    with (
        mock.patch.object(clients.dynamodb(), "put_item", side_effect=_dynamodb_error(code, status)),
        pytest.raises(outcome),
    ):
        channel.send(_message("k"))


def test_channel_send_is_idempotent_and_expires_with_ttl(store: InboxStore) -> None:
    channel = InboxChannel(store, FixedClock(T0), ttl_days=30)
    first = channel.send(_message("c1#0#e"))
    assert channel.send(_message("c1#0#e")) == first
    items = boto3.client("dynamodb").query(
        TableName=TABLE,
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": "inbox#u1"}},
    )["Items"]
    assert len(items) == 1
    assert int(items[0]["expires_at"]["N"]) == int((T0 + timedelta(days=30)).timestamp())
