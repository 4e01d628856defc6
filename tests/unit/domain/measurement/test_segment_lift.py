"""Incentives only where they lift: the decision (after the minimum sample, an interval entirely below
the minimum lift) and the report's ranking of segments with the cost per reactivated user."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta

import pytest
from pydantic import ValidationError

from winback.config.campaigns import Campaign
from winback.config.loader import load_program
from winback.domain.audience.segmentation import Segment
from winback.domain.measurement.lift import compare
from winback.domain.measurement.segment_lift import (
    SkipIndex,
    incentive_lift,
    incentive_skips,
    lacks_lift,
    rank_segments,
)
from winback.models.jobs import ScanJob
from winback.models.population import IncentiveSkip
from winback.models.profile import Profile
from winback.models.report import Cell
from winback.services.scan.job import decide

TODAY = date(2026, 12, 7)


def _campaign(min_sample: int = 50, min_lift: float = 0.02) -> Campaign:
    return Campaign.model_validate(
        {
            "id": "offer",
            "tiers": ["dormant"],
            "channels": ["email"],
            "steps": [
                {
                    "template": "offer",
                    "incentive": {
                        "kind": "coupon",
                        "currency": "USD",
                        "valid_days": 14,
                        "value_by_segment": {"default": 10},
                    },
                }
            ],
            "variants": [{"id": "coupon"}, {"id": "no-coupon", "incentives": False}],
            "skip_segments_without_lift": True,
            "segment_lift_min_sample": min_sample,
            "segment_min_lift": min_lift,
        }
    )


def _cells(
    segment: str, coupon: tuple[int, int], no_coupon: tuple[int, int], holdout: tuple[int, int] = (0, 0)
) -> list[Cell]:
    cells = [
        Cell(step=None, arm="coupon", segment=segment, counts={"assigned": coupon[0], "reactivated": coupon[1]}),
        Cell(
            step=None, arm="no-coupon", segment=segment, counts={"assigned": no_coupon[0], "reactivated": no_coupon[1]}
        ),
    ]
    if holdout[0]:
        cells.append(
            Cell(step=None, arm="holdout", segment=segment, counts={"assigned": holdout[0], "reactivated": holdout[1]})
        )
    return cells


def test_a_segment_without_lift_loses_the_incentive_only_after_the_minimum_sample() -> None:
    """Guard: lacks_lift's minimum sample (both sides). 10 of 100 with the coupon against 40 of 100
    without: clearly no lift, yet below 101 users a side the segment keeps its coupon."""
    cells = _cells("hibernating", (100, 10), (100, 40))
    lift = incentive_lift(cells, _campaign(), "hibernating")
    assert lift.abs_high is not None and lift.abs_high < 0.0
    assert incentive_skips(_campaign(min_sample=101), cells, TODAY) == []
    skips = incentive_skips(_campaign(min_sample=100), cells, TODAY)
    assert [(s.segment, s.since, s.incentive_n, s.no_offer_x) for s in skips] == [("hibernating", TODAY, 100, 40)]
    assert skips[0].abs_high == lift.abs_high


def test_an_interval_that_touches_the_minimum_keeps_the_incentive() -> None:
    """Guard: the interval must lie entirely (strictly) below segment_min_lift."""
    cells = _cells("at_risk", (300, 60), (300, 66))
    lift = incentive_lift(cells, _campaign(), "at_risk")
    assert lift.abs_high is not None
    assert not lacks_lift(lift, 300, lift.abs_high)  # touching: keeps it
    assert lacks_lift(lift, 300, lift.abs_high + 1e-9)
    touching = _campaign(min_sample=300, min_lift=lift.abs_high)
    assert incentive_skips(touching, cells, TODAY) == []


def test_a_segment_where_the_incentive_lifts_keeps_it_and_a_stored_decision_keeps_its_day() -> None:
    cells = _cells("champions", (200, 80), (200, 40)) + _cells("hibernating", (200, 20), (200, 60))
    earlier = IncentiveSkip(
        campaign_id="offer",
        segment="hibernating",
        since=TODAY - timedelta(days=3),
        incentive_n=150,
        incentive_x=15,
        no_offer_n=150,
        no_offer_x=45,
        abs_lift=-0.2,
        abs_low=-0.3,
        abs_high=-0.1,
    )
    skips = incentive_skips(_campaign(), cells, TODAY, [earlier])
    assert [(s.segment, s.since, s.incentive_n) for s in skips] == [("hibernating", TODAY - timedelta(days=3), 200)]


def test_a_campaign_that_does_not_skip_decides_nothing() -> None:
    campaign = _campaign().model_copy(update={"skip_segments_without_lift": False})
    assert incentive_skips(campaign, _cells("hibernating", (500, 0), (500, 250)), TODAY) == []


def test_skipping_needs_an_incentive_variant_and_a_no_offer_variant() -> None:
    data = _campaign().model_dump(mode="json", exclude_defaults=False)
    data["variants"] = [{"id": "coupon"}, {"id": "coupon-b"}]
    with pytest.raises(ValidationError, match="no-offer variant"):
        Campaign.model_validate(data)
    data["variants"] = [{"id": "plain", "incentives": False}]
    with pytest.raises(ValidationError, match="incentive variant and a no-offer variant"):
        Campaign.model_validate(data)
    data["variants"] = [{"id": "coupon"}, {"id": "no-coupon", "incentives": False}]
    data["steps"] = [{"template": "offer"}]
    with pytest.raises(ValidationError, match="a step with an incentive"):
        Campaign.model_validate(data)


def test_segments_rank_by_lift_vs_holdout_with_the_cost_per_reactivated_user_as_computed_by_hand() -> None:
    """champions: coupon 30/100 vs holdout 10/100 -> +20 pp, 20 incremental; USD 150.00 issued:
    USD 5.00 per reactivated (150/30), USD 7.50 per incremental (150/20).
    loyal: 25/100 vs 15/100 -> +10 pp, 10 incremental; USD 50.00: 2.00 and 5.00 -> cheaper per incremental.
    hibernating: 5/100 vs 5/100 -> 0 pp: no incremental reactivation, no cost rank."""
    cells: list[Cell] = []
    for segment, coupon_x, holdout_x, value in (
        ("champions", 30, 10, 15000),
        ("loyal", 25, 15, 5000),
        ("hibernating", 5, 5, 4000),
    ):
        cells += _cells(segment, (100, coupon_x), (100, coupon_x), (100, holdout_x))
        cells.append(
            Cell(
                step=0,
                arm="coupon",
                segment=segment,
                counts={"coupon_issued": value // 1000, "coupon_value_minor_USD": value},
            )
        )
    ranked = rank_segments(cells, _campaign(), "holdout", {"hibernating": TODAY})
    assert [(r.segment, r.lift_rank, r.cost_rank) for r in ranked] == [
        ("champions", 1, 2),
        ("loyal", 2, 1),
        ("hibernating", 3, None),
    ]
    champions, loyal, hibernating = ranked
    assert champions.abs_lift == pytest.approx(0.20)
    assert champions.incremental_reactivations == pytest.approx(20.0)
    assert (champions.currency, champions.coupon_value_minor, champions.coupons_issued) == ("USD", 15000, 15)
    assert champions.cost_per_reactivated_minor == pytest.approx(500.0)
    assert champions.cost_per_incremental_minor == pytest.approx(750.0)
    assert loyal.cost_per_reactivated_minor == pytest.approx(200.0)
    assert loyal.cost_per_incremental_minor == pytest.approx(500.0)
    assert hibernating.cost_per_incremental_minor is None and hibernating.incentive_skipped_since == TODAY
    reference = compare(100, 30, 100, 10)
    assert (champions.abs_low, champions.abs_high) == (reference.abs_low, reference.abs_high)
    assert champions.incentive_lift == pytest.approx(0.0) and champions.no_offer_n == 100


def test_the_scan_gives_a_segment_without_lift_the_no_offer_variant_and_counts_it() -> None:
    """Guard: services.scan.job.offer_where_it_lifts. A user the split puts in the coupon variant of a
    skipped segment gets no-coupon; the holdout stays; other segments keep the coupon."""
    as_of = datetime(2026, 12, 7, 3, tzinfo=UTC)
    program = load_program()
    campaign = program.campaign("dormant-offer")
    assert campaign.skip_segments_without_lift
    job = ScanJob(run_id="r", as_of=as_of, segment=0, total_segments=1)
    skips = SkipIndex.of(
        [
            IncentiveSkip(
                campaign_id="dormant-offer",
                segment="hibernating",
                since=TODAY,
                incentive_n=1,
                incentive_x=0,
                no_offer_n=1,
                no_offer_x=1,
                abs_lift=-1,
                abs_low=-1,
                abs_high=-0.5,
            )
        ]
    )
    last_order = as_of - timedelta(days=120)

    def arms(rfm: str, with_skips: SkipIndex | None, tally: Counter[str]) -> dict[str, str]:
        out = {}
        for i in range(120):
            profile = Profile(
                user_id=f"u{i}",
                first_seen_at=last_order - timedelta(days=300),
                last_seen_at=last_order,
                last_event_at={"order": last_order},
            )
            target = decide(
                profile, job, program, lambda p, at: Segment(rfm=rfm, activity="light"), tally, skips=with_skips
            )
            assert target is not None and target.assignment is not None
            assert target.assignment.campaign_id == "dormant-offer"
            out[profile.user_id] = target.assignment.arm
        return out

    tally: Counter[str] = Counter()
    before = arms("hibernating", None, Counter())
    after = arms("hibernating", skips, tally)
    elsewhere = arms("at_risk", skips, Counter())
    assert "coupon" in before.values() and "coupon" not in after.values()
    assert tally["incentive_skipped_no_lift"] == sum(arm == "coupon" for arm in before.values())
    assert {u for u, a in after.items() if a == "holdout"} == {u for u, a in before.items() if a == "holdout"}
    assert elsewhere == before
