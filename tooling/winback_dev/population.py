"""A realistic, seeded population for the demo: activity histories with a known mix of active,
lapsing, dormant and lost shoppers, two locales, and the contact problems real lists have."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

EN_ZONES = ("America/New_York", "America/Chicago", "America/Los_Angeles", "Europe/London")
ZH_ZONES = ("Asia/Shanghai",)
CATEGORIES = ("shoes", "outerwear", "bags", "beauty", "home", "kids", "sports")
EN_NAMES = ("Alex", "Sam", "Jordan", "Taylor", "Morgan", "Casey", "Riley", "Jamie")
ZH_NAMES = ("小明", "小红", "伟", "芳", "娜", "敏", "静", "磊")


@dataclass
class DemoUser:
    user_id: str
    segment: str  # active | lapsing | dormant | lost | crossing (lapsing 3 days ago, dormant now) | regular
    locale: str
    email: str | None
    phone: str | None
    email_consent: bool
    sms_consent: bool
    time_zone: str = "UTC"
    app_user: bool = False
    push_endpoint: str | None = None  # set by devices.register_devices
    bad_email: bool = False
    complained_before: bool = False
    events: list[dict[str, Any]] = field(default_factory=list)
    active_hour: int = 19  # the hour of their own day they are most often on the app (set by _sessions)


def _iso(at: datetime) -> str:
    return at.isoformat(timespec="seconds")


def _days_since_last_order(rng: random.Random, segment: str) -> float:
    ranges = {
        "active": (1, 29),
        "lapsing": (31, 88),
        "crossing": (90.2, 92.8),
        "dormant": (94, 178),
        "lost": (182, 520),
    }
    low, high = ranges[segment]
    return rng.uniform(low, high)


TROUBLE_SHARE = 0.1
# When people browse, on their own clock: evenings mostly, some at lunch or before work.
ACTIVE_HOUR_WEIGHTS = {7: 1, 8: 2, 12: 2, 13: 1, 18: 2, 19: 3, 20: 4, 21: 3, 22: 1}
SESSIONS = 6  # browsing sessions at their active hour before they went quiet


def generate(n: int, now: datetime, seed: int = 2026) -> list[DemoUser]:
    rng = random.Random(seed)
    trouble = random.Random(seed + 1)
    habits = random.Random(seed + 2)
    weights = {"active": 0.30, "lapsing": 0.24, "crossing": 0.04, "dormant": 0.17, "lost": 0.25}
    segments = rng.choices(list(weights), weights=list(weights.values()), k=n)
    users: list[DemoUser] = []
    for i, segment in enumerate(segments):
        zh = rng.random() < 0.4
        locale = "zh-CN" if zh else "en"
        uid = f"u{i:06d}"
        has_email = rng.random() < 0.85
        has_phone = rng.random() < 0.45
        bad_email = has_email and rng.random() < 0.03
        if zh:
            phone = f"+86138{rng.randrange(10_000_000, 99_999_999)}" if has_phone else None
        else:
            phone = f"+1415555{rng.randrange(1000, 9999)}" if has_phone else None
        if phone and phone.endswith("99"):
            phone = phone[:-2] + "98"
        email = (
            (f"bounce+{uid}@simulator.amazonses.com" if bad_email else f"{uid}@mail.example.com") if has_email else None
        )
        user = DemoUser(
            user_id=uid,
            segment=segment,
            locale=locale,
            email=email,
            phone=phone,
            email_consent=has_email and rng.random() < 0.92,
            sms_consent=has_phone and rng.random() < 0.8,
            bad_email=bad_email,
            complained_before=has_email and not bad_email and rng.random() < 0.005,
        )
        last_order = now - timedelta(days=_days_since_last_order(rng, segment))
        signup = last_order - timedelta(days=rng.uniform(0, 400))
        user.events.append({"user_id": uid, "type": "signup", "occurred_at": _iso(signup)})
        profile: dict[str, Any] = {
            "name": rng.choice(ZH_NAMES if zh else EN_NAMES),
            "locale": locale,
            "time_zone": rng.choice(ZH_ZONES if zh else EN_ZONES),
            "consent": {
                "email": user.email_consent,
                "sms": user.sms_consent,
                "push": False,
                "ads": rng.random() < 0.5,
            },
        }
        if email:
            profile["email"] = email
        if phone:
            profile["phone"] = phone
        user.time_zone = str(profile["time_zone"])
        user.events.append({"user_id": uid, "type": "profile", "occurred_at": _iso(signup), "properties": profile})
        orders = max(1, int(rng.expovariate(1 / 3)))
        span = (last_order - signup).total_seconds()
        times = sorted([signup + timedelta(seconds=rng.uniform(0, span)) for _ in range(orders - 1)] + [last_order])
        currency = "CNY" if zh else "USD"
        for at in times:
            category = rng.choice(CATEGORIES)
            user.events.append(
                {
                    "user_id": uid,
                    "type": "order",
                    "occurred_at": _iso(at),
                    "properties": {
                        "amount": f"{rng.uniform(9, 240):.2f}",
                        "currency": currency,
                        "item_id": f"sku-{rng.randrange(1, 400)}",
                        "category": category,
                    },
                }
            )
            user.events.append(
                {
                    "user_id": uid,
                    "type": "view",
                    "occurred_at": _iso(at - timedelta(minutes=7)),
                    "properties": {"item_id": f"sku-{rng.randrange(1, 400)}", "category": category},
                }
            )
        # App users (the in-app inbox reaches them); logins keep happening for some lapsed shoppers,
        # which does not make them active: the shop's signal is orders.
        user.app_user = rng.random() < 0.35
        if user.app_user:
            user.events.append({"user_id": uid, "type": "login", "occurred_at": _iso(signup + timedelta(hours=1))})
        if segment != "active" and rng.random() < 0.3:
            user.events.append(
                {
                    "user_id": uid,
                    "type": "login",
                    "occurred_at": _iso(last_order + timedelta(days=rng.uniform(1, 20))),
                }
            )
        # A bad experience shortly before going quiet (an error, a support contact): the scan infers
        # `bad_experience` and the journey opens with the apology. Its own random stream, so the rest
        # of the population is what it was.
        if segment != "active" and trouble.random() < TROUBLE_SHARE:
            kind = trouble.choice(("error", "support"))
            at = last_order - timedelta(days=trouble.uniform(0.5, 5))
            user.events.append({"user_id": uid, "type": kind, "occurred_at": _iso(at)})
        _sessions(user, signup, last_order, habits)
        users.append(user)
    return users[: n - regular_count(n)] + regular_buyers(regular_count(n), n - regular_count(n), now, seed + 2)


def _sessions(user: DemoUser, signup: datetime, last_order: datetime, rng: random.Random) -> None:
    """A few browsing sessions (views of no item) at the user's active hour on their own clock, between
    signup and their last order, so the profile's histogram of active hours has a peak to find
    (send-time optimization). Their own random stream, so the rest of the population is what it was."""
    user.active_hour = rng.choices(list(ACTIVE_HOUR_WEIGHTS), weights=list(ACTIVE_HOUR_WEIGHTS.values()))[0]
    zone = ZoneInfo(user.time_zone)
    seen: set[datetime] = set()
    for _ in range(SESSIONS):
        day = (signup + (last_order - signup) * rng.random()).astimezone(zone)
        at = day.replace(hour=user.active_hour, minute=rng.randrange(60), second=0, microsecond=0)
        if signup <= at <= last_order and at not in seen:  # two identical rows would be one history row
            seen.add(at)
            user.events.append({"user_id": user.user_id, "type": "view", "occurred_at": _iso(at)})


# Regular buyers: an order every week or fortnight for months, then a stop a few weeks ago. BG/NBD's
# P(alive) falls for them well before the fixed "30 days without an order" (churn_risk's case). They
# replace the last users of the population, from their own random stream: the others stay as they were.
REGULAR_SHARE = 0.08
REGULAR_EVERY_DAYS = (7, 14)
REGULAR_QUIET_DAYS = (4.0, 24.0)  # since their last order, on the demo's first day


def regular_count(n: int) -> int:
    return round(n * REGULAR_SHARE)


def _regular_order(uid: str, at: datetime, currency: str, rng: random.Random) -> dict[str, Any]:
    properties = {
        "amount": f"{rng.uniform(20, 90):.2f}",
        "currency": currency,
        "item_id": f"sku-{rng.randrange(1, 400)}",
        "category": rng.choice(CATEGORIES),
    }
    return {"user_id": uid, "type": "order", "occurred_at": _iso(at), "properties": properties}


def regular_buyer(uid: str, now: datetime, rng: random.Random) -> DemoUser:
    """One regular buyer: reachable by email (most with consent), in English or Chinese."""
    zh = rng.random() < 0.4
    email = f"{uid}@mail.example.com"
    user = DemoUser(uid, "regular", "zh-CN" if zh else "en", email, None, rng.random() < 0.92, False)
    user.time_zone = rng.choice(ZH_ZONES if zh else EN_ZONES)
    every = rng.choice(REGULAR_EVERY_DAYS)
    last = now - timedelta(days=rng.uniform(*REGULAR_QUIET_DAYS))
    orders = rng.randint(8, 24) if every == 7 else rng.randint(6, 14)
    first = last - timedelta(days=every * (orders - 1))
    signup = first - timedelta(days=rng.uniform(1, 30))
    profile = {
        "name": rng.choice(ZH_NAMES if zh else EN_NAMES),
        "locale": user.locale,
        "time_zone": user.time_zone,
        "email": email,
        "consent": {"email": user.email_consent, "sms": False, "push": False, "ads": rng.random() < 0.5},
    }
    user.events.append({"user_id": uid, "type": "signup", "occurred_at": _iso(signup)})
    user.events.append({"user_id": uid, "type": "profile", "occurred_at": _iso(signup), "properties": profile})
    for k in range(orders):
        jitter = timedelta(hours=rng.uniform(-18, 18)) if 0 < k < orders - 1 else timedelta(0)
        user.events.append(_regular_order(uid, first + timedelta(days=every * k) + jitter, "CNY" if zh else "USD", rng))
    _sessions(user, signup, last, rng)  # an active hour like everyone's (send time)
    return user


def regular_buyers(count: int, first_index: int, now: datetime, seed: int) -> list[DemoUser]:
    rng = random.Random(seed)
    return [regular_buyer(f"u{first_index + j:06d}", now, rng) for j in range(count)]
