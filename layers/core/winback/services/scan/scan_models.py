"""What the scan decides with, from one read of the day's population stats: the segmenter, the
P(alive) and value scorer (when a fit is usable), the segments whose incentive showed no lift, and the
adaptive campaigns' splits of the day."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from winback.domain.audience.scoring import Scorer, scorer_for
from winback.domain.audience.segmentation import RfmSegmenter
from winback.domain.measurement.segment_lift import SkipIndex

if TYPE_CHECKING:
    from winback.config.program import Program
    from winback.models.allocation import Allocation
    from winback.models.population import PopulationStats


@dataclass(frozen=True)
class ScanModels:
    segmenter: RfmSegmenter
    scorer: Scorer | None
    skips: SkipIndex
    allocations: Mapping[str, Allocation]

    @classmethod
    def of(cls, program: Program, stats: PopulationStats | None) -> ScanModels:
        return cls(
            RfmSegmenter(program, stats),
            scorer_for(stats, program.segments),
            SkipIndex.of(stats.incentive_skips if stats is not None else ()),
            dict(stats.allocations) if stats is not None else {},
        )
