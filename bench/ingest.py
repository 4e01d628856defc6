"""Benchmark 1: AWS API calls and DynamoDB capacity units per event ingested, through the real
ingest handler on moto.

Signed webhook requests of 100 events each: a pool of users, some new and some already known,
and in each request some users with several events. Counted inside the handler only. The same
requests, as Segment calls (identify, Signed In, Product Viewed, Order Completed), go through the
segment handler in a stack of their own, for its units per event.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import random
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3

from bench import calls
from bench.env import Session, invoke, moto_session
from winback_dev.lambda_events import http_event
from winback_dev.signing import signed_headers

REQUESTS = 20
EVENTS_PER_REQUEST = 100
USER_POOL = 1200


def _event(rng: random.Random, user_id: str, known: bool, at: datetime) -> dict[str, Any]:
    occurred = (at - timedelta(minutes=rng.uniform(0, 600))).isoformat(timespec="seconds")
    if not known:
        return {
            "user_id": user_id,
            "type": "profile",
            "occurred_at": occurred,
            "properties": {
                "email": f"{user_id}@mail.example.com",
                "locale": rng.choice(["en", "zh-CN"]),
                "time_zone": "Europe/London",
                "consent": {"email": True, "sms": False},
            },
        }
    kind = rng.choice(["login", "view", "view", "order"])
    properties: dict[str, Any] = {}
    if kind == "order":
        properties = {"amount": f"{rng.uniform(5, 300):.2f}", "currency": "USD", "item_id": f"sku-{rng.randrange(999)}"}
    elif kind == "view":
        properties = {"item_id": f"sku-{rng.randrange(999)}", "category": rng.choice(["shoes", "bags", "home"])}
    return {"user_id": user_id, "type": kind, "occurred_at": occurred, "properties": properties}


def _requests(rng: random.Random, now: datetime) -> list[tuple[list[dict[str, Any]], int]]:
    """(events, distinct users) per request."""
    known: set[str] = set()
    out: list[tuple[list[dict[str, Any]], int]] = []
    for _ in range(REQUESTS):
        distinct = rng.randrange(55, 75)
        users = rng.sample([f"user-{i:05d}" for i in range(USER_POOL)], distinct)
        owners = users + [rng.choice(users[: distinct // 3]) for _ in range(EVENTS_PER_REQUEST - distinct)]
        events = []
        seen_here: set[str] = set()
        for uid in owners:
            events.append(_event(rng, uid, uid in known or uid in seen_here, now))
            seen_here.add(uid)
        known |= seen_here
        out.append((events, distinct))
    return out


def _post(secret: str, events: list[dict[str, Any]], webhook_id: str) -> dict[str, Any]:
    body = json.dumps({"events": events}, separators=(",", ":"))
    reply: dict[str, Any] = invoke(
        "ingest", http_event("POST", "/events", body, signed_headers(secret, body, webhook_id))
    )
    if reply["statusCode"] != 200:
        raise RuntimeError(f"ingest answered {reply['statusCode']}: {reply.get('body')}")
    return reply


def segment_call(event: dict[str, Any], message_id: str) -> dict[str, Any]:
    """The Segment call that states what a webhook event of `_event` states."""
    props = event.get("properties", {})
    call: dict[str, Any] = {"userId": event["user_id"], "messageId": message_id, "timestamp": event["occurred_at"]}
    if event["type"] == "profile":
        traits = {"email": props["email"], "consent": props["consent"]}
        context = {"locale": props["locale"], "timezone": props["time_zone"]}
        return call | {"type": "identify", "traits": traits, "context": context}
    if event["type"] == "login":
        return call | {"type": "track", "event": "Signed In"}
    if event["type"] == "view":
        product = {"product_id": props["item_id"], "category": props["category"]}
        return call | {"type": "track", "event": "Product Viewed", "properties": product}
    order = {
        "total": float(props["amount"]),
        "currency": props["currency"],
        "products": [{"product_id": props["item_id"]}],
    }
    return call | {"type": "track", "event": "Order Completed", "properties": order}


def _post_segment(secret: str, events: list[dict[str, Any]], request: int) -> None:
    batch = [segment_call(e, f"ajs-{request:04d}-{i:03d}") for i, e in enumerate(events)]
    body = json.dumps({"batch": batch}, separators=(",", ":"))
    signature = hmac.new(secret.encode(), body.encode(), hashlib.sha1).hexdigest()
    reply = invoke("segment", http_event("POST", "/events/segment", body, {"x-signature": signature}))
    if reply["statusCode"] != 200:
        raise RuntimeError(f"segment answered {reply['statusCode']}: {reply.get('body')}")


def _segment_units(batches: list[tuple[list[dict[str, Any]], int]]) -> dict[str, Any]:
    """The same requests through POST /events/segment, on a stack of their own."""
    with moto_session() as session:
        arn = session.url("SegmentSecret")
        secret = boto3.client("secretsmanager").get_secret_value(SecretId=arn)["SecretString"]
        tally = calls.Tally(metered=True)
        for n, (events, _) in enumerate(batches):
            with calls.scope(tally):
                _post_segment(secret, events, n)
    events_total = sum(len(events) for events, _ in batches)
    return {
        "events": events_total,
        "calls_per_event": tally.total / events_total,
        "wru_per_event": tally.units.write / events_total,
        "rru_per_event": tally.units.read / events_total,
        "wru_by_table_per_event": per_table(tally.units.write_by_table, events_total, session),
        "rru_by_table_per_event": per_table(tally.units.read_by_table, events_total, session),
    }


def per_table(by_table: dict[str, float], n: int, session: Session) -> dict[str, float]:
    """Units per `n` by the table's logical id in template.yaml."""
    logical = {physical: lid for lid, physical in session.physical.items()}
    return {logical.get(table, table): units / n for table, units in sorted(by_table.items())}


def run() -> dict[str, Any]:
    rng = random.Random(5)
    now = datetime.now(UTC)
    with moto_session() as session:
        batches = _requests(rng, now)
        first = calls.Tally(metered=True)
        steady = calls.Tally(metered=True)
        users_total = 0
        for n, (events, distinct) in enumerate(batches):
            with calls.scope(first if n == 0 else steady):
                _post(session.webhook_secret, events, f"msg_bench_{n:04d}")
            users_total += distinct
        with calls.scope() as replay:  # an upstream retry of an accepted request
            _post(session.webhook_secret, batches[3][0], "msg_bench_0003")
    total = calls.Tally()
    total.add(first)
    total.add(steady)
    events_total = REQUESTS * EVENTS_PER_REQUEST
    return {
        "requests": REQUESTS,
        "events": events_total,
        "distinct_users_per_request": users_total / REQUESTS,
        "calls_total": total.total,
        "calls_per_event": total.total / events_total,
        "calls_per_request": total.total / REQUESTS,
        "calls_per_user_in_request": total.total / users_total,
        "first_request_calls": dict(first.calls),
        "by_operation_per_request": {k: v / REQUESTS for k, v in sorted(total.calls.items())},
        "by_operation_total": dict(sorted(total.calls.items())),
        "steady_calls_per_request": steady.total / (REQUESTS - 1),
        "replayed_request_calls": dict(replay.calls),
        "wru_per_event": total.units.write / events_total,
        "rru_per_event": total.units.read / events_total,
        "wru_by_table_per_event": per_table(total.units.write_by_table, events_total, session),
        "rru_by_table_per_event": per_table(total.units.read_by_table, events_total, session),
        "segment": _segment_units(batches),
    }
