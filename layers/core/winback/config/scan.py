"""program.yaml's `scan`: how the daily dormancy scan splits and pages the activity table."""

from __future__ import annotations

from pydantic import Field, model_validator

from winback.models.strict import Strict


class ScanLimits(Strict):
    items_per_segment: int = Field(20_000, gt=0)
    min_segments: int = Field(1, ge=1)
    max_segments: int = Field(64, ge=1, le=1_000_000)
    page_size: int = Field(500, ge=1, le=10_000)
    recipients_per_job: int = Field(100, ge=1, le=100)
    continuation_margin_ms: int = Field(60_000, ge=1_000)

    @model_validator(mode="after")
    def _bounds(self) -> ScanLimits:
        if self.min_segments > self.max_segments:
            raise ValueError("min_segments must not exceed max_segments")
        return self
