"""Bulk backfill from S3: the local Distributed Map over a moto bucket, the real backfill handler,
the same event model and merge as the webhook, exact re-runs and retries, an errors file."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import boto3
import pytest

from tests.integration.conftest import Stack
from tests.integration.helpers import get_profile, sample_event
from winback.adapters.backfill_store import BackfillStore
from winback_dev import backfill
from winback_dev.signing import signed_headers

USERS = ("u-1001", "u-1002")
# What only the dedupe mechanism decides (webhook ids vs batch markers), not the history.
BOOKKEEPING = {"recent_batches", "version"}


def _sample_events() -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = json.loads(sample_event("ingest_post_events.json")["body"])["events"]
    return events


def _jsonl(events: list[dict[str, Any]]) -> bytes:
    return "".join(json.dumps(e, ensure_ascii=False) + "\n" for e in events).encode()


def _csv(events: list[dict[str, Any]]) -> bytes:
    rows = []
    for e in events:
        row = {k: e[k] for k in ("user_id", "type", "occurred_at")}
        for name, value in e.get("properties", {}).items():
            if name == "consent":
                row.update({f"consent.{c}": str(v).lower() for c, v in value.items()})
            else:
                row[name] = value
        rows.append(row)
    columns = sorted({c for r in rows for c in r}, key=lambda c: (c not in ("user_id", "type", "occurred_at"), c))
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns)
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


def _bucket(stack: Stack) -> str:
    return stack.table("BackfillBucket")


def _put(stack: Stack, key: str, body: bytes) -> None:
    boto3.client("s3").put_object(Bucket=_bucket(stack), Key=key, Body=body)


def _profiles() -> dict[str, dict[str, Any]]:
    found = {u: get_profile(u) for u in USERS}
    return {u: p.model_dump(exclude=BOOKKEEPING) for u, p in found.items() if p is not None}


def _webhook_profiles(stack: Stack) -> dict[str, dict[str, Any]]:
    body = json.dumps({"events": _sample_events()})
    event = sample_event("ingest_post_events.json")
    event["body"] = body
    event["headers"] = {**signed_headers(stack.webhook_secret, body), "host": "api.example.com"}
    assert stack.invoke("ingest", event)["statusCode"] == 200
    profiles = _profiles()
    client = boto3.client("dynamodb")
    for user in USERS:
        client.delete_item(TableName=stack.table("ActivityTable"), Key={"user_id": {"S": user}})
    return profiles


def _all_items(stack: Stack) -> dict[str, list[dict[str, Any]]]:
    client = boto3.client("dynamodb")
    out = {}
    for table in ("ActivityTable", "MessagingTable"):
        items = client.scan(TableName=stack.table(table))["Items"]
        out[table] = sorted(items, key=lambda i: json.dumps(i, sort_keys=True))
    return out


@pytest.mark.parametrize(("key", "encode"), [("imports/h/part-0.jsonl", _jsonl), ("imports/h/part-0.csv", _csv)])
def test_a_file_through_the_map_builds_the_profiles_the_webhook_builds(stack: Stack, key: str, encode: Any) -> None:
    """Guard: the child handler validates with the webhook's model and folds with its merge code,
    for JSON Lines and for CSV rows alike (no second, diverging merge)."""
    expected = _webhook_profiles(stack)
    _put(stack, key, encode(_sample_events()))
    _put(stack, "imports/h/README.txt", b"not history")

    counts = backfill.play_import(_bucket(stack), "imports/h/", "run-1")

    assert counts == {
        "files": 1,
        "files_skipped": 1,
        "batches": 1,
        "rows": 5,
        "applied": 5,
        "duplicates": 0,
        "rejected": 0,
        "users": 2,
        "batches_failed": 0,
        "rows_failed": 0,
    }
    assert _profiles() == expected
    xiaoming = get_profile("u-1001")
    assert xiaoming is not None and xiaoming.orders == 1 and xiaoming.spend_minor == {"CNY": 19900}


def test_batches_are_cut_as_the_template_item_batcher_says(stack: Stack) -> None:
    """Guard: the local map reads MaxItemsPerBatch from template.yaml (the template is the source
    of truth) and hands the handler the documented child input, `Items` and `BatchInput`."""
    reader = next(r for r in backfill.row_readers() if r.file_format == "jsonl")
    rows = [
        {"user_id": f"u-{i:04d}", "type": "login", "occurred_at": "2026-05-01T10:00:00Z"}
        for i in range(reader.max_items + 7)
    ]
    _put(stack, "imports/big.jsonl", _jsonl(rows))
    seen: list[dict[str, Any]] = []

    def invoke(child_input: dict[str, Any]) -> dict[str, Any]:
        seen.append(child_input)
        return dict.fromkeys(backfill.COUNTS, 0)

    backfill.play_import(_bucket(stack), "imports/", "run-1", invoke)
    assert [len(b["Items"]) for b in seen] == [reader.max_items, 7]
    assert seen[1]["Items"][0] == {"row": rows[reader.max_items], "index": reader.max_items}
    where = {"bucket": _bucket(stack), "key": "imports/big.jsonl", "run_id": "run-1", "format": "jsonl"}
    assert seen[0]["BatchInput"] == where


def test_rejected_rows_go_to_an_errors_file_naming_file_line_and_field(stack: Stack) -> None:
    """Guard: a bad row is rejected on its own (the good rows still apply) and the errors file
    names its file, line and the offending field."""
    events = _sample_events()
    events[1] = {**events[1], "properties": {**events[1]["properties"], "currency": "yuan"}}
    events.insert(3, {"user_id": "u-1002", "type": "teleport", "occurred_at": "2026-07-04T08:00:00Z"})
    _put(stack, "imports/bad.jsonl", _jsonl(events))

    counts = backfill.play_import(_bucket(stack), "imports/", "run-bad")

    assert (counts["rows"], counts["applied"], counts["rejected"]) == (6, 4, 2)
    s3 = boto3.client("s3")
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=_bucket(stack), Prefix="errors/run-bad/")["Contents"]]
    assert len(keys) == 1
    lines = s3.get_object(Bucket=_bucket(stack), Key=keys[0])["Body"].read().decode().splitlines()
    errors = [json.loads(line) for line in lines]
    assert [(e["file"], e["line"], e["field"]) for e in errors] == [
        ("imports/bad.jsonl", 2, "properties.currency"),
        ("imports/bad.jsonl", 4, "type"),
    ]
    xiaoming = get_profile("u-1001")
    assert xiaoming is not None and xiaoming.orders == 0 and xiaoming.email == "xiaoming@example.com"


def test_a_rerun_of_the_same_files_changes_nothing(stack: Stack) -> None:
    """Guard: the per-row marker, written in one transaction with the profile: a second run
    (another run id) finds every row applied and leaves every item as it was. The CSV states three
    of the JSON Lines file's events again: a row is what it says, so those are duplicates too."""
    _put(stack, "imports/h/a.jsonl", _jsonl(_sample_events()))
    _put(stack, "imports/h/b.csv", _csv(_sample_events()[2:]))
    first = backfill.play_import(_bucket(stack), "imports/h/", "run-1")
    before = _all_items(stack)

    second = backfill.play_import(_bucket(stack), "imports/h/", "run-2")

    assert _all_items(stack) == before
    assert (first["applied"], first["duplicates"]) == (5, 3)
    assert (second["applied"], second["duplicates"]) == (0, 8)


def _child_input(stack: Stack, events: list[dict[str, Any]], key: str = "imports/r.jsonl") -> dict[str, Any]:
    return {
        "BatchInput": {"bucket": _bucket(stack), "key": key, "run_id": "run-r", "format": "jsonl"},
        "Items": [{"row": e, "index": i} for i, e in enumerate(events)],
    }


def test_a_retried_child_batch_never_double_counts(stack: Stack, monkeypatch: pytest.MonkeyPatch) -> None:
    """Guard: a child batch that failed after writing some users (Step Functions retries it with the
    same Items) applies the rest once and skips the users already written: orders and spend once."""
    events = _sample_events()
    events.append({**events[1], "occurred_at": "2026-06-03T20:15:00+08:00"})
    logins = [{"user_id": f"u-2{i:03d}", "type": "login", "occurred_at": "2026-06-01T10:00:00Z"} for i in range(13)]
    child_input = _child_input(stack, events + logins)  # 15 users: two transactions of users
    real_commit_all = BackfillStore.commit_all
    calls = {"n": 0}

    def crash_on_second_transaction(self: BackfillStore, *args: Any) -> bool:
        calls["n"] += 1
        if calls["n"] == 2:
            raise TimeoutError("Lambda timed out")
        return real_commit_all(self, *args)

    monkeypatch.setattr(BackfillStore, "commit_all", crash_on_second_transaction)
    with pytest.raises(TimeoutError):
        stack.invoke("backfill", child_input)
    monkeypatch.setattr(BackfillStore, "commit_all", real_commit_all)

    retried = stack.invoke("backfill", child_input)
    again = stack.invoke("backfill", child_input)

    assert retried["rows"] == 19 and retried["applied"] + retried["duplicates"] == 19
    assert 0 < retried["applied"] < 19
    assert (again["applied"], again["duplicates"]) == (0, 19)
    xiaoming = get_profile("u-1001")
    assert xiaoming is not None and xiaoming.orders == 2 and xiaoming.spend_minor == {"CNY": 39800}
    alex = get_profile("u-1002")
    assert alex is not None and alex.event_counts == {"profile": 1, "login": 1, "view": 1}
    assert all((p := get_profile(f"u-2{i:03d}")) is not None and p.event_counts == {"login": 1} for i in range(13))


def test_a_profile_changed_meanwhile_is_merged_not_overwritten(stack: Stack, monkeypatch: pytest.MonkeyPatch) -> None:
    """Guard: the conditional write on the profile's version. A webhook write landing between the
    batch's read and its write cancels the transaction; the user is re-read and merged again, so
    both the live event and the history count."""
    real_read = BackfillStore.read
    state = {"done": False}

    def read_then_a_live_event_lands(self: BackfillStore, rows: Any) -> Any:
        found = real_read(self, rows)
        if not state["done"]:
            state["done"] = True
            body = json.dumps({"user_id": "u-1001", "type": "login", "occurred_at": "2026-07-01T09:00:00Z"})
            event = sample_event("ingest_post_events.json")
            event["body"] = body
            event["headers"] = {**signed_headers(stack.webhook_secret, body), "host": "api.example.com"}
            assert stack.invoke("ingest", event)["statusCode"] == 200
        return found

    monkeypatch.setattr(BackfillStore, "read", read_then_a_live_event_lands)
    result = stack.invoke("backfill", _child_input(stack, _sample_events()))

    assert (result["applied"], result["duplicates"]) == (5, 0)
    xiaoming = get_profile("u-1001")
    assert xiaoming is not None
    assert xiaoming.event_counts == {"login": 1, "profile": 1, "order": 1} and xiaoming.orders == 1


def test_winback_import_plays_the_map_and_prints_the_counts(stack: Stack, capsys: pytest.CaptureFixture[str]) -> None:
    """Guard: the `winback import s3://…/` command (no --stack-name) runs the local map and reports
    the run's counts; a URI that is not s3:// is refused with exit code 2."""
    from winback_dev.cli import main

    _put(stack, "imports/cli/a.jsonl", _jsonl(_sample_events()))
    assert main(["import", f"s3://{_bucket(stack)}/imports/cli/", "--run-id", "cli-1"]) == 0
    out = capsys.readouterr().out  # the handler's structured log lines come first
    printed = json.loads(out[out.index('{\n  "run_id"') :])
    assert (printed["run_id"], printed["status"], printed["rows"], printed["applied"]) == ("cli-1", "SUCCEEDED", 5, 5)
    assert backfill.progress(_bucket(stack), "cli-1")["applied"] == 5
    assert main(["import", "https://example.com/x"]) == 2


def test_a_row_from_the_future_is_refused_naming_occurred_at(stack: Stack) -> None:
    """Guard: the same bound as POST /events and Segment (now + CLOCK_SKEW_SECONDS) on this door: a
    row dated 2099 would make its user look active for good (never dormant)."""
    events = _sample_events()
    events.append({"user_id": "u-1001", "type": "login", "occurred_at": "2099-01-01T00:00:00Z"})
    _put(stack, "imports/future.jsonl", _jsonl(events))

    counts = backfill.play_import(_bucket(stack), "imports/", "run-future")

    assert (counts["rows"], counts["applied"], counts["rejected"]) == (6, 5, 1)
    s3 = boto3.client("s3")
    (key,) = [o["Key"] for o in s3.list_objects_v2(Bucket=_bucket(stack), Prefix="errors/run-future/")["Contents"]]
    (error,) = [json.loads(line) for line in s3.get_object(Bucket=_bucket(stack), Key=key)["Body"].read().splitlines()]
    assert (error["line"], error["field"], error["reason"]) == (6, "occurred_at", "is in the future")
    xiaoming = get_profile("u-1001")
    assert xiaoming is not None and xiaoming.last_seen_at is not None and xiaoming.last_seen_at.year < 2099


def _orders(count: int) -> list[dict[str, Any]]:
    """A shop's order history, sorted by user: a few users with many orders each."""
    return [
        {
            "user_id": f"u-3{i // 40:03d}",
            "type": "order",
            "occurred_at": f"2025-{1 + i % 12:02d}-{1 + i % 28:02d}T10:{i % 60:02d}:00Z",
            "properties": {"amount": f"{10 + i % 7}.50", "currency": "USD"},
        }
        for i in range(count)
    ]


def test_a_history_exported_again_with_one_more_line_on_top_applies_only_that_line(stack: Stack) -> None:
    """Guard: a row's identity is what it says (models/backfill.row_identity), never its line. The
    same export again with a new first line moves every row, and every batch boundary, by one: it
    used to count every order twice. Under another file name too."""
    reader = next(r for r in backfill.row_readers() if r.file_format == "jsonl")
    history = _orders(reader.max_items + 100)  # two batches, the boundary inside a user's orders
    _put(stack, "imports/v1/orders.jsonl", _jsonl(history))
    first = backfill.play_import(_bucket(stack), "imports/v1/", "run-v1")
    spend = {u: p.spend_minor for u in {r["user_id"] for r in history} if (p := get_profile(u)) is not None}

    newest = {
        "user_id": "u-3000",
        "type": "order",
        "occurred_at": "2026-01-02T10:00:00Z",
        "properties": {"amount": "99.00", "currency": "USD"},
    }
    _put(stack, "imports/v2/orders-2026-01-03.jsonl", _jsonl([newest, *history]))
    second = backfill.play_import(_bucket(stack), "imports/v2/", "run-v2")

    assert (first["applied"], first["duplicates"], first["batches"]) == (len(history), 0, 2)
    assert (second["applied"], second["duplicates"]) == (1, len(history))
    assert second["batches"] == 2
    after = {u: p.spend_minor for u in spend if (p := get_profile(u)) is not None}
    assert after == {**spend, "u-3000": {"USD": spend["u-3000"]["USD"] + 9900}}


def test_an_event_id_column_names_the_row_whatever_it_says(stack: Stack) -> None:
    """Guard: `event_id` (models/backfill.source_event_id) is the row's identity where the source has
    one: two identical orders with their own ids both count, and an id seen before counts once."""
    properties = {"amount": "19.90", "currency": "CNY"}
    order: dict[str, Any] = {
        "user_id": "u-1001",
        "type": "order",
        "occurred_at": "2026-02-14T20:15:00+08:00",
        "properties": properties,
    }
    rows = [{**order, "event_id": "o-1"}, {**order, "event_id": "o-2"}, order, order]
    _put(stack, "imports/ids/a.jsonl", _jsonl(rows))
    first = backfill.play_import(_bucket(stack), "imports/ids/", "run-ids-1")
    assert (first["applied"], first["duplicates"]) == (3, 1)  # the two rows without an id are one row

    _put(
        stack,
        "imports/ids/a.jsonl",
        _jsonl([{**order, "event_id": "o-2", "properties": {**properties, "amount": "5.00"}}]),
    )
    second = backfill.play_import(_bucket(stack), "imports/ids/", "run-ids-2")
    assert (second["applied"], second["duplicates"]) == (0, 1)
    xiaoming = get_profile("u-1001")
    assert xiaoming is not None and xiaoming.orders == 3 and xiaoming.spend_minor == {"CNY": 5970}


def _logins(count: int) -> list[dict[str, Any]]:
    return [{"user_id": f"u-{i:05d}", "type": "login", "occurred_at": "2026-05-01T10:00:00Z"} for i in range(count)]


def _failing_on(*first_indexes: int) -> backfill.Invoke:
    """A child invocation that fails (after its retries, as far as the map knows) for these batches."""

    def invoke(child_input: dict[str, Any]) -> dict[str, Any]:
        if child_input["Items"][0]["index"] in first_indexes:
            raise RuntimeError("Task timed out after 300.00 seconds")
        return {k: len(child_input["Items"]) if k in ("rows", "applied") else 0 for k in backfill.COUNTS}

    return invoke


def test_a_failed_batch_within_the_tolerance_is_recorded_and_counted_not_fatal(stack: Stack) -> None:
    """Guard: the row map's ToleratedFailurePercentage (5) with its Catch: one poison batch of 21 no
    longer fails a whole import, and its rows are accounted (failed/<run>/, batches_failed and
    rows_failed in the counts, `winback import` exits 1), never silently lost."""
    reader = next(r for r in backfill.row_readers() if r.file_format == "jsonl")
    assert reader.tolerated_failure_percent == 5
    _put(stack, "imports/big.jsonl", _jsonl(_logins(20 * reader.max_items + 1)))
    failed_at = 7 * reader.max_items

    counts = backfill.play_import(_bucket(stack), "imports/", "run-tolerated", _failing_on(failed_at))

    assert (counts["batches"], counts["batches_failed"], counts["rows_failed"]) == (20, 1, reader.max_items)
    assert counts["applied"] == 20 * reader.max_items + 1 - reader.max_items
    key = f"failed/run-tolerated/imports/big.jsonl@{failed_at}.json"
    record = json.loads(boto3.client("s3").get_object(Bucket=_bucket(stack), Key=key)["Body"].read())
    assert record == {
        "run_id": "run-tolerated",
        "key": "imports/big.jsonl",
        "first_index": failed_at,
        "rows": reader.max_items,
        "error": {"Error": "RuntimeError", "Cause": "Task timed out after 300.00 seconds"},
    }
    # How a deployed run is read back: its failed batches from failed/<run>/ (the stub wrote no progress).
    read_back = backfill.progress(_bucket(stack), "run-tolerated")
    assert (read_back["batches_failed"], read_back["rows_failed"]) == (1, reader.max_items)


def test_failed_batches_beyond_the_tolerance_fail_the_import(stack: Stack) -> None:
    reader = next(r for r in backfill.row_readers() if r.file_format == "jsonl")
    _put(stack, "imports/small.jsonl", _jsonl(_logins(3 * reader.max_items)))

    with pytest.raises(backfill.ImportFailed, match=r"imports/small.jsonl: 1 of 3 batches failed, more than the 5%"):
        backfill.play_import(_bucket(stack), "imports/", "run-intolerable", _failing_on(0))

    assert backfill.progress(_bucket(stack), "run-intolerable")["rows_failed"] == reader.max_items


def test_winback_import_exits_1_when_a_batch_failed(
    stack: Stack, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from winback_dev.cli import main

    reader = next(r for r in backfill.row_readers() if r.file_format == "jsonl")
    _put(stack, "imports/cli/big.jsonl", _jsonl(_logins(20 * reader.max_items + 1)))
    monkeypatch.setattr(backfill, "_invoke_handler", _failing_on(0))

    assert main(["import", f"s3://{_bucket(stack)}/imports/cli/", "--run-id", "cli-failed"]) == 1
    captured = capsys.readouterr()
    assert f"1 batches ({reader.max_items} rows) failed: see failed/cli-failed/" in captured.err
