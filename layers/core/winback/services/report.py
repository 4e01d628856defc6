"""A campaign's report, from counters kept as things happened (never a scan of the send log):
experiment cells, reasons for leaving, incentive spend and whether the campaign is paused."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from winback.config.campaigns import HOLDOUT
from winback.config.incentives import CouponIncentive
from winback.domain.measurement.report_build import build_report
from winback.models.report import CampaignReport, Cell, report_counters
from winback.services.reasons import reason_counts

if TYPE_CHECKING:
    from winback.adapters.coupon_store import CouponStore
    from winback.adapters.messaging_store import MessagingStore
    from winback.adapters.reason_store import ReasonStore
    from winback.config.program import Program


def campaign_report(
    campaign_id: str,
    program: Program,
    messaging: MessagingStore,
    coupons: CouponStore,
    reasons: ReasonStore,
    now: datetime,
) -> CampaignReport:
    """Raises KeyError for a campaign the program does not have."""
    campaign = program.campaign(campaign_id)
    cells = [
        Cell(step=c.step, arm=c.arm, segment=c.segment, counts=report_counters(c.counts))
        for c in messaging.cells(campaign_id)
    ]
    # Answers are counted per segment, not per arm (only treated users get the question): they are
    # reported under the first variant, where they add to no rate.
    for segment, counts in reason_counts(reasons, campaign_id).items():
        answered = {f"reason_{reason}": n for reason, n in counts.items() if n > 0}
        if answered:
            cells.append(Cell(step=None, arm=campaign.variants[0].id, segment=segment, counts=answered))
    currencies = {s.incentive.currency for s in campaign.steps if isinstance(s.incentive, CouponIncentive)}
    spend = {currency: coupons.spend(campaign_id)["issued_value"] for currency in currencies}
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


def all_reports(
    program: Program, messaging: MessagingStore, coupons: CouponStore, reasons: ReasonStore, now: datetime
) -> list[CampaignReport]:
    return [campaign_report(c.id, program, messaging, coupons, reasons, now) for c in program.campaigns]
