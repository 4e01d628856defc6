"""Data subject rights end to end: after a demo-like run through the real handlers (webhooks, stats,
plan, scan, send, a deferred job, an unsubscribe, a reason answer, an audience export), erasing a
user leaves nothing of them in any table or in the bucket, item by item; export lists it all first.

Guards: services/privacy/erasure.py (each kind of record), adapters/user_records.py (the queries and the
CSV rewrite), SuppressionStore's hashed keys (the erased user stays suppressed, no plain address).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3

from tests.integration.conftest import Stack
from tests.integration.helpers import get_profile, suppression_item
from winback.adapters.deferral_store import DeferralStore
from winback.domain.audience.hashing import audience_row
from winback.domain.links.reason_links import sign_reason_token
from winback.domain.links.tokens import sign_token

NOW = datetime.now(UTC)
USERS = [f"u-{n:02d}" for n in range(16)]
TABLES = ("ActivityTable", "SuppressionTable", "MessagingTable", "DeferralTable", "IncentiveTable", "IdempotencyTable")


def _email(user: str) -> str:
    return f"{user}@mail.example.com"


def _phone(n: int) -> str:
    return f"+1415555{n:04d}"


def _seed(stack: Stack) -> None:
    runner = stack.runner
    for n, user in enumerate(USERS):
        long_ago = NOW - timedelta(days=130 + n)
        events: list[dict[str, Any]] = [
            {
                "user_id": user,
                "type": "profile",
                "occurred_at": long_ago.isoformat(),
                "properties": {
                    "name": f"Name {n}",
                    "email": _email(user),
                    "phone": _phone(n),
                    "locale": "en",
                    "time_zone": "UTC",
                    "consent": {"email": True, "sms": True, "ads": True},
                },
            },
            {"user_id": user, "type": "login", "occurred_at": long_ago.isoformat()},
            {
                "user_id": user,
                "type": "order",
                "occurred_at": (long_ago + timedelta(days=1)).isoformat(),
                "properties": {"amount": "20.00", "currency": "USD", "item_id": f"sku-{n}", "category": "shoes"},
            },
        ]
        assert runner.post_events(events)["statusCode"] == 200
    runner.fire_schedule(NOW - timedelta(hours=2), "stats")
    runner.fire_schedule(NOW, "plan")
    runner.drain("ScanQueue", "scan")
    runner.drain("SendQueue", "send")
    runner.fire_schedule(NOW, "export")


def _everything(stack: Stack) -> list[tuple[str, str]]:
    """Every item of every table and every object of the bucket, as (where, text)."""
    dynamodb, s3 = boto3.client("dynamodb"), boto3.client("s3")
    found = []
    for table in TABLES:
        for page in dynamodb.get_paginator("scan").paginate(TableName=stack.table(table)):
            found += [(table, json.dumps(item, sort_keys=True)) for item in page["Items"]]
    bucket = stack.table("AudienceBucket")
    for listing in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for obj in listing.get("Contents", []):
            found.append((obj["Key"], s3.get_object(Bucket=bucket, Key=obj["Key"])["Body"].read().decode()))
    return found


def _traces(user: str, n: int) -> list[str]:
    row = audience_row(_email(user), _phone(n)) or ()
    return [f'"{user}"', f"#{user}", f"{user}#", _email(user), _phone(n), *[c for c in row if c]]


def test_erasure_removes_every_record_of_the_user_and_nothing_of_others(stack: Stack) -> None:
    _seed(stack)
    target, other = "u-03", "u-04"
    n = USERS.index(target)
    # a deferred job carrying the target and another user (a full cap, say)
    job = {
        "run_id": "run-1",
        "campaign_id": "dormant-offer",
        "step": 1,
        "tier": "dormant",
        "recipients": [{"user_id": u, "episode": "e", "arm": "coupon", "segment": "s"} for u in (target, other)],
    }
    DeferralStore(stack.table("DeferralTable")).defer("job-1", json.dumps(job), NOW + timedelta(hours=3), "capped")
    unsubscribe = sign_token(stack.unsubscribe_key, target, "email", "dormant-offer", NOW, timedelta(days=30))
    assert stack.runner.http("POST", "/unsubscribe", {"token": unsubscribe})["statusCode"] == 200
    reason = sign_reason_token(stack.unsubscribe_key, target, "lost-question", "e1", "forgot", NOW, timedelta(days=3))
    assert stack.runner.http("POST", "/reasons", {"token": reason})["statusCode"] == 200

    before = _everything(stack)
    assert any(t in text for _, text in before for t in _traces(target, n))
    exported = stack.runner.http("GET", f"/users/{target}/export", {}, iam=True)
    assert exported["statusCode"] == 200
    document = json.loads(exported["body"])
    assert document["profile"]["email"] == _email(target) and document["consent"]["email"] is False
    assert document["answers"] and document["deferred_sends"] and document["suppression"]
    assert stack.runner.http("GET", f"/users/{target}/export", {})["statusCode"] == 403  # IAM only

    reply = stack.runner.http("DELETE", f"/users/{target}", {}, iam=True)
    assert reply["statusCode"] == 200, reply
    after = _everything(stack)
    leftovers = [(where, text) for where, text in after for t in _traces(target, n) if t in text]
    assert leftovers == [], leftovers
    # others keep everything: the other user is still in the deferred job, the audience and the tables
    assert any(_email(other) in text for where, text in after if where == "ActivityTable")
    assert any(f'\\"{other}\\"' in text for where, text in after if where == "DeferralTable")
    other_row = audience_row(_email(other), _phone(USERS.index(other))) or ()
    assert any(other_row[0] in text for where, text in after if where.endswith(".csv"))
    # the erased user stays suppressed, hashed only
    assert suppression_item(f"email#{_email(target)}") is not None
    assert all(f"email#{_email(target)}" not in text for _, text in after)

    # idempotent: a second erasure changes nothing
    assert stack.runner.http("DELETE", f"/users/{target}", {}, iam=True)["statusCode"] == 200
    assert _everything(stack) == after

    # a late webhook starts a fresh profile, nothing more
    late = [{"user_id": target, "type": "login", "occurred_at": NOW.isoformat()}]
    assert stack.runner.post_events(late)["statusCode"] == 200
    fresh = get_profile(target)
    assert fresh is not None and fresh.orders == 0 and fresh.email is None and fresh.assignment is None
    assert fresh.event_counts == {"login": 1}


def test_plain_suppression_entries_are_honoured_then_migrated(stack: Stack) -> None:
    """Guards: SuppressionStore.suppressed asks for both forms in one BatchGetItem while plain_lookup
    is on; `winback migrate-suppression` (forget_plain) leaves only hashed keys."""
    from tests.integration.helpers import count_calls
    from winback.adapters.suppression_store import SuppressionStore
    from winback_dev.cli import main

    table = stack.table("SuppressionTable")
    plain = "email#old@mail.example.com"
    boto3.client("dynamodb").put_item(
        TableName=table, Item={"address": {"S": plain}, "reason": {"S": "complaint"}, "at": {"S": NOW.isoformat()}}
    )
    addresses = [plain] + [f"email#user{n}@mail.example.com" for n in range(49)]
    with count_calls() as calls:
        assert SuppressionStore(table).suppressed(addresses) == {plain}
    assert calls["BatchGetItem"] == 1
    assert SuppressionStore(table, plain_lookup=False).suppressed([plain]) == set()  # not yet migrated
    assert main(["migrate-suppression"]) == 0
    keys = [item["address"]["S"] for item in boto3.client("dynamodb").scan(TableName=table)["Items"]]
    assert keys and all(key.startswith("sha256#") for key in keys)
    assert SuppressionStore(table, plain_lookup=False).suppressed([plain]) == {plain}
    assert suppression_item(plain) is not None and suppression_item(plain)["reason"]["S"] == "complaint"  # type: ignore[index]
    assert main(["migrate-suppression"]) == 0  # safe to run again


def test_the_cli_erases_and_exports(stack: Stack, capsys: Any) -> None:
    from winback_dev.cli import main

    assert (
        stack.runner.post_events([{"user_id": "u-cli", "type": "login", "occurred_at": NOW.isoformat()}])["statusCode"]
        == 200
    )
    capsys.readouterr()
    assert main(["export-user", "u-cli"]) == 0
    assert json.loads(capsys.readouterr().out)["profile"]["user_id"] == "u-cli"
    assert main(["erase", "u-cli"]) == 0
    assert json.loads(capsys.readouterr().out)["removed"]["profile"] == 1
    assert get_profile("u-cli") is None


def test_a_profile_expires_after_the_configured_days_only_when_set(stack: Stack, monkeypatch: Any) -> None:
    """Guard: ActivityStore._item's expires_at (PROFILE_TTL_DAYS; 0, the default, keeps profiles)."""
    from winback.runtime.deps import reset

    seen = NOW - timedelta(days=2)
    event = [{"user_id": "u-ttl", "type": "login", "occurred_at": seen.isoformat()}]
    assert stack.runner.post_events(event)["statusCode"] == 200
    item = boto3.client("dynamodb").get_item(TableName=stack.table("ActivityTable"), Key={"user_id": {"S": "u-ttl"}})
    assert "expires_at" not in item["Item"]
    monkeypatch.setenv("PROFILE_TTL_DAYS", "400")
    reset()
    event = [{"user_id": "u-ttl", "type": "view", "occurred_at": seen.isoformat()}]
    assert stack.runner.post_events(event)["statusCode"] == 200
    item = boto3.client("dynamodb").get_item(TableName=stack.table("ActivityTable"), Key={"user_id": {"S": "u-ttl"}})
    assert int(item["Item"]["expires_at"]["N"]) == int((seen + timedelta(days=400)).timestamp())
