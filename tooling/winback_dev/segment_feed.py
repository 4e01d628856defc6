"""Part of the demo's traffic as a Segment webhook destination sends it: for some users, their
product views arrive as Segment `track` calls (Product Viewed) in `{"batch": [...]}` bodies signed
with the shared secret (X-Signature, HMAC-SHA1), and one batch is delivered twice, as a destination
retrying after a timeout would: its calls are applied once."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections import Counter
from datetime import datetime, timedelta
from typing import Any

from winback_dev.population import DemoUser
from winback_dev.runner import LocalRunner

BATCH = 100


def _calls(users: list[DemoUser], at: datetime) -> list[dict[str, Any]]:
    calls: list[dict[str, Any]] = []
    for n, user in enumerate(u for u in users if u.segment == "active"):
        viewed = at - timedelta(hours=1 + n % 48)
        calls.append(
            {
                "type": "track",
                "event": "Product Viewed",
                "userId": user.user_id,
                "messageId": f"ajs-demo-{user.user_id}-view",
                "timestamp": viewed.isoformat(timespec="seconds"),
                "properties": {"product_id": f"sku-{1 + n % 400}", "category": "shoes", "price": 49.0},
                "context": {"library": {"name": "analytics.js", "version": "2.11.1"}},
            }
        )
    return calls


def feed(runner: LocalRunner, secret: str, users: list[DemoUser], at: datetime) -> dict[str, int]:
    calls = _calls(users, at)
    totals: Counter[str] = Counter()
    bodies = [json.dumps({"batch": calls[i : i + BATCH]}) for i in range(0, len(calls), BATCH)]
    for body in [*bodies, *bodies[:1]]:  # the first batch again: a retried delivery
        signature = hmac.new(secret.encode(), body.encode(), hashlib.sha1).hexdigest()
        reply = runner.post_segment(body, {"X-Signature": signature})
        totals[f"http_{reply['statusCode']}"] += 1
        if reply["statusCode"] == 200:
            totals.update(
                {
                    k: v
                    for k, v in json.loads(reply["body"]).items()
                    if k in ("calls", "events", "applied", "already_applied")
                }
            )
    return dict(totals)
