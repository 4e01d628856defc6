"""How much sooner the demo's `churn_risk` tier reached users than the fixed tiers would have.

The day churn_risk fired is the user's first assignment in that tier (the scan's `assigned_at`); the
day the first fixed tier would have held the same user is their last order before it plus that
tier's `after_days`. Both come from what the demo knows: the assignments it reads after each scan
and the order history it generated.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from winback.config.dormancy import CHURN_RISK
from winback.domain.prediction.models import BgNbdFit
from winback.models.profile import Assignment
from winback_dev.population import DemoUser

_DAY_S = 86_400


def last_order_at(user: DemoUser) -> datetime | None:
    """The last order of the user's generated history (before the demo's three weeks)."""
    orders = [datetime.fromisoformat(e["occurred_at"]) for e in user.events if e["type"] == "order"]
    return max(orders, default=None)


def days_earlier(fired_at: datetime, last_order: datetime, first_tier_days: int) -> float:
    """Days between churn_risk firing and the first fixed tier's threshold (last order + its days)."""
    return (last_order.timestamp() + first_tier_days * _DAY_S - fired_at.timestamp()) / _DAY_S


@dataclass
class ChurnRiskLog:
    """The first churn_risk assignment of each user, noted after every scan."""

    first_tier_days: int
    last_orders: Mapping[str, datetime | None]
    fired: dict[str, datetime] = field(default_factory=dict)
    fit: dict[str, str | int] = field(default_factory=dict)  # the BG/NBD fit churn_risk scored with

    def note(self, assignments: Mapping[str, Assignment]) -> None:
        for user_id, a in assignments.items():
            if a.tier == CHURN_RISK:
                self.fired.setdefault(user_id, a.assigned_at)

    def earlier(self) -> list[float]:
        """Days earlier than the first fixed tier, per user churn_risk reached (users without history skipped)."""
        out = []
        for user_id, fired_at in self.fired.items():
            last = self.last_orders.get(user_id)
            if last is not None:
                out.append(days_earlier(fired_at, last, self.first_tier_days))
        return out

    def summary(self) -> dict[str, Any]:
        earlier = self.earlier()
        ahead = [d for d in earlier if d > 0]
        return {
            "fit": self.fit,
            "reached": len(self.fired),
            "before_fixed_tier": len(ahead),
            "median_days_earlier": round(statistics.median(ahead), 1) if ahead else None,
        }


def churn_risk_log(population: Iterable[DemoUser], first_tier_days: int, fit: BgNbdFit | None = None) -> ChurnRiskLog:
    figures: dict[str, str | int] = {}
    if fit is not None:
        figures = {"status": str(fit.status), "sample_size": fit.sample_size, "repeat_buyers": fit.repeat_buyers}
    return ChurnRiskLog(first_tier_days, {u.user_id: last_order_at(u) for u in population}, fit=figures)
