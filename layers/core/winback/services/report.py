"""A campaign's report, from counters kept as things happened (never a scan of the send log):
experiment cells, reasons for leaving, incentive spend and whether the campaign is paused; and
resuming a campaign that paused itself, the operator's answer to what the report shows."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Protocol

from winback.config.campaigns import HOLDOUT, PROGRAM_CONTROL
from winback.config.incentives import CouponIncentive
from winback.domain.measurement.adaptive import allocate, arm_counts
from winback.domain.measurement.arms import untreated
from winback.domain.measurement.program_lift import RevenueStratum, Stratum, program_lift, revenue_lift
from winback.domain.measurement.report_build import build_report
from winback.domain.measurement.segment_lift import rank_segments
from winback.models.report import (
    REVENUE_PREFIX,
    REVENUE_SQUARES_PREFIX,
    AdaptiveReport,
    CampaignReport,
    Cell,
    ProgramReport,
    ProgramRevenue,
    ProgramStratum,
    report_counters,
)
from winback.services.recipient.reasons import reason_counts

if TYPE_CHECKING:
    from winback.adapters.coupon_store import CouponStore
    from winback.adapters.messaging_store import CellCounts, MessagingStore
    from winback.adapters.population_stats_store import PopulationStatsStore
    from winback.adapters.reason_store import ReasonStore
    from winback.config.campaigns import Campaign
    from winback.config.program import Program


class ReportPorts(Protocol):
    """What a report reads (runtime.Deps provides it)."""

    @property
    def program(self) -> Program: ...
    @property
    def messaging(self) -> MessagingStore: ...
    @property
    def coupons(self) -> CouponStore: ...
    @property
    def reasons(self) -> ReasonStore: ...
    @property
    def population_stats(self) -> PopulationStatsStore: ...


def campaign_report(campaign_id: str, ports: ReportPorts, now: datetime) -> CampaignReport:
    """Raises KeyError for a campaign the program does not have."""
    program, messaging = ports.program, ports.messaging
    campaign = program.campaign(campaign_id)
    # The program-wide control group is measured in the program report, not as a campaign's arm.
    cells = [
        Cell(step=c.step, arm=c.arm, segment=c.segment, counts=report_counters(c.counts))
        for c in messaging.cells(campaign_id)
        if c.arm != PROGRAM_CONTROL
    ]
    # Answers are counted per segment, not per arm (only treated users get the question): they are
    # reported under the first variant, where they add to no rate.
    for segment, counts in reason_counts(ports.reasons, campaign_id).items():
        answered = {f"reason_{reason}": n for reason, n in counts.items() if n > 0}
        if answered:
            cells.append(Cell(step=None, arm=campaign.variants[0].id, segment=segment, counts=answered))
    currencies = {s.incentive.currency for s in campaign.steps if isinstance(s.incentive, CouponIncentive)}
    spend = {currency: ports.coupons.spend(campaign_id)["issued_value"] for currency in currencies}
    report = build_report(
        campaign_id,
        cells,
        holdout_arm=HOLDOUT,
        window_days=program.experiments.attribution_window_days,
        generated_at=now,
        paused_reason=messaging.paused_reason(campaign_id),
        spend=spend,
        min_detectable_rel=program.experiments.min_detectable_lift,
    )
    ranked = rank_segments(cells, campaign, HOLDOUT, _skipped_since(campaign, ports))
    report = report.model_copy(update={"segments_ranked": ranked})
    if campaign.allocation != "adaptive":
        return report
    return report.model_copy(update={"adaptive": adaptive_report(campaign, cells, messaging, now)})


def _skipped_since(campaign: Campaign, ports: ReportPorts) -> dict[str, date]:
    """Segment -> the day its users stopped getting the incentive (read only for a campaign that skips)."""
    if not campaign.skip_segments_without_lift:
        return {}
    stats = ports.population_stats.load()
    skips = stats.incentive_skips if stats is not None else ()
    return {s.segment: s.since for s in skips if s.campaign_id == campaign.id}


def adaptive_report(campaign: Campaign, cells: list[Cell], messaging: MessagingStore, now: datetime) -> AdaptiveReport:
    """Each variant's P(best) from the counts now (as the stats step computes it), the winner at the
    campaign's probability, and the stats step's daily decisions."""
    assigned, reactivated = arm_counts(cells, (v.id for v in campaign.variants))
    current = allocate(campaign, assigned, reactivated, now.date())
    return AdaptiveReport(
        winner_probability=campaign.winner_probability,
        min_per_arm=campaign.adaptive_min_per_arm,
        adapting=current.adapting,
        p_best=current.p_best,
        winner=current.winner,
        allocation_over_time=messaging.allocations(campaign.id),
    )


def all_reports(ports: ReportPorts, now: datetime) -> list[CampaignReport]:
    return [campaign_report(c.id, ports, now) for c in ports.program.campaigns]


def _stratum(campaign_id: str, cells: Sequence[CellCounts]) -> Stratum:
    treated = control = (0, 0)
    for c in cells:
        if c.step is not None:
            continue
        counts = (c.counts.get("assigned", 0), c.counts.get("reactivated", 0))
        if c.arm == PROGRAM_CONTROL:
            control = (control[0] + counts[0], control[1] + counts[1])
        elif not untreated(c.arm):
            treated = (treated[0] + counts[0], treated[1] + counts[1])
    return Stratum(campaign_id, treated[0], treated[1], control[0], control[1])


def _revenue_strata(campaign_id: str, cells: Sequence[CellCounts]) -> list[RevenueStratum]:
    """Per currency, the campaign's treated and program-control users with their revenue sums."""
    sides: dict[str, Counter[str]] = {"treated": Counter(), "control": Counter()}
    currencies: set[str] = set()
    for c in cells:
        if c.step is not None or (untreated(c.arm) and c.arm != PROGRAM_CONTROL):
            continue
        side = sides["control" if c.arm == PROGRAM_CONTROL else "treated"]
        side.update({k: v for k, v in c.counts.items() if k == "assigned" or k.startswith("revenue_")})
        currencies.update(k.removeprefix(REVENUE_PREFIX) for k in c.counts if k.startswith(REVENUE_PREFIX))
    treated, control = sides["treated"], sides["control"]
    return [
        RevenueStratum(
            campaign_id,
            currency,
            treated["assigned"],
            treated[REVENUE_PREFIX + currency],
            treated[REVENUE_SQUARES_PREFIX + currency],
            control["assigned"],
            control[REVENUE_PREFIX + currency],
            control[REVENUE_SQUARES_PREFIX + currency],
        )
        for currency in sorted(currencies)
    ]


def _program_revenue(strata: Sequence[RevenueStratum]) -> list[ProgramRevenue]:
    return [
        ProgramRevenue(
            currency=r.currency,
            per_user_minor=r.per_user,
            per_user_low_minor=r.per_user_low,
            per_user_high_minor=r.per_user_high,
            incremental_minor=r.incremental,
            incremental_low_minor=r.incremental_low,
            incremental_high_minor=r.incremental_high,
            significant=r.significant,
        )
        for r in revenue_lift(strata)
    ]


def program_report(ports: ReportPorts, now: datetime) -> ProgramReport:
    """Everyone any campaign treated against the program-wide control group (campaign holdouts are
    in neither), stratified by campaign."""
    program = ports.program
    cells = {c.id: ports.messaging.cells(c.id) for c in program.campaigns}
    strata = [_stratum(campaign_id, campaign_cells) for campaign_id, campaign_cells in cells.items()]
    revenue = [s for campaign_id, campaign_cells in cells.items() for s in _revenue_strata(campaign_id, campaign_cells)]
    lift = program_lift(strata)
    return ProgramReport(
        generated_at=now,
        control_percent=program.experiments.program_control_percent,
        confidence=lift.confidence,
        treated_n=lift.treated_n,
        treated_x=lift.treated_x,
        control_n=lift.control_n,
        control_x=lift.control_x,
        abs_lift=lift.abs_lift,
        abs_low=lift.abs_low,
        abs_high=lift.abs_high,
        incremental_reactivations=lift.incremental,
        incremental_low=lift.incremental_low,
        incremental_high=lift.incremental_high,
        significant=lift.significant,
        campaigns=[ProgramStratum(**vars(s)) for s in strata],
        without_control=list(lift.without_control),
        revenue=_program_revenue(revenue),
    )


def resume_campaign(campaign_id: str, program: Program, messaging: MessagingStore) -> bool:
    """Resume a campaign that paused itself; False when it was not paused. Raises KeyError for a
    campaign the program does not have."""
    program.campaign(campaign_id)
    return messaging.resume(campaign_id)
