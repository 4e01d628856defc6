"""program.yaml's `dormancy`: which activity counts, and the tiers a quiet user crosses."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from winback.models.strict import Strict

Signal = Literal["order", "login", "view", "any"]


class Tier(Strict):
    name: str = Field(pattern=r"^[a-z][a-z0-9_-]{0,31}$")
    after_days: int = Field(gt=0)


CHURN_RISK = "churn_risk"


class ChurnRisk(Strict):
    """A tier before the fixed ones: a repeat buyer whose P(alive) (BG/NBD, fitted by the stats step)
    fell below `p_alive_below`. Campaigns target it by the name `churn_risk`. Without a usable fit
    it never fires and the fixed tiers alone apply."""

    p_alive_below: float = Field(gt=0, lt=1)
    # BG/NBD gives a one-time buyer P(alive) = 1 whatever the gap: only repeat buyers are scored.
    min_orders: int = Field(2, ge=2)


class Dormancy(Strict):
    signal: Signal = "order"
    tiers: tuple[Tier, ...] = Field(min_length=1)
    churn_risk: ChurnRisk | None = None

    def tier_names(self) -> set[str]:
        """Every tier a campaign may target: the fixed ones, and churn_risk when configured."""
        names = {t.name for t in self.tiers}
        return names | {CHURN_RISK} if self.churn_risk is not None else names

    @field_validator("tiers")
    @classmethod
    def _ascending_unique(cls, tiers: tuple[Tier, ...]) -> tuple[Tier, ...]:
        days = [t.after_days for t in tiers]
        names = [t.name for t in tiers]
        if days != sorted(days) or len(set(days)) != len(days):
            raise ValueError("tiers must be listed by strictly increasing after_days")
        if len(set(names)) != len(names):
            raise ValueError("tier names must be unique")
        if CHURN_RISK in names:
            raise ValueError(f"{CHURN_RISK!r} is the predicted tier (dormancy.churn_risk), not a fixed one")
        return tiers
