"""A campaign's experiment report: the raw counters per cell it is built from, and what it shows.

Every campaign is an experiment: users are assigned to variant arms (messaged) or to the holdout arm
(recorded, never messaged). The lead stores counters per (step, arm, segment) cell; `build_report`
turns them into `CampaignReport`.

Counter names in `Cell.counts`:
- campaign-level cells (step None): `assigned`, `reactivated`, `coupons_redeemed`,
  `revenue_minor_<CURRENCY>` (minor units), `react_day_<k>` (reactivations k whole days after
  assignment), `reason_<name>` (answers to "why did you leave"), `inferred_<name>` (users whose
  behaviour at assignment suggested that reason, every arm), `choice_<name>` (users who made
  that choice on the preference page: fewer, usual, pause_30, pause_90, resume, channels,
  unsubscribe_all);
- per-step cells: `sent`, `delivered`, `bounced`, `complained`, `unsubscribed`, `failed`, `uncertain`
  (the provider's answer was lost: maybe delivered, never resent), `deferred`, `dropped`; `opened`,
  `clicked` (once per message), `machine_opened` (privacy-proxy prefetches); `program_<version>`
  (the sends, sent, failed or uncertain, that ran that program version).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Annotated

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator
from pydantic.dataclasses import dataclass as pydantic_dataclass

from winback.config.bundle import VERSION_LENGTH
from winback.domain.measurement.lift import Lift
from winback.models.allocation import Allocation

DELIVERY_COUNTERS = (
    "sent",
    "delivered",
    "bounced",
    "complained",
    "unsubscribed",
    "failed",
    "uncertain",
    "deferred",
    "dropped",
)
ENGAGEMENT_COUNTERS = ("opened", "machine_opened", "clicked")
OUTCOME_COUNTERS = ("assigned", "reactivated", "coupons_redeemed")
REVENUE_PREFIX = "revenue_minor_"
# The sum over users of the square of each user's attributed revenue: with the sum and the count, the
# variance of revenue per assigned user, which an interval on incremental revenue needs.
REVENUE_SQUARES_PREFIX = "revenue_sq_minor_"
REACT_DAY_PREFIX = "react_day_"
REASON_PREFIX = "reason_"
INFERRED_PREFIX = "inferred_"
CHOICE_PREFIX = "choice_"
PROGRAM_PREFIX = "program_"
_COUNTER = re.compile(
    rf"^(?:{'|'.join(DELIVERY_COUNTERS + ENGAGEMENT_COUNTERS + OUTCOME_COUNTERS)}"
    rf"|{REVENUE_PREFIX}[A-Z]{{3}}|{REVENUE_SQUARES_PREFIX}[A-Z]{{3}}|{REACT_DAY_PREFIX}(?:0|[1-9][0-9]{{0,3}})|{REASON_PREFIX}[A-Za-z0-9_.-]{{1,64}}"
    rf"|{INFERRED_PREFIX}[a-z_]{{1,64}}|{CHOICE_PREFIX}[a-z0-9_]{{1,32}}|{PROGRAM_PREFIX}[0-9a-f]{{{VERSION_LENGTH}}})$"
)
ARM_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"
# Per-step cells also count the coupons issued and their value (`coupon_value_minor_<CURRENCY>`), for
# the incentive cost per reactivated user in each segment.
COUPON_ISSUED = "coupon_issued"
COUPON_VALUE_PREFIX = "coupon_value_minor_"
_COUPON_COUNTER = re.compile(rf"^(?:{COUPON_ISSUED}|{COUPON_VALUE_PREFIX}[A-Z]{{3}})$")


def _known(name: str) -> bool:
    return bool(_COUNTER.match(name) or _COUPON_COUNTER.match(name))


def coupon_value_counter(currency: str) -> str:
    """The counter of the coupon value issued in `currency` (minor units)."""
    return f"{COUPON_VALUE_PREFIX}{currency}"


def program_counter(version: str) -> str:
    """The counter of the sends that ran program version `version`."""
    return f"{PROGRAM_PREFIX}{version}"


def report_counters(counts: dict[str, int]) -> dict[str, int]:
    """The counters a report uses; cells also hold operational ones (suppressed, capped...)."""
    return {name: value for name, value in counts.items() if _known(name)}


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Cell(_Model):
    """Raw counters of one (step, arm, segment); step None holds the campaign-level counts."""

    step: int | None = Field(None, ge=0)
    arm: str = Field(pattern=ARM_PATTERN)
    segment: str = Field(min_length=1, max_length=128)
    counts: dict[str, int] = Field(default_factory=dict)

    @field_validator("counts")
    @classmethod
    def _known_non_negative(cls, counts: dict[str, int]) -> dict[str, int]:
        unknown = sorted(name for name in counts if not _known(name))
        if unknown:
            raise ValueError(f"unknown counter names: {', '.join(unknown)}")
        negative = sorted(name for name, value in counts.items() if value < 0)
        if negative:
            raise ValueError(f"counters must not be negative: {', '.join(negative)}")
        return counts


class ArmRow(_Model):
    """The summed counters of every cell matching (arm, segment, step); None means "all"."""

    arm: str
    segment: str | None = None
    step: int | None = None
    assigned: int = 0
    sent: int = 0
    delivered: int = 0
    bounced: int = 0
    complained: int = 0
    unsubscribed: int = 0
    failed: int = 0
    uncertain: int = 0
    deferred: int = 0
    dropped: int = 0
    opened: int = 0
    machine_opened: int = Field(0, description="opens by privacy proxies (Apple MPP), not counted as opened")
    clicked: int = 0
    open_rate: float | None = Field(None, description="opened / delivered; still inflated by proxies not recognised")
    click_rate: float | None = Field(None, description="clicked / delivered")
    click_to_open_rate: float | None = Field(None, description="clicked / opened")
    reactivated: int = 0
    coupons_redeemed: int = 0
    reactivation_rate: float | None = Field(None, description="reactivated / assigned (intention to treat)")
    revenue_minor: dict[str, int] = Field(default_factory=dict, description="currency -> minor units")
    revenue_per_assigned_minor: dict[str, float] = Field(default_factory=dict, description="currency -> minor units")
    program_versions: dict[str, int] = Field(
        default_factory=dict, description="program version -> the row's sends that ran it"
    )


@dataclass(frozen=True, kw_only=True)
class _Scope:
    arm: str
    pooled: Annotated[bool, Field(description="True for all variant arms pooled into one treatment arm")]
    segment: str | None = None


# A pydantic dataclass, since a model cannot extend the (stdlib, pure) Lift. Its fields, and so the
# report's JSON, run in reverse MRO order: the scope's, the lift's, then still_needed.
@pydantic_dataclass(frozen=True, kw_only=True, config=ConfigDict(extra="forbid"))
class Comparison(Lift, _Scope):
    """An arm (or all variant arms pooled) vs the holdout, overall (segment None) or in one segment."""

    still_needed: Annotated[int | None, Field(description="more users per arm before a decision; 0 once significant")]


class ReasonCount(_Model):
    """One reason, as users answered it and as their behaviour suggested it."""

    answered: int = 0
    inferred: int = 0


class SegmentLift(_Model):
    """One segment of a campaign with an incentive: the incentive variants' lift against the holdout
    and against the no-offer variants, and what the incentive cost per reactivated user."""

    segment: str
    lift_rank: int = Field(description="1 = the largest lift against the holdout; segments without one last")
    cost_rank: int | None = Field(None, description="1 = the cheapest incremental reactivation; None: no lift")
    assigned: int = Field(description="users assigned to incentive variants in the segment")
    reactivated: int
    abs_lift: float | None = Field(None, description="incentive variants - holdout, reactivation rate")
    abs_low: float | None = None
    abs_high: float | None = None
    holdout_n: int = 0
    incentive_lift: float | None = Field(None, description="incentive variants - no-offer variants")
    incentive_low: float | None = None
    incentive_high: float | None = None
    no_offer_n: int = 0
    currency: str | None = None
    coupon_value_minor: int = Field(0, description="coupon value issued in the segment")
    coupons_issued: int = 0
    incremental_reactivations: float | None = Field(None, description="abs_lift x assigned")
    cost_per_reactivated_minor: float | None = Field(None, description="coupon value / reactivated")
    cost_per_incremental_minor: float | None = Field(
        None, description="coupon value / incremental reactivations (None unless the lift is positive)"
    )
    incentive_skipped_since: dt.date | None = Field(
        None, description="since this day the segment's new users get a no-offer variant (no lift)"
    )


class AdaptiveReport(_Model):
    """An adaptive campaign's variants: each one's probability of being best now, the winner once one
    reaches the configured probability, and the split the stats step decided day by day."""

    winner_probability: float
    min_per_arm: int
    adapting: bool = Field(description="False: some variant has fewer than min_per_arm users, the split is equal")
    p_best: dict[str, float] = Field(description="variant -> P(best reactivation rate), from the counts now")
    winner: str | None = None
    allocation_over_time: list[Allocation] = Field(
        default_factory=list, description="the stats step's daily decisions, oldest first"
    )


class CampaignReport(_Model):
    campaign_id: str
    generated_at: AwareDatetime
    paused: bool
    paused_reason: str | None = None
    holdout_arm: str
    window_days: int = Field(ge=0)
    confidence: float
    arms: list[ArmRow] = Field(default_factory=list, description="one row per arm, all steps and segments")
    by_step: list[ArmRow] = Field(default_factory=list, description="one row per (arm, step)")
    by_segment: list[ArmRow] = Field(default_factory=list, description="one row per (arm, segment)")
    comparisons: list[Comparison] = Field(default_factory=list)
    reactivation_by_day: dict[str, list[float]] = Field(
        default_factory=dict, description="arm -> cumulative reactivation rate on days 0..window_days"
    )
    reasons: dict[str, dict[str, int]] = Field(default_factory=dict, description="segment -> reason -> answers")
    inferred_reasons: dict[str, dict[str, int]] = Field(
        default_factory=dict, description="segment -> reason -> users whose behaviour suggested it (every arm)"
    )
    reasons_compared: dict[str, ReasonCount] = Field(
        default_factory=dict, description="reason -> answered and inferred, all segments"
    )
    choices: dict[str, int] = Field(
        default_factory=dict,
        description="preference page choices -> users who made them (fewer, pause_30... instead of leaving)",
    )
    spend: dict[str, int] = Field(default_factory=dict, description="incentive spend: currency -> minor units")
    program_versions: dict[str, int] = Field(
        default_factory=dict, description="program version -> the campaign's sends that ran it"
    )
    segments_ranked: list[SegmentLift] = Field(
        default_factory=list, description="incentive campaigns: segments by lift, with cost per reactivated user"
    )
    adaptive: AdaptiveReport | None = Field(None, description="adaptive allocation: P(best), winner, split over time")


class ProgramStratum(_Model):
    """One campaign's reactivated of assigned: treated (every variant) and program-wide control."""

    campaign_id: str
    treated_n: int
    treated_x: int
    control_n: int
    control_x: int


class ProgramRevenue(_Model):
    """The revenue the program caused in one currency (minor units), with its interval."""

    currency: str
    per_user_minor: float = Field(description="revenue per assigned user, treated - control, stratified")
    per_user_low_minor: float
    per_user_high_minor: float
    incremental_minor: float = Field(description="revenue the program caused over every treated user")
    incremental_low_minor: float
    incremental_high_minor: float
    significant: bool


class ProgramReport(_Model):
    """Everyone treated against the program-wide control group, stratified by campaign."""

    generated_at: AwareDatetime
    control_percent: float
    confidence: float
    treated_n: int = Field(description="users assigned to a variant of any campaign")
    treated_x: int = Field(description="of them reactivated")
    control_n: int = Field(description="users assigned to the program-wide control group")
    control_x: int
    abs_lift: float | None = Field(None, description="reactivation rate treated - control, stratified by campaign")
    abs_low: float | None = None
    abs_high: float | None = None
    incremental_reactivations: float | None = Field(None, description="reactivations the program caused")
    incremental_low: float | None = None
    incremental_high: float | None = None
    significant: bool = False
    campaigns: list[ProgramStratum] = Field(default_factory=list)
    without_control: list[str] = Field(
        default_factory=list, description="campaigns with treated users but none in the control group yet"
    )
    revenue: list[ProgramRevenue] = Field(default_factory=list, description="per currency, attributed revenue")
