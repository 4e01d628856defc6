"""Aggregate a campaign's experiment cells into its report: arm rows, comparisons vs holdout, day curves.

Rates and lifts are intention-to-treat: the denominator is every user assigned to an arm, so a treated
user whose message was suppressed, capped or bounced still counts as treated. Comparing only the users
who were actually messaged would select the reachable (and more engaged) users and inflate the lift.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict
from datetime import datetime

from winback.domain.measurement.lift import compare, still_needed
from winback.models.report import (
    CHOICE_PREFIX,
    DELIVERY_COUNTERS,
    ENGAGEMENT_COUNTERS,
    OUTCOME_COUNTERS,
    PROGRAM_PREFIX,
    REACT_DAY_PREFIX,
    REASON_PREFIX,
    REVENUE_PREFIX,
    ArmRow,
    CampaignReport,
    Cell,
    Comparison,
)

TREATMENT = "treatment"


def _sum(cells: Iterable[Cell]) -> Counter[str]:
    total: Counter[str] = Counter()
    for cell in cells:
        total.update(cell.counts)
    return total


def _matching(
    cells: Iterable[Cell], *, arm: str | None = None, segment: str | None = None, step: int | None = None
) -> list[Cell]:
    """The cells of `arm`, `segment` and `step`; None matches any."""
    return [
        c
        for c in cells
        if (arm is None or c.arm == arm)
        and (segment is None or c.segment == segment)
        and (step is None or c.step == step)
    ]


def _by_prefix(counts: Mapping[str, int], prefix: str) -> dict[str, int]:
    """The counters named `<prefix><key>`, by key."""
    return {name.removeprefix(prefix): value for name, value in sorted(counts.items()) if name.startswith(prefix)}


def _row(arm: str, cells: Iterable[Cell], *, segment: str | None = None, step: int | None = None) -> ArmRow:
    counts = _sum(cells)
    assigned = counts["assigned"]
    revenue = _by_prefix(counts, REVENUE_PREFIX)
    fields = {name: counts[name] for name in DELIVERY_COUNTERS + ENGAGEMENT_COUNTERS + OUTCOME_COUNTERS}
    delivered, opened = counts["delivered"], counts["opened"]
    return ArmRow(
        arm=arm,
        segment=segment,
        step=step,
        **fields,
        reactivation_rate=counts["reactivated"] / assigned if assigned else None,
        open_rate=opened / delivered if delivered else None,
        click_rate=counts["clicked"] / delivered if delivered else None,
        click_to_open_rate=counts["clicked"] / opened if opened else None,
        revenue_minor=revenue,
        revenue_per_assigned_minor={cur: value / assigned for cur, value in revenue.items()} if assigned else {},
        program_versions=_by_prefix(counts, PROGRAM_PREFIX),
    )


def _comparison(
    arm: str,
    pooled: bool,
    segment: str | None,
    treated: Counter[str],
    control: Counter[str],
    confidence: float,
    min_detectable_rel: float,
) -> Comparison:
    lift = compare(treated["assigned"], treated["reactivated"], control["assigned"], control["reactivated"], confidence)
    needed = still_needed(lift, lift.treated_n, lift.control_n, min_detectable_rel, confidence)
    return Comparison(**asdict(lift), arm=arm, pooled=pooled, segment=segment, still_needed=needed)


def _day_curve(counts: Counter[str], window_days: int) -> list[float] | None:
    """Cumulative reactivation rate by day 0..window_days; reactivations past the window are not shown."""
    assigned = counts["assigned"]
    if not assigned:
        return None
    curve: list[float] = []
    running = 0
    for day in range(window_days + 1):
        running += counts[f"{REACT_DAY_PREFIX}{day}"]
        curve.append(running / assigned)
    return curve


def _reasons(cells: Iterable[Cell]) -> dict[str, dict[str, int]]:
    by_segment: dict[str, Counter[str]] = {}
    for cell in cells:
        for name, value in cell.counts.items():
            if name.startswith(REASON_PREFIX) and value:
                by_segment.setdefault(cell.segment, Counter())[name.removeprefix(REASON_PREFIX)] += value
    return {segment: dict(reasons.most_common()) for segment, reasons in sorted(by_segment.items())}


def _choices(cells: Iterable[Cell]) -> dict[str, int]:
    """How many users made each choice on the preference page, over every arm and segment."""
    total: Counter[str] = Counter()
    for name, value in _sum(cells).items():
        if name.startswith(CHOICE_PREFIX) and value:
            total[name.removeprefix(CHOICE_PREFIX)] += value
    return dict(sorted(total.items()))


def build_report(
    campaign_id: str,
    cells: Sequence[Cell],
    *,
    holdout_arm: str = "holdout",
    window_days: int,
    generated_at: datetime,
    paused_reason: str | None = None,
    spend: Mapping[str, int] | None = None,
    confidence: float = 0.95,
    min_detectable_rel: float = 0.1,
) -> CampaignReport:
    """The campaign's report from its cells: variant arms first (sorted), the holdout arm last."""
    if window_days < 0:
        raise ValueError("window_days must not be negative")
    variants = sorted({c.arm for c in cells} - {holdout_arm})
    arms = [*variants, holdout_arm] if any(c.arm == holdout_arm for c in cells) else variants
    segments = sorted({c.segment for c in cells})

    arm_rows = [_row(arm, _matching(cells, arm=arm)) for arm in arms]
    by_step = [
        _row(arm, _matching(cells, arm=arm, step=step), step=step)
        for arm in arms
        for step in sorted({c.step for c in cells if c.arm == arm and c.step is not None})
    ]
    by_segment = [
        _row(arm, _matching(cells, arm=arm, segment=segment), segment=segment)
        for arm in arms
        for segment in segments
        if _matching(cells, arm=arm, segment=segment)
    ]

    comparisons: list[Comparison] = []
    if holdout_arm in arms and variants:
        for segment in [None, *segments]:
            in_scope = _matching(cells, segment=segment)
            control = _sum(c for c in in_scope if c.arm == holdout_arm)
            pooled = _sum(c for c in in_scope if c.arm != holdout_arm)
            comparisons.append(_comparison(TREATMENT, True, segment, pooled, control, confidence, min_detectable_rel))
            for arm in variants:
                treated_cells = _matching(in_scope, arm=arm)
                if treated_cells:  # an arm that never reached this segment has nothing to compare
                    treated = _sum(treated_cells)
                    comparisons.append(
                        _comparison(arm, False, segment, treated, control, confidence, min_detectable_rel)
                    )

    curves = {arm: _day_curve(_sum(_matching(cells, arm=arm)), window_days) for arm in arms}
    return CampaignReport(
        campaign_id=campaign_id,
        generated_at=generated_at,
        paused=paused_reason is not None,
        paused_reason=paused_reason,
        holdout_arm=holdout_arm,
        window_days=window_days,
        confidence=confidence,
        arms=arm_rows,
        by_step=by_step,
        by_segment=by_segment,
        comparisons=comparisons,
        reactivation_by_day={arm: curve for arm, curve in curves.items() if curve is not None},
        reasons=_reasons(cells),
        choices=_choices(cells),
        spend=dict(spend or {}),
        program_versions=_by_prefix(_sum(cells), PROGRAM_PREFIX),
    )
