"""Attribution: did a user assigned to a campaign come back within the window, and with what
revenue? Applied to treated and held-out users alike, so the holdout is a real baseline (pure)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta

from winback.domain.money import minor_units
from winback.models.events import ActivityEvent
from winback.models.profile import Assignment
from winback.models.report import REVENUE_PREFIX, REVENUE_SQUARES_PREFIX

# Events that say nothing about the user's own activity.
_NOT_ACTIVITY = frozenset({"profile"})


@dataclass(frozen=True)
class Attribution:
    """The assignment after the events, and the counters they add to its experiment cell."""

    assignment: Assignment
    counts: Counter[str] = field(default_factory=Counter)
    coupon_codes: tuple[str, ...] = ()


def _qualifies(event: ActivityEvent, signal: str) -> bool:
    if event.type in _NOT_ACTIVITY:
        return False
    return signal == "any" or event.type == signal


def attribute(
    assignment: Assignment | None, events: Iterable[ActivityEvent], signal: str, window_days: int
) -> Attribution | None:
    """The first qualifying event within `window_days` after assignment reactivates the user;
    orders in the window carry revenue (their coupon codes are returned for redemption). The user's
    running revenue rides on the assignment, so the square of each user's total can be kept as a sum:
    adding `a` to a total `t` adds `(t + a)^2 - t^2` to it."""
    if assignment is None:
        return None
    start = assignment.assigned_at
    end = start + timedelta(days=window_days)
    reactivated_at = assignment.reactivated_at
    counts: Counter[str] = Counter()
    revenue: Counter[str] = Counter(assignment.revenue_minor or {})
    codes: list[str] = []
    for event in sorted(events, key=lambda e: e.occurred_at):
        at = event.occurred_at
        if not start <= at <= end:
            continue
        if reactivated_at is None and _qualifies(event, signal):
            reactivated_at = at
            counts["reactivated"] += 1
            counts[f"react_day_{(at - start).days}"] += 1
        props = event.properties
        if event.type == "order" and props.amount is not None and props.currency is not None:
            counts["orders"] += 1
            amount = minor_units(props.amount, props.currency)
            before = revenue[props.currency]
            revenue[props.currency] = before + amount
            counts[f"{REVENUE_PREFIX}{props.currency}"] += amount
            counts[f"{REVENUE_SQUARES_PREFIX}{props.currency}"] += (before + amount) ** 2 - before**2
            if props.coupon_code:
                codes.append(props.coupon_code)
    if not counts:
        return None
    updated = assignment.model_copy(
        update={"reactivated_at": reactivated_at, "revenue_minor": dict(revenue) or assignment.revenue_minor}
    )
    return Attribution(assignment=updated, counts=counts, coupon_codes=tuple(codes))
