"""Signing webhook requests as an upstream system does (Standard Webhooks)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from standardwebhooks.webhooks import Webhook


def signed_headers(secret: str, body: str, webhook_id: str | None = None, at: datetime | None = None) -> dict[str, str]:
    msg_id = webhook_id or f"msg_{uuid.uuid4().hex}"
    timestamp = at or datetime.now(UTC)
    signature = Webhook(secret).sign(msg_id=msg_id, timestamp=timestamp, data=body)
    return {
        "content-type": "application/json",
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(timestamp.timestamp())),
        "webhook-signature": signature,
    }
