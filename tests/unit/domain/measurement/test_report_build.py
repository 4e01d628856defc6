"""domain/measurement/report_build.py: aggregating experiment cells into a campaign report."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from winback.domain.measurement.lift import compare
from winback.domain.measurement.report_build import TREATMENT, build_report
from winback.models.report import CampaignReport, Cell, Comparison

NOW = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)


def cell(arm: str, segment: str = "all-buyers", step: int | None = None, **counts: int) -> Cell:
    return Cell(step=step, arm=arm, segment=segment, counts=counts)


def report(
    cells: list[Cell],
    *,
    window_days: int = 3,
    holdout_arm: str = "holdout",
    paused_reason: str | None = None,
    spend: dict[str, int] | None = None,
) -> CampaignReport:
    return build_report(
        "spring",
        cells,
        holdout_arm=holdout_arm,
        window_days=window_days,
        generated_at=NOW,
        paused_reason=paused_reason,
        spend=spend,
    )


def find(comparisons: list[Comparison], arm: str, segment: str | None, pooled: bool) -> Comparison:
    (match,) = [c for c in comparisons if c.arm == arm and c.segment == segment and c.pooled == pooled]
    return match


CELLS = [
    cell("a", "vip", assigned=100, reactivated=20, react_day_0=5, react_day_2=15, revenue_minor_USD=10_000),
    cell("a", "new", assigned=300, reactivated=30, react_day_1=30),
    cell("b", "vip", assigned=100, reactivated=10, react_day_3=10, revenue_minor_USD=500, revenue_minor_JPY=700),
    cell("b", "new", assigned=300, reactivated=27),
    cell("holdout", "vip", assigned=50, reactivated=4, react_day_0=4),
    cell("holdout", "new", assigned=150, reactivated=9, react_day_1=9),
    cell("a", "vip", step=0, sent=90, delivered=85, bounced=5),
    cell("a", "vip", step=1, sent=60, delivered=60, unsubscribed=2),
    cell("a", "new", step=0, sent=280, delivered=270, complained=1),
    cell("b", "vip", step=0, sent=95, delivered=90, failed=5),
]


def test_arms_are_variants_sorted_then_holdout_with_summed_counts() -> None:
    rows = report(CELLS).arms
    assert [r.arm for r in rows] == ["a", "b", "holdout"]
    a = rows[0]
    assert (a.assigned, a.reactivated, a.sent, a.delivered, a.bounced, a.complained) == (400, 50, 430, 415, 5, 1)
    assert a.revenue_minor == {"USD": 10_000}
    assert a.revenue_per_assigned_minor == {"USD": 25.0}
    assert rows[1].revenue_minor == {"JPY": 700, "USD": 500}


def test_rates_use_assigned_as_denominator_intention_to_treat() -> None:
    # 100 assigned, only 40 messaged (the rest suppressed), 10 came back: the rate is 10 / 100, not 10 / 40
    rep = report([cell("a", assigned=100, reactivated=10), cell("a", step=0, sent=40, delivered=40)])
    assert rep.arms[0].reactivation_rate == pytest.approx(0.10)


def test_comparisons_are_intention_to_treat_too() -> None:
    rep = report(
        [
            cell("a", assigned=100, reactivated=10),
            cell("a", step=0, sent=40, delivered=40),
            cell("holdout", assigned=100, reactivated=5),
        ]
    )
    c = find(rep.comparisons, "a", None, pooled=False)
    assert (c.treated_n, c.treated_x, c.control_n, c.control_x) == (100, 10, 100, 5)


def test_treatment_pools_every_variant_arm_against_the_holdout() -> None:
    rep = report(CELLS)
    pooled = find(rep.comparisons, TREATMENT, None, pooled=True)
    assert (pooled.treated_n, pooled.treated_x) == (800, 87)
    assert (pooled.control_n, pooled.control_x) == (200, 13)
    expected = compare(800, 87, 200, 13)
    assert pooled.abs_lift == pytest.approx(expected.abs_lift)
    assert pooled.abs_low == pytest.approx(expected.abs_low)
    assert pooled.p_value == pytest.approx(expected.p_value)
    assert pooled.significant == expected.significant


def test_each_variant_is_compared_with_the_holdout() -> None:
    rep = report(CELLS)
    a = find(rep.comparisons, "a", None, pooled=False)
    b = find(rep.comparisons, "b", None, pooled=False)
    assert (a.treated_n, a.treated_x, b.treated_n, b.treated_x) == (400, 50, 400, 37)
    assert a.control_n == b.control_n == 200


def test_segment_comparisons_use_only_that_segments_cells() -> None:
    rep = report(CELLS)
    vip = find(rep.comparisons, TREATMENT, "vip", pooled=True)
    assert (vip.treated_n, vip.treated_x, vip.control_n, vip.control_x) == (200, 30, 50, 4)
    new_a = find(rep.comparisons, "a", "new", pooled=False)
    assert (new_a.treated_n, new_a.treated_x, new_a.control_n, new_a.control_x) == (300, 30, 150, 9)
    assert {c.segment for c in rep.comparisons} == {None, "new", "vip"}


def test_an_arm_absent_from_a_segment_is_not_compared_there() -> None:
    rep = report([*CELLS, cell("c", "vip", assigned=10, reactivated=1)])
    assert [c.segment for c in rep.comparisons if c.arm == "c"] == [None, "vip"]


def test_by_segment_rows_split_each_arm() -> None:
    rows = {(r.arm, r.segment): r for r in report(CELLS).by_segment}
    assert set(rows) == {(a, s) for a in ("a", "b", "holdout") for s in ("new", "vip")}
    assert rows[("a", "vip")].reactivation_rate == pytest.approx(0.20)
    assert rows[("a", "vip")].sent == 150
    assert rows[("holdout", "new")].reactivation_rate == pytest.approx(0.06)


def test_by_step_rows_hold_each_steps_delivery_counts() -> None:
    rows = {(r.arm, r.step): r for r in report(CELLS).by_step}
    assert set(rows) == {("a", 0), ("a", 1), ("b", 0)}
    assert (rows[("a", 0)].sent, rows[("a", 0)].delivered, rows[("a", 0)].complained) == (370, 355, 1)
    assert (rows[("a", 1)].sent, rows[("a", 1)].unsubscribed) == (60, 2)
    assert rows[("b", 0)].failed == 5


def test_reactivation_by_day_is_cumulative_per_arm_including_holdout() -> None:
    curves = report(CELLS).reactivation_by_day
    assert set(curves) == {"a", "b", "holdout"}
    assert curves["a"] == pytest.approx([5 / 400, 35 / 400, 50 / 400, 50 / 400])
    assert curves["b"] == pytest.approx([0, 0, 0, 10 / 400])
    assert curves["holdout"] == pytest.approx([4 / 200, 13 / 200, 13 / 200, 13 / 200])
    for curve in curves.values():
        assert curve == sorted(curve)


def test_day_curve_covers_the_window_and_leaves_out_later_days() -> None:
    curves = report([cell("a", assigned=10, react_day_0=1, react_day_5=4)], window_days=2).reactivation_by_day
    assert curves["a"] == pytest.approx([0.1, 0.1, 0.1])


def test_an_arm_with_no_assigned_users_has_no_rate_and_no_curve() -> None:
    rep = report([cell("a", step=0, sent=3)])
    assert rep.arms[0].reactivation_rate is None
    assert rep.reactivation_by_day == {}


def test_without_a_holdout_there_is_nothing_to_compare() -> None:
    rep = report([cell("a", assigned=10, reactivated=1), cell("b", assigned=10, reactivated=2)])
    assert rep.comparisons == []
    assert [r.arm for r in rep.arms] == ["a", "b"]


def test_custom_holdout_arm_name() -> None:
    rep = report([cell("a", assigned=10, reactivated=1), cell("control", assigned=10)], holdout_arm="control")
    assert [r.arm for r in rep.arms] == ["a", "control"]
    assert find(rep.comparisons, "a", None, pooled=False).control_n == 10


def test_still_needed_is_reported_per_comparison() -> None:
    rep = report([cell("a", assigned=1000, reactivated=105), cell("holdout", assigned=1000, reactivated=100)])
    c = find(rep.comparisons, "a", None, pooled=False)
    assert not c.significant
    assert c.still_needed is not None and c.still_needed > 0


def test_reasons_are_summed_per_segment_most_common_first() -> None:
    rep = report(
        [
            cell("a", "vip", reason_price=2, reason_too_many_emails=1),
            cell("holdout", "vip", reason_price=1, reason_too_many_emails=3),
            cell("a", "new", reason_moved=1),
            cell("b", "lost", assigned=4),
        ]
    )
    assert rep.reasons == {"new": {"moved": 1}, "vip": {"too_many_emails": 4, "price": 3}}
    assert list(rep.reasons["vip"]) == ["too_many_emails", "price"]


def test_preference_choices_are_summed_over_arms_and_segments() -> None:
    rep = report(
        [
            *CELLS,
            cell("a", "vip", choice_fewer=2, choice_pause_30=1),
            cell("b", "new", choice_fewer=1, choice_unsubscribe_all=1, unsubscribed=1),
        ]
    )
    assert rep.choices == {"fewer": 3, "pause_30": 1, "unsubscribe_all": 1}
    assert report(CELLS).choices == {}
    assert [row.assigned for row in rep.arms] == [row.assigned for row in report(CELLS).arms]  # rates untouched


def test_pause_and_spend_are_carried() -> None:
    rep = report(CELLS, paused_reason="complaint rate above 0.1%", spend={"USD": 12_500})
    assert rep.paused and rep.paused_reason == "complaint rate above 0.1%"
    assert rep.spend == {"USD": 12_500}
    assert not report(CELLS).paused


def test_cell_rejects_unknown_or_negative_counters() -> None:
    with pytest.raises(ValidationError, match="unknown counter names: viewed"):
        Cell(arm="a", segment="s", counts={"viewed": 1})
    with pytest.raises(ValidationError, match="must not be negative: sent"):
        Cell(step=0, arm="a", segment="s", counts={"sent": -1})
    with pytest.raises(ValidationError, match="unknown counter names: revenue_minor_usd"):
        Cell(arm="a", segment="s", counts={"revenue_minor_usd": 1})


def test_open_click_and_click_to_open_rates_per_arm_and_step() -> None:
    """Guard: rates of delivered messages; click-to-open of opened; proxy opens are not opens."""
    cells = [
        Cell(step=0, arm="a", segment="s", counts={"delivered": 10, "opened": 4, "machine_opened": 3, "clicked": 1}),
        Cell(step=1, arm="a", segment="s", counts={"delivered": 10, "opened": 0}),
    ]
    rep = build_report("c", cells, window_days=7, generated_at=NOW)
    arm = rep.arms[0]
    assert (arm.opened, arm.machine_opened, arm.clicked) == (4, 3, 1)
    assert (arm.open_rate, arm.click_rate, arm.click_to_open_rate) == (0.2, 0.05, 0.25)
    step1 = next(r for r in rep.by_step if r.step == 1)
    assert step1.open_rate == 0.0 and step1.click_to_open_rate is None
