"""The daily stats step's part for adaptive campaigns: each one's split of the day, from the
experiment counters the report keeps, stored with the population stats (the scan reads them in the
same item, once per job) and as one history item per campaign and day (the report's allocation over time)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from winback.domain.measurement.adaptive import allocate, arm_counts
from winback.models.allocation import Allocation

if TYPE_CHECKING:
    from winback.adapters.messaging_store import MessagingStore
    from winback.config.campaigns import Campaign
    from winback.config.program import Program
    from winback.models.population import PopulationStats


def campaign_allocation(campaign: Campaign, messaging: MessagingStore, as_of: datetime) -> Allocation:
    assigned, reactivated = arm_counts(messaging.cells(campaign.id), (v.id for v in campaign.variants))
    return allocate(campaign, assigned, reactivated, as_of.date())


def with_allocations(
    program: Program, messaging: MessagingStore, as_of: datetime
) -> Callable[[PopulationStats], PopulationStats]:
    """What the stats step applies to the day's stats before storing them: every adaptive campaign's
    split of the day, each also kept in its history. Safe to rerun: the same day's items are overwritten."""

    def amend(stats: PopulationStats) -> PopulationStats:
        decisions = [campaign_allocation(c, messaging, as_of) for c in program.campaigns if c.allocation == "adaptive"]
        for decision in decisions:
            messaging.put_allocation(decision)
        return stats.model_copy(update={"allocations": {d.campaign_id: d for d in decisions}}) if decisions else stats

    return amend
