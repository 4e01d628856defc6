"""The segment a dormant user is targeted and reported under: their RFM group, plus how engaged
they were before going quiet (activity level) (pure)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from winback.config.program import Program
from winback.domain.audience.activity_level import activity_level
from winback.domain.audience.rfm import rfm_group, rfm_scores
from winback.models.population import PopulationStats
from winback.models.profile import Profile


@dataclass(frozen=True)
class Segment:
    rfm: str
    activity: str


@dataclass(frozen=True)
class RfmSegmenter:
    """Scores against the population's cut points (None: the configured defaults)."""

    program: Program
    stats: PopulationStats | None

    def __call__(self, profile: Profile, as_of: datetime) -> Segment:
        segments = self.program.segments
        scores = rfm_scores(profile, self.stats, as_of, self.program.dormancy.signal, segments)
        return Segment(
            rfm=rfm_group(scores, segments),
            activity=activity_level(profile, self.stats, segments.activity),
        )
