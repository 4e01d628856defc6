"""What the daily stats step learns about the population (quintile cut points, activity cut points,
popular items), stored as one item and read by the scan and the sender."""

from __future__ import annotations

import datetime as dt

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from winback.config.segments import Quintiles
from winback.domain.prediction.models import BgNbdFit, GammaGammaFit
from winback.models.allocation import Allocation


class ActivityCuts(BaseModel):
    """Events per week at which a user counts as regular, and as heavy."""

    model_config = ConfigDict(frozen=True, defer_build=True)
    regular_per_week: float
    heavy_per_week: float


class PopularItem(BaseModel):
    model_config = ConfigDict(frozen=True, defer_build=True)
    item_id: str
    category: str | None = None
    count: int = Field(ge=0, description="users in the sample who viewed or bought it (a lower bound)")


class IncentiveSkip(BaseModel):
    """A segment of a campaign whose incentive showed no lift: its users get a no-offer variant.
    The lift is the incentive variants' reactivation rate minus the no-offer variants' in the segment."""

    model_config = ConfigDict(frozen=True, defer_build=True)
    campaign_id: str
    segment: str
    since: dt.date = Field(description="the day the stats step first took the decision (kept while it holds)")
    incentive_n: int = Field(ge=0, description="users assigned to incentive variants in the segment")
    incentive_x: int = Field(ge=0, description="of them reactivated")
    no_offer_n: int = Field(ge=0, description="users assigned to no-offer variants in the segment")
    no_offer_x: int = Field(ge=0)
    abs_lift: float
    abs_low: float
    abs_high: float = Field(description="below the campaign's segment_min_lift")


class PopulationStats(BaseModel):
    """What the stats step learnt from a uniform sample of ActivityTable; stored as one item."""

    model_config = ConfigDict(frozen=True, defer_build=True)
    computed_at: AwareDatetime
    sample_size: int = Field(ge=0, description="profiles read")
    population_estimate: int = Field(ge=0)
    base_currency: str
    recency_days: dict[str, Quintiles] = Field(default_factory=dict, description="per signal, days since it")
    frequency_orders: Quintiles | None = Field(None, description="orders, among users with an order")
    monetary_base_minor: Quintiles | None = Field(None, description="spend in base minor units, among buyers")
    activity: ActivityCuts | None = None
    popular_overall: tuple[PopularItem, ...] = ()
    popular_by_category: dict[str, tuple[PopularItem, ...]] = Field(default_factory=dict)
    # BG/NBD (P(alive), expected purchases) and Gamma-Gamma (spend) fitted on the same sample, in days
    # and base minor units; None until the stats step has fitted them (the scan then uses the fixed tiers).
    bgnbd: BgNbdFit | None = None
    gamma_gamma: GammaGammaFit | None = None
    # Segments whose incentive showed no lift (skip_segments_without_lift), decided by the stats step
    # from the campaigns' experiment cells; the scan gives their users a no-offer variant instead.
    incentive_skips: tuple[IncentiveSkip, ...] = ()
    # Adaptive campaigns' shares for the day (campaign id -> Allocation), decided by the stats step.
    allocations: dict[str, Allocation] = Field(default_factory=dict)
