"""Deferred jobs on moto: stored by due time, released to the SendQueue only when due, deleted only after
SQS accepted them, never deleted when re-deferred meanwhile, read from every shard; and the hourly handler."""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

import boto3
import pytest
from moto import mock_aws

from tests.integration.helpers import create_keyed_table, fake_aws_env, sample_event
from winback.adapters import deferral_store
from winback.adapters.deferral_store import DeferralStore, due_at_text, shard_of
from winback.adapters.queues import EnqueueFailed
from winback.adapters.queues import send_all as real_send_all
from winback.runtime.deps import reset
from winback.services import release
from winback.services.release import release_due
from winback_dev.lambda_events import FakeContext

NOW = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)
APP = Path(__file__).resolve().parents[2] / "functions" / "release" / "app.py"


@dataclass
class Aws:
    table: str
    queue_url: str

    def store(self, shards: int = 8) -> DeferralStore:
        return DeferralStore(self.table, shards)

    def queued(self) -> list[str]:
        """Every body on the queue (each received once)."""
        sqs = boto3.client("sqs")
        bodies: list[str] = []
        while messages := sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10).get("Messages", []):
            bodies.extend(m["Body"] for m in messages)
        return bodies

    def stored_keys(self) -> set[str]:
        items = boto3.client("dynamodb").scan(TableName=self.table)["Items"]
        return {i["pk"]["S"].removeprefix("due#") for i in items}

    def item(self, key: str) -> dict[str, Any]:
        reply = boto3.client("dynamodb").get_item(
            TableName=self.table, Key={"pk": {"S": f"due#{key}"}, "sk": {"S": "job"}}
        )
        item: dict[str, Any] = reply["Item"]
        return item


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[Aws]:
    fake_aws_env(monkeypatch)
    with mock_aws():
        reset()
        table = "MessagingTable"
        create_keyed_table(table, due_index=True)
        queue_url = boto3.client("sqs").create_queue(QueueName="SendQueue")["QueueUrl"]
        for var, value in {"ACTIVITY_TABLE": "ActivityTable", "SUPPRESSION_TABLE": "SuppressionTable"}.items():
            monkeypatch.setenv(var, value)
        monkeypatch.setenv("MESSAGING_TABLE", table)
        monkeypatch.setenv("DEFERRAL_TABLE", table)
        monkeypatch.setenv("SEND_QUEUE_URL", queue_url)
        yield Aws(table, queue_url)
        reset()


def job(key: str) -> str:
    return json.dumps({"job": key, "note": "退订 is honoured"}, ensure_ascii=False)


def defer_many(store: DeferralStore, keys: Sequence[str], due: datetime = NOW) -> None:
    for key in keys:
        store.defer(key, job(key), due, "quiet_hours")


# --- the stored item ------------------------------------------------------------------------


def test_defer_stores_a_sparse_index_item_with_ttl(aws: Aws) -> None:
    due = datetime.fromisoformat("2026-11-25T16:30:00+08:00")
    aws.store().defer("u-1#dormant-offer#0", '{"x": 1}', due, "quiet_hours")
    item = aws.item("u-1#dormant-offer#0")
    assert item["due_shard"] == {"S": shard_of("u-1#dormant-offer#0", 8)}
    assert item["due_at"] == {"S": "2026-11-25T08:30:00.000000Z"}
    assert item["body"] == {"S": '{"x": 1}'} and item["kind"] == {"S": "quiet_hours"}
    assert int(item["expires_at"]["N"]) == int((due + timedelta(days=30)).timestamp())


def test_due_text_has_fixed_width_and_sorts_as_time() -> None:
    instants = [
        datetime(2026, 11, 25, 8, 0, 0, 500_000, tzinfo=UTC),
        datetime(2026, 11, 25, 8, 0, tzinfo=UTC),
        datetime.fromisoformat("2026-11-25T09:00:00+02:00"),  # 07:00 UTC
        datetime(2026, 11, 25, 7, 59, 59, 999_999, tzinfo=UTC),
    ]
    texts = [due_at_text(i) for i in instants]
    assert {len(t) for t in texts} == {27}
    assert sorted(texts) == [due_at_text(i) for i in sorted(instants)]


def test_naive_due_time_is_refused(aws: Aws) -> None:
    with pytest.raises(ValueError, match="aware"):
        aws.store().defer("k", "b", datetime(2026, 11, 25, 8), "quiet_hours")


def test_shard_is_stable_and_in_range() -> None:
    assert shard_of("u-1#dormant-offer#0", 8) == shard_of("u-1#dormant-offer#0", 8)
    assert {shard_of(f"k{i}", 8) for i in range(200)} == {str(s) for s in range(8)}


def test_deferring_the_same_key_again_replaces_the_job(aws: Aws) -> None:
    store = aws.store()
    store.defer("k", "first", NOW - timedelta(hours=1), "quiet_hours")
    store.defer("k", "second", NOW + timedelta(hours=1), "next_step")
    assert store.due(NOW, 10) == []
    [again] = store.due(NOW + timedelta(hours=1), 10)
    assert (again.body, again.kind, again.due) == ("second", "next_step", NOW + timedelta(hours=1))
    assert aws.stored_keys() == {"k"}


# --- release --------------------------------------------------------------------------------


def test_jobs_come_back_only_when_due(aws: Aws) -> None:
    store = aws.store()
    store.defer("early", job("early"), NOW - timedelta(hours=3), "quiet_hours")
    store.defer("exactly", job("exactly"), NOW, "capped")
    store.defer("later", job("later"), NOW + timedelta(seconds=1), "next_step")

    first = release_due(store, aws.queue_url, NOW, max_items=100)
    assert (first.released, first.removed, first.kept, first.more) == (2, 2, 0, False)
    assert sorted(aws.queued()) == sorted([job("early"), job("exactly")])
    assert aws.stored_keys() == {"later"}

    second = release_due(store, aws.queue_url, NOW + timedelta(hours=1), max_items=100)
    assert second.released == 1
    assert aws.queued() == [job("later")]
    assert aws.stored_keys() == set()


def test_released_messages_carry_exactly_the_deferred_bodies(aws: Aws) -> None:
    bodies = {f"k{i}": json.dumps({"recipients": [{"user_id": f"u{i}"}], "名": "小明", "n": i}) for i in range(23)}
    store = aws.store()
    for key, body in bodies.items():
        store.defer(key, body, NOW - timedelta(minutes=5), "quiet_hours")
    release_due(store, aws.queue_url, NOW, max_items=100)
    assert sorted(aws.queued()) == sorted(bodies.values())


def test_remove_spares_a_job_redeferred_after_it_was_read(aws: Aws) -> None:
    store = aws.store()
    store.defer("k", "body", NOW - timedelta(minutes=1), "quiet_hours")
    [read] = store.due(NOW, 10)
    store.defer("k", "body", NOW + timedelta(hours=9), "quiet_hours")
    assert store.remove(read) is False
    assert aws.item("k")["due_at"] == {"S": due_at_text(NOW + timedelta(hours=9))}
    [fresh] = store.due(NOW + timedelta(hours=9), 10)
    assert store.remove(fresh) is True
    assert aws.stored_keys() == set()


def test_release_keeps_a_job_redeferred_while_it_was_being_sent(aws: Aws, monkeypatch: pytest.MonkeyPatch) -> None:
    store = aws.store()
    defer_many(store, ["a", "b", "c"], NOW - timedelta(minutes=1))

    def send_then_redefer(queue_url: str, bodies: Sequence[str]) -> int:
        calls = real_send_all(queue_url, bodies)
        store.defer("b", job("b"), NOW + timedelta(hours=2), "next_step")  # the sender re-deferred it meanwhile
        return calls

    monkeypatch.setattr(release, "send_all", send_then_redefer)
    result = release_due(store, aws.queue_url, NOW, max_items=100)
    assert (result.released, result.removed, result.kept) == (3, 2, 1)
    assert aws.stored_keys() == {"b"}
    assert aws.item("b")["kind"] == {"S": "next_step"}


def test_sqs_failure_after_the_first_batch_leaves_unreleased_jobs_in_the_table(
    aws: Aws, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = aws.store()
    keys = [f"k{i:02d}" for i in range(25)]
    defer_many(store, keys, NOW - timedelta(minutes=1))
    calls: list[int] = []

    def fail_after_first(queue_url: str, bodies: Sequence[str]) -> int:
        calls.append(len(bodies))
        if len(calls) > 1:
            raise EnqueueFailed("SQS refused the batch")
        return real_send_all(queue_url, bodies)

    monkeypatch.setattr(release, "send_all", fail_after_first)
    with pytest.raises(EnqueueFailed):
        release_due(store, aws.queue_url, NOW, max_items=100)

    sent = [json.loads(b)["job"] for b in aws.queued()]
    assert calls[0] == 10 and len(sent) == 10
    assert aws.stored_keys() == set(keys) - set(sent)  # only what SQS accepted was deleted

    monkeypatch.setattr(release, "send_all", real_send_all)
    retry = release_due(store, aws.queue_url, NOW + timedelta(hours=1), max_items=100)
    assert retry.released == 15 and aws.stored_keys() == set()


def test_every_shard_is_read_and_an_early_stop_draws_from_all_of_them(aws: Aws) -> None:
    store = aws.store(shards=8)
    keys = [f"user-{i}#offer#0" for i in range(64)]
    assert {shard_of(k, 8) for k in keys} == {str(s) for s in range(8)}
    defer_many(store, keys, NOW - timedelta(minutes=1))

    assert {d.shard for d in store.due(NOW, 8)} == {str(s) for s in range(8)}
    result = release_due(store, aws.queue_url, NOW, max_items=1000)
    assert result.released == result.removed == 64
    assert sorted(json.loads(b)["job"] for b in aws.queued()) == sorted(keys)


def test_pages_of_one_shard_are_followed_to_the_end(aws: Aws, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(deferral_store, "_PAGE", 7)
    store = aws.store(shards=1)
    defer_many(store, [f"k{i:02d}" for i in range(30)], NOW - timedelta(minutes=1))
    result = release_due(store, aws.queue_url, NOW, max_items=1000)
    assert (result.released, result.removed, result.more) == (30, 30, False)
    assert aws.stored_keys() == set()


def test_stops_at_max_items_and_reports_that_more_remain(aws: Aws) -> None:
    store = aws.store()
    defer_many(store, [f"k{i}" for i in range(25)], NOW - timedelta(minutes=1))
    first = release_due(store, aws.queue_url, NOW, max_items=12)
    assert (first.released, first.removed, first.more) == (12, 12, True)
    assert len(aws.stored_keys()) == 13
    rest = release_due(store, aws.queue_url, NOW, max_items=12 + 13)
    assert (rest.released, rest.more) == (13, False)


def test_stops_after_a_group_when_told_time_is_up(aws: Aws) -> None:
    store = aws.store()
    defer_many(store, [f"k{i}" for i in range(25)], NOW - timedelta(minutes=1))
    result = release_due(store, aws.queue_url, NOW, max_items=1000, keep_going=lambda: False)
    assert (result.released, result.more) == (10, True)
    assert len(aws.queued()) == 10 and len(aws.stored_keys()) == 15


def test_nothing_due_reports_nothing_more(aws: Aws) -> None:
    aws.store().defer("later", "b", NOW + timedelta(hours=1), "quiet_hours")
    result = release_due(aws.store(), aws.queue_url, NOW, max_items=10, keep_going=lambda: False)
    assert (result.released, result.removed, result.kept, result.more) == (0, 0, 0, False)


# --- the hourly handler ---------------------------------------------------------------------


@pytest.fixture
def handler() -> Callable[[dict[str, Any], FakeContext], dict[str, Any]]:
    spec = importlib.util.spec_from_file_location("winback_functions.release", APP)
    assert spec is not None and spec.loader is not None
    module: ModuleType = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    fn: Callable[[dict[str, Any], FakeContext], dict[str, Any]] = module.lambda_handler
    return fn


def test_handler_releases_jobs_due_by_the_scheduled_time_and_emits_released(
    aws: Aws, handler: Callable[[dict[str, Any], FakeContext], dict[str, Any]], capsys: pytest.CaptureFixture[str]
) -> None:
    event = sample_event("release_schedule.json")
    scheduled = datetime.fromisoformat(event["time"])
    store = aws.store()
    store.defer("due", job("due"), scheduled - timedelta(minutes=30), "quiet_hours")
    store.defer("not-yet", job("not-yet"), scheduled + timedelta(minutes=30), "quiet_hours")

    reply = handler(event, FakeContext(function_name="release"))

    assert reply["released"] == 1 and reply["more"] is False
    assert aws.queued() == [job("due")]
    assert aws.stored_keys() == {"not-yet"}
    emitted = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    assert [m["Released"] for m in emitted if "Released" in m] == [[1.0]]  # EMF values are lists


def test_handler_stops_taking_groups_when_the_lambda_is_about_to_time_out(
    aws: Aws, handler: Callable[[dict[str, Any], FakeContext], dict[str, Any]]
) -> None:
    event = sample_event("release_schedule.json")
    defer_many(aws.store(), [f"k{i}" for i in range(25)], datetime.fromisoformat(event["time"]))
    reply = handler(event, FakeContext(function_name="release", remaining_ms=5_000))
    assert (reply["released"], reply["more"]) == (10, True)
    assert len(aws.stored_keys()) == 15
