"""The segment a dormant user is reported and targeted under: their RFM group (pure)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from winback.domain.rfm import rfm_group, rfm_scores
from winback.models.profile import Profile
from winback.models.segments import PopulationStats
from winback.program import Program


@dataclass(frozen=True)
class RfmSegmenter:
    """Scores against the population's quintile cut points (None: the configured defaults)."""

    program: Program
    stats: PopulationStats | None

    def __call__(self, profile: Profile, as_of: datetime) -> str:
        segments = self.program.segments
        return rfm_group(rfm_scores(profile, self.stats, as_of, self.program.dormancy.signal, segments), segments)
