"""Seeded user profiles written straight to ActivityTable (fast setup for the scan/send benchmarks).

Two mixes:
- ``dormant``: every user dormant (lapsing, dormant or lost), not yet handled, and reachable on
  email or SMS with consent: everyone the scan finds is a message to send.
- ``steady``: a daily run's table: 30% active, 68% dormant and already handled on an earlier day
  (``tier`` set), 2% who crossed into a tier since yesterday and are targeted today.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta
from itertools import islice
from typing import Any

from winback.adapters.dynamo import batch_put
from winback.domain.journey.dormancy import dormancy_tier
from winback.models.profile import Profile
from winback.runtime.deps import deps

CATEGORIES = ("shoes", "outerwear", "bags", "beauty", "home", "kids", "sports")
ZONES = ("America/New_York", "Europe/London", "Asia/Shanghai")


def _phone(rng: random.Random) -> str:
    number = f"+1415555{rng.randrange(1000, 9999)}"
    return number[:-2] + "98" if number.endswith("99") else number


def _profile(rng: random.Random, index: int, now: datetime, days_since_order: float, *, reachable: bool) -> Profile:
    uid = f"u{index:07d}"
    last_order = now - timedelta(days=days_since_order)
    zh = rng.random() < 0.4
    email_ok = rng.random() < (0.7 if reachable else 0.85)
    has_phone = (not email_ok) if reachable else rng.random() < 0.45
    items = [f"sku-{rng.randrange(10_000)}" for _ in range(rng.randrange(1, 6))]
    return Profile(
        user_id=uid,
        version=rng.randrange(1, 5),
        first_seen_at=last_order - timedelta(days=rng.uniform(10, 700)),
        last_seen_at=last_order + timedelta(days=rng.uniform(0, 3)),
        last_event_at={"order": last_order, "login": last_order},
        event_counts={"order": rng.randrange(1, 20), "login": rng.randrange(1, 80)},
        orders=rng.randrange(1, 20),
        spend_minor={"USD": rng.randrange(1_000, 500_000)},
        recent_items=items,
        category_counts={rng.choice(CATEGORIES): rng.randrange(1, 9)},
        name=f"User {index}",
        email=f"{uid}@mail.example.com" if email_ok or not reachable else None,
        phone=_phone(rng) if has_phone else None,
        locale="zh-CN" if zh else "en",
        time_zone=rng.choice(ZONES),
        consent={"email": email_ok, "sms": has_phone and (reachable or rng.random() < 0.8)},
    )


def dormant(count: int, now: datetime, seed: int = 11) -> Iterator[dict[str, Any]]:
    rng = random.Random(seed)
    for i in range(count):
        yield _profile(rng, i, now, rng.uniform(31, 500), reachable=True).to_item()


def steady(start: int, count: int, now: datetime, seed: int = 17) -> Iterator[dict[str, Any]]:
    rng = random.Random(seed + start)
    rules = deps().program.dormancy
    for i in range(start, start + count):
        roll = rng.random()
        if roll < 0.30:
            yield _profile(rng, i, now, rng.uniform(1, 29), reachable=False).to_item()
            continue
        profile = _profile(rng, i, now, rng.uniform(31, 500), reachable=False)
        tier = dormancy_tier(profile, rules, now)
        if roll < 0.98 and tier is not None:
            profile.tier = tier.name
            profile.tier_entered_at = now - timedelta(days=1)
        yield profile.to_item()


def write(table: str, items: Iterable[dict[str, Any]], chunk: int = 1000) -> int:
    """batch_put in chunks, so the generator never materializes the whole table here."""
    written = 0
    iterator = iter(items)
    while batch := list(islice(iterator, chunk)):
        batch_put(table, batch)
        written += len(batch)
    return written
