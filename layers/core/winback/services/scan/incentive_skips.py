"""The stats step's decision for campaigns with skip_segments_without_lift: which segments' users get a
no-offer variant from the next scan on, stored with the population stats the scan already reads (one
read per scan job, none per profile)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from winback.domain.measurement.segment_lift import incentive_skips

if TYPE_CHECKING:
    from winback.adapters.messaging_store import MessagingStore
    from winback.adapters.population_stats_store import PopulationStatsStore
    from winback.config.program import Program
    from winback.models.population import IncentiveSkip, PopulationStats


def decide_incentive_skips(
    program: Program, messaging: MessagingStore, previous: PopulationStats | None, as_of: datetime
) -> tuple[IncentiveSkip, ...]:
    """Every such campaign's segments without lift today, from its experiment cells (one query per
    campaign); a decision already stored keeps the day it was first taken."""
    earlier = previous.incentive_skips if previous is not None else ()
    skips: list[IncentiveSkip] = []
    for campaign in program.campaigns:
        if campaign.skip_segments_without_lift:
            cells = [c for c in messaging.cells(campaign.id) if c.step is None]
            skips.extend(incentive_skips(campaign, cells, as_of.date(), earlier))
    return tuple(skips)


def with_incentive_skips(
    program: Program, messaging: MessagingStore, store: PopulationStatsStore, as_of: datetime
) -> Callable[[PopulationStats], PopulationStats]:
    """What the stats step applies to the day's stats before storing them: the decisions added (the
    stored stats are read first, for the days earlier decisions were taken; not at all when no
    campaign skips)."""

    def amend(stats: PopulationStats) -> PopulationStats:
        if not any(c.skip_segments_without_lift for c in program.campaigns):
            return stats
        skips = decide_incentive_skips(program, messaging, store.load(), as_of)
        return stats.model_copy(update={"incentive_skips": skips})

    return amend
