"""Incentives a campaign step may carry (coupons, and offers granted elsewhere) and coupon budgets.

Config models: they derive from `winback.config.program.Strict` (unknown fields rejected, frozen), so a
wrong program file fails at load, naming the field, rather than when a message is being sent.
`Incentive` is a union discriminated on `kind`: a coupon has amounts per segment in a currency;
the other kinds carry one `value` and a description for the system that owns points or plans.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal

from pydantic import Field, field_validator

from winback.models.strict import Strict

OfferKind = Literal["points_multiplier", "free_trial", "member_perk"]
IncentiveKind = Literal["coupon", OfferKind]
DEFAULT_SEGMENT = "default"

CurrencyCode = Annotated[str, Field(pattern=r"^[A-Z]{3}$", description="ISO 4217 code, e.g. USD, CNY, JPY")]
SegmentName = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_-]{0,31}$")]
PositiveAmount = Annotated[Decimal, Field(gt=0, max_digits=12, decimal_places=3)]


NonNegativeAmount = Annotated[Decimal, Field(ge=0, max_digits=12, decimal_places=3)]
MIN_EXPECTED_VALUE = (
    "only users whose expected 12-month value (segments.base_currency, major units) is at least this get"
    " the offer; the others get the step without it. Without a fitted model every user gets it"
)


class CouponIncentive(Strict):
    """A coupon code worth an amount off, which depends on the user's segment."""

    kind: Literal["coupon"]
    min_expected_value: NonNegativeAmount | None = Field(None, description=MIN_EXPECTED_VALUE)
    currency: CurrencyCode
    value_by_segment: dict[SegmentName, PositiveAmount] = Field(
        description="segment name -> amount off in major units; `default` covers every other segment"
    )
    valid_days: int = Field(gt=0, le=366)

    @field_validator("value_by_segment")
    @classmethod
    def _has_default(cls, values: dict[str, Decimal]) -> dict[str, Decimal]:
        if DEFAULT_SEGMENT not in values:
            raise ValueError(f"value_by_segment needs a `{DEFAULT_SEGMENT}` amount for segments not listed")
        return values


class OfferIncentive(Strict):
    """An offer another system fulfils (points, a trial, a perk), announced on the offers bus."""

    kind: OfferKind
    min_expected_value: NonNegativeAmount | None = Field(None, description=MIN_EXPECTED_VALUE)
    value: PositiveAmount = Field(description="the multiplier, the trial days, the perk's size...")
    description: str = Field(min_length=1, max_length=500)


Incentive = Annotated[CouponIncentive | OfferIncentive, Field(discriminator="kind")]


class Budget(Strict):
    """The most a campaign may give away in coupons: a count and a total value, both hard limits."""

    max_count: int = Field(gt=0)
    max_value: PositiveAmount
    currency: CurrencyCode
