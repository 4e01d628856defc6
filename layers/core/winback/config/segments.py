"""program.yaml's `segments` and `recommendations`: RFM groups, default cut points, activity levels,
currency conversion, sampling sizes, and the recommendation provider.

Scores are relative to the shop's own population: the stats step samples ActivityTable and stores
cut points (`winback.models.population`); until it has run, the fixed defaults in `DefaultCuts` apply."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, field_validator, model_validator

from winback.models.strict import Strict

ScoreRange = tuple[int, int]

FULL_RANGE: ScoreRange = (1, 5)

SIGNALS: tuple[str, ...] = ("order", "login", "view", "any")

_CURRENCY = re.compile(r"^[A-Z]{3}$")

_PERSONALIZE_CAMPAIGN = r"^arn:aws[a-z-]*:personalize:[a-z0-9-]+:\d{12}:campaign/[A-Za-z0-9_-]+$"


def _ascending(cuts: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
    if list(cuts) != sorted(cuts):
        raise ValueError("cut points must be in ascending order")
    return cuts


Quintiles = Annotated[tuple[float, float, float, float], AfterValidator(_ascending)]
"""The 20th, 40th, 60th and 80th percentiles: a value at a cut point belongs to the lower bin."""


class RfmGroup(Strict):
    """A named group of users whose recency, frequency and monetary scores fall in these inclusive ranges."""

    name: str = Field(pattern=r"^[a-z][a-z0-9_]{0,31}$")
    r: ScoreRange = FULL_RANGE
    f: ScoreRange = FULL_RANGE
    m: ScoreRange = FULL_RANGE

    @field_validator("r", "f", "m")
    @classmethod
    def _within_scores(cls, bounds: ScoreRange) -> ScoreRange:
        low, high = bounds
        if not 1 <= low <= high <= 5:
            raise ValueError("a score range is [low, high] with 1 <= low <= high <= 5")
        return bounds

    @property
    def catch_all(self) -> bool:
        return self.r == self.f == self.m == FULL_RANGE

    def contains(self, r: int, f: int, m: int) -> bool:
        return self.r[0] <= r <= self.r[1] and self.f[0] <= f <= self.f[1] and self.m[0] <= m <= self.m[1]


# The classic RFM map, after the segment table of the `rfm` R package (CRAN, rsquaredacademy:
# tests/testthat/test-rfm-segment.R; https://rdrr.io/cran/rfm/src/tests/testthat/test-rfm-segment.R):
# Champions R4-5 F4-5 M4-5, Loyal Customers R2-5 F3-5 M3-5, Potential Loyalist R3-5 F1-3 M1-3,
# At Risk R1-2 F2-5 M2-5, Can't Lose Them R1 F4-5 M4-5, Lost R1-2 F1-2 M1-2.
# Differences, so that first-match-wins covers every score: cant_lose comes before at_risk (it is a
# subset of it); potential_loyalist takes every other recent user (R3-5) the table leaves unnamed
# (its Promising, New Customers, Need Attention); hibernating takes the rest of R2; lost is the catch-all.
DEFAULT_RFM_GROUPS: tuple[RfmGroup, ...] = (
    RfmGroup(name="champions", r=(4, 5), f=(4, 5), m=(4, 5)),
    RfmGroup(name="loyal", r=(2, 5), f=(3, 5), m=(3, 5)),
    RfmGroup(name="potential_loyalist", r=(3, 5)),
    RfmGroup(name="cant_lose", r=(1, 1), f=(4, 5), m=(4, 5)),
    RfmGroup(name="at_risk", r=(1, 2), f=(2, 5), m=(2, 5)),
    RfmGroup(name="hibernating", r=(2, 2)),
    RfmGroup(name="lost"),
)


class DefaultCuts(Strict):
    """Fixed quintile cut points, used until the stats step has stored population cut points."""

    recency_days: Quintiles = (7.0, 30.0, 90.0, 180.0)
    frequency_orders: Quintiles = (1.0, 2.0, 3.0, 5.0)
    monetary_base_minor: Quintiles = (2_000.0, 5_000.0, 10_000.0, 25_000.0)


class ActivityThresholds(Strict):
    """How activity levels are cut: by population percentiles of events per week, or these defaults."""

    one_time_max_tenure_days: float = Field(1.0, ge=0, description="tenure below this: one_time")
    regular_percentile: float = Field(40.0, gt=0, lt=100)
    heavy_percentile: float = Field(80.0, gt=0, lt=100)
    default_regular_per_week: float = Field(1.0, gt=0)
    default_heavy_per_week: float = Field(5.0, gt=0)

    @model_validator(mode="after")
    def _ordered(self) -> ActivityThresholds:
        if self.regular_percentile >= self.heavy_percentile:
            raise ValueError("regular_percentile must be below heavy_percentile")
        if self.default_regular_per_week >= self.default_heavy_per_week:
            raise ValueError("default_regular_per_week must be below default_heavy_per_week")
        return self


class SegmentsConfig(Strict):
    rfm_groups: tuple[RfmGroup, ...] = Field(DEFAULT_RFM_GROUPS, min_length=1, description="first match wins")
    base_currency: str = Field("USD", pattern=r"^[A-Z]{3}$")
    fx_to_base: dict[str, Decimal] = Field(
        default_factory=dict,
        description="base-currency minor units per minor unit of each currency (e.g. USD base: CNY 0.14, JPY 0.67)",
    )
    default_cuts: DefaultCuts = DefaultCuts()
    activity: ActivityThresholds = ActivityThresholds()
    sample_target: int = Field(50_000, ge=100, description="profiles the stats step reads")
    reservoir_size: int = Field(10_000, ge=100, le=100_000, description="values kept per measure")
    page_size: int = Field(500, ge=1, le=10_000)
    top_items: int = Field(10, ge=1, le=100, description="popular items kept overall and per category")
    max_categories: int = Field(100, ge=1, le=1_000, description="categories tracked for popularity")

    @field_validator("rfm_groups")
    @classmethod
    def _groups(cls, groups: tuple[RfmGroup, ...]) -> tuple[RfmGroup, ...]:
        names = [g.name for g in groups]
        if len(set(names)) != len(names):
            raise ValueError("rfm group names must be unique")
        if not groups[-1].catch_all:
            raise ValueError(f"the last rfm group ({groups[-1].name}) must be a catch-all: r, f and m all [1, 5]")
        return groups

    @field_validator("fx_to_base")
    @classmethod
    def _rates(cls, rates: dict[str, Decimal]) -> dict[str, Decimal]:
        for currency, rate in rates.items():
            if not _CURRENCY.match(currency):
                raise ValueError(f"{currency!r} is not an ISO 4217 currency code")
            if rate <= 0:
                raise ValueError(f"the rate of {currency} must be positive")
        return rates

    def rate_to_base(self, currency: str) -> Decimal | None:
        """Base minor units per minor unit of `currency`; None if the program does not know it."""
        if currency == self.base_currency:
            return Decimal(1)
        return self.fx_to_base.get(currency)


class RecommendationsConfig(Strict):
    provider: Literal["popularity", "personalize"] = "popularity"
    count: int = Field(3, ge=1, le=20)
    personalize_campaign_arn: str | None = Field(None, pattern=_PERSONALIZE_CAMPAIGN)
    popular_window_days: int = Field(30, ge=1, description="popularity counts users seen in this window")

    @model_validator(mode="after")
    def _campaign_for_personalize(self) -> RecommendationsConfig:
        if self.provider == "personalize" and not self.personalize_campaign_arn:
            raise ValueError("personalize_campaign_arn is required when provider is personalize")
        return self
