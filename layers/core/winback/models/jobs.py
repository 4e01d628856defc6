"""Queue messages: scan jobs (ScanQueue) and packed send jobs (SendQueue)."""

from __future__ import annotations

from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field


class ScanJob(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)
    run_id: str = Field(min_length=1, max_length=128)
    as_of: AwareDatetime
    segment: int = Field(ge=0)
    total_segments: int = Field(ge=1, le=1_000_000)
    start_key: dict[str, Any] | None = None
    pages_done: int = Field(0, ge=0)
    # This segment's share of the day's first messages, per channel ("*": every channel not named);
    # None: no limit (the scan admits every user it finds).
    admit: dict[str, int] | None = None


class Recipient(BaseModel):
    """A user to message. The sender reads the user's current profile itself, so contact details,
    consent and activity are as fresh as the moment of sending, not of the scan."""

    model_config = ConfigDict(extra="forbid", defer_build=True)
    user_id: str
    episode: str = Field(description="when the user's quiet spell began (ISO); a new lapse is a new episode")
    arm: str = Field(description="the user's arm of the campaign's experiment")
    segment: str = Field(description="the user's segment when assigned, for the report")


class SendJob(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)
    run_id: str
    campaign_id: str
    step: int = Field(ge=0)
    tier: str
    recipients: list[Recipient] = Field(min_length=1, max_length=100)
    not_after: AwareDatetime | None = Field(None, description="the step's deadline: held back past it, it is dropped")
    best_hour_step: int | None = Field(
        None, ge=0, description="the step whose recipients already waited for their best hour: sent, not deferred again"
    )
