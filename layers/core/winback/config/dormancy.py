"""program.yaml's `dormancy`: which activity counts, and the tiers a quiet user crosses."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from winback.models.strict import Strict

Signal = Literal["order", "login", "view", "any"]


class Tier(Strict):
    name: str = Field(pattern=r"^[a-z][a-z0-9_-]{0,31}$")
    after_days: int = Field(gt=0)


class Dormancy(Strict):
    signal: Signal = "order"
    tiers: tuple[Tier, ...] = Field(min_length=1)

    @field_validator("tiers")
    @classmethod
    def _ascending_unique(cls, tiers: tuple[Tier, ...]) -> tuple[Tier, ...]:
        days = [t.after_days for t in tiers]
        names = [t.name for t in tiers]
        if days != sorted(days) or len(set(days)) != len(days):
            raise ValueError("tiers must be listed by strictly increasing after_days")
        if len(set(names)) != len(names):
            raise ValueError("tier names must be unique")
        return tiers
