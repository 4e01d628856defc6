"""The fields of a customer the send tests start from: one order at `last_order`, first and last
seen then, an email address with consent, English."""

from __future__ import annotations

from datetime import datetime
from typing import Any


def customer_fields(user_id: str, last_order: datetime) -> dict[str, Any]:
    return {
        "user_id": user_id,
        "first_seen_at": last_order,
        "last_seen_at": last_order,
        "last_event_at": {"order": last_order},
        "orders": 1,
        "email": f"{user_id}@mail.example.com",
        "locale": "en",
        "consent": {"email": True},
    }
