"""A campaign's report, from counters kept as things happened (never a scan of the send log):
experiment cells, reasons for leaving, incentive spend and whether the campaign is paused; and
resuming a campaign that paused itself, the operator's answer to what the report shows."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from winback.config.campaigns import HOLDOUT
from winback.config.incentives import CouponIncentive
from winback.domain.measurement.report_build import build_report
from winback.models.report import CampaignReport, Cell, report_counters
from winback.services.recipient.reasons import reason_counts

if TYPE_CHECKING:
    from winback.adapters.coupon_store import CouponStore
    from winback.adapters.messaging_store import MessagingStore
    from winback.adapters.reason_store import ReasonStore
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


def campaign_report(campaign_id: str, ports: ReportPorts, now: datetime) -> CampaignReport:
    """Raises KeyError for a campaign the program does not have."""
    program, messaging = ports.program, ports.messaging
    campaign = program.campaign(campaign_id)
    cells = [
        Cell(step=c.step, arm=c.arm, segment=c.segment, counts=report_counters(c.counts))
        for c in messaging.cells(campaign_id)
    ]
    # Answers are counted per segment, not per arm (only treated users get the question): they are
    # reported under the first variant, where they add to no rate.
    for segment, counts in reason_counts(ports.reasons, campaign_id).items():
        answered = {f"reason_{reason}": n for reason, n in counts.items() if n > 0}
        if answered:
            cells.append(Cell(step=None, arm=campaign.variants[0].id, segment=segment, counts=answered))
    currencies = {s.incentive.currency for s in campaign.steps if isinstance(s.incentive, CouponIncentive)}
    spend = {currency: ports.coupons.spend(campaign_id)["issued_value"] for currency in currencies}
    return build_report(
        campaign_id,
        cells,
        holdout_arm=HOLDOUT,
        window_days=program.experiments.attribution_window_days,
        generated_at=now,
        paused_reason=messaging.paused_reason(campaign_id),
        spend=spend,
        min_detectable_rel=program.experiments.min_detectable_lift,
    )


def all_reports(ports: ReportPorts, now: datetime) -> list[CampaignReport]:
    return [campaign_report(c.id, ports, now) for c in ports.program.campaigns]


def resume_campaign(campaign_id: str, program: Program, messaging: MessagingStore) -> bool:
    """Resume a campaign that paused itself; False when it was not paused. Raises KeyError for a
    campaign the program does not have."""
    program.campaign(campaign_id)
    return messaging.resume(campaign_id)
