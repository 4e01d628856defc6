"""Incentives only where they lift: per segment of a campaign, the incentive variants' lift (against the
no-offer variants, for the decision; against the holdout, for the ranking) and what the incentive cost
per reactivated user (pure, stdlib).

The decision compares the incentive variants with the no-offer variants of the same segment: both got
the same messages, so the difference is what the incentive itself did. Against the holdout, a segment
that responds to the message but not to the coupon would keep its coupon for good.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from winback.domain.measurement.cells import CellLike
from winback.domain.measurement.lift import Lift, compare
from winback.models.population import IncentiveSkip
from winback.models.report import COUPON_ISSUED, COUPON_VALUE_PREFIX, SegmentLift

if TYPE_CHECKING:
    from winback.config.campaigns import Campaign


def _sum(cells: Iterable[CellLike], arms: Iterable[str], segment: str) -> Counter[str]:
    wanted = set(arms)
    total: Counter[str] = Counter()
    for cell in cells:
        if cell.arm in wanted and cell.segment == segment:
            total.update(cell.counts)
    return total


def _compare(treated: Counter[str], control: Counter[str], confidence: float) -> Lift:
    return compare(treated["assigned"], treated["reactivated"], control["assigned"], control["reactivated"], confidence)


def incentive_lift(cells: Sequence[CellLike], campaign: Campaign, segment: str, confidence: float = 0.95) -> Lift:
    """The incentive variants against the no-offer variants in `segment` (reactivated of assigned)."""
    incentive = _sum(cells, campaign.incentive_arms(), segment)
    no_offer = _sum(cells, campaign.no_offer_arms(), segment)
    return _compare(incentive, no_offer, confidence)


def lacks_lift(lift: Lift, min_sample: int, min_lift: float) -> bool:
    """True once both sides have `min_sample` users and the whole interval lies below `min_lift`: an
    interval that reaches `min_lift` (or a sample below the minimum) keeps the incentive."""
    if lift.treated_n < min_sample or lift.control_n < min_sample or lift.abs_high is None:
        return False
    return lift.abs_high < min_lift


def incentive_skips(
    campaign: Campaign,
    cells: Sequence[CellLike],
    today: date,
    previous: Iterable[IncentiveSkip] = (),
    confidence: float = 0.95,
) -> list[IncentiveSkip]:
    """The campaign's segments whose incentive shows no lift today; a segment already skipped keeps
    the day it was first skipped. Empty unless the campaign sets skip_segments_without_lift."""
    if not campaign.skip_segments_without_lift:
        return []
    since = {s.segment: s.since for s in previous if s.campaign_id == campaign.id}
    skips: list[IncentiveSkip] = []
    for segment in sorted({c.segment for c in cells}):
        lift = incentive_lift(cells, campaign, segment, confidence)
        if not lacks_lift(lift, campaign.segment_lift_min_sample, campaign.segment_min_lift):
            continue
        assert lift.abs_lift is not None and lift.abs_low is not None and lift.abs_high is not None
        skips.append(
            IncentiveSkip(
                campaign_id=campaign.id,
                segment=segment,
                since=since.get(segment, today),
                incentive_n=lift.treated_n,
                incentive_x=lift.treated_x,
                no_offer_n=lift.control_n,
                no_offer_x=lift.control_x,
                abs_lift=lift.abs_lift,
                abs_low=lift.abs_low,
                abs_high=lift.abs_high,
            )
        )
    return skips


@dataclass(frozen=True)
class SkipIndex:
    """The stored decisions as the scan asks them: (campaign, segment) -> skipped."""

    pairs: frozenset[tuple[str, str]] = frozenset()

    @classmethod
    def of(cls, skips: Iterable[IncentiveSkip]) -> SkipIndex:
        return cls(frozenset((s.campaign_id, s.segment) for s in skips))

    def __contains__(self, key: object) -> bool:
        return key in self.pairs


def _coupon_value(counts: Mapping[str, int]) -> tuple[str | None, int]:
    """The coupon currency and value issued (a campaign's coupons share one currency)."""
    values = {
        name.removeprefix(COUPON_VALUE_PREFIX): v for name, v in counts.items() if name.startswith(COUPON_VALUE_PREFIX)
    }
    if not values:
        return None, 0
    currency = max(values, key=lambda c: values[c])
    return currency, values[currency]


def _ratio(value: int, by: float | None) -> float | None:
    return value / by if by else None


def _segment_row(
    cells: Sequence[CellLike], campaign: Campaign, segment: str, holdout: str, confidence: float
) -> SegmentLift:
    incentive = _sum(cells, campaign.incentive_arms(), segment)
    vs_holdout = _compare(incentive, _sum(cells, (holdout,), segment), confidence)
    vs_no_offer = incentive_lift(cells, campaign, segment, confidence)
    currency, value = _coupon_value(incentive)
    incremental = vs_holdout.abs_lift * vs_holdout.treated_n if vs_holdout.abs_lift is not None else None
    return SegmentLift(
        segment=segment,
        lift_rank=0,
        assigned=incentive["assigned"],
        reactivated=incentive["reactivated"],
        abs_lift=vs_holdout.abs_lift,
        abs_low=vs_holdout.abs_low,
        abs_high=vs_holdout.abs_high,
        holdout_n=vs_holdout.control_n,
        incentive_lift=vs_no_offer.abs_lift,
        incentive_low=vs_no_offer.abs_low,
        incentive_high=vs_no_offer.abs_high,
        no_offer_n=vs_no_offer.control_n,
        currency=currency,
        coupon_value_minor=value,
        coupons_issued=incentive[COUPON_ISSUED],
        incremental_reactivations=incremental,
        cost_per_reactivated_minor=_ratio(value, incentive["reactivated"]),
        cost_per_incremental_minor=_ratio(value, incremental) if incremental and incremental > 0 else None,
    )


def rank_segments(
    cells: Sequence[CellLike],
    campaign: Campaign,
    holdout: str,
    skipped_since: Mapping[str, date] | None = None,
    confidence: float = 0.95,
) -> list[SegmentLift]:
    """The campaign's segments by the incentive variants' lift against the holdout (largest first,
    segments without a comparison last), each with its cost rank (cheapest incremental reactivation
    first). Empty for a campaign without incentive variants."""
    if not campaign.incentive_arms() or not any(s.incentive is not None for s in campaign.steps):
        return []
    arms = set(campaign.incentive_arms())
    segments = sorted({c.segment for c in cells if c.arm in arms})
    rows = [_segment_row(cells, campaign, segment, holdout, confidence) for segment in segments]
    rows.sort(key=lambda r: (r.abs_lift is None, -(r.abs_lift or 0.0), r.segment))
    costed = sorted(
        (r for r in rows if r.cost_per_incremental_minor is not None),
        key=lambda r: (r.cost_per_incremental_minor, r.segment),
    )
    cost_rank = {r.segment: i for i, r in enumerate(costed, start=1)}
    since = skipped_since or {}
    return [
        r.model_copy(
            update={
                "lift_rank": i,
                "cost_rank": cost_rank.get(r.segment),
                "incentive_skipped_since": since.get(r.segment),
            }
        )
        for i, r in enumerate(rows, start=1)
    ]
