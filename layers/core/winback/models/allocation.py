"""An adaptive campaign's split for one day: what the daily stats step decided and the scan follows."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field


class Allocation(BaseModel):
    """The day's shares of a campaign's treated users by variant, with what they were computed from.

    `weights` sum to 1 over the variants (the holdout is apart: a fixed share before them). While some
    variant has fewer than the campaign's minimum of users, the weights are equal and `adapting` is False.
    """

    model_config = ConfigDict(frozen=True, defer_build=True)
    campaign_id: str
    day: dt.date
    weights: dict[str, float] = Field(description="variant -> share of the treated users assigned that day")
    p_best: dict[str, float] = Field(description="variant -> posterior probability of the best reactivation rate")
    assigned: dict[str, int] = Field(description="variant -> users assigned so far")
    reactivated: dict[str, int] = Field(description="variant -> of them reactivated so far")
    adapting: bool = Field(description="False: below the minimum per variant, equal weights")
    winner: str | None = Field(None, description="the variant whose P(best) reached the campaign's winner_probability")
