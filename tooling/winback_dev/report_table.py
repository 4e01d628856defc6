"""A campaign report as plain-text tables for a terminal, and the number formats the HTML page shares."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal

from winback.domain.money import minor_units
from winback.models.report import ArmRow, CampaignReport, Comparison, ProgramReport, ProgramRevenue, SegmentLift

DASH = "-"


def format_rate(value: float | None) -> str:
    """A proportion as a percentage: 0.1234 -> 12.34%."""
    return DASH if value is None else f"{value * 100:.2f}%"


def format_points(value: float | None) -> str:
    """A difference of proportions in percentage points, signed: 0.012 -> +1.20 pp."""
    return DASH if value is None else f"{value * 100:+.2f} pp"


def format_relative(value: float | None) -> str:
    return DASH if value is None else f"{value * 100:+.1f}%"


def format_p(value: float | None) -> str:
    if value is None:
        return DASH
    return "<0.0001" if value < 0.0001 else f"{value:.4f}"


def format_interval(low: float | None, high: float | None, fmt: str = "points") -> str:
    if low is None or high is None:
        return DASH
    one = format_points if fmt == "points" else format_relative
    return f"[{one(low)}, {one(high)}]"


def format_money(amounts: Mapping[str, int | float]) -> str:
    """Minor units per currency in major units, e.g. {"USD": 12345} -> "USD 123.45"."""
    if not amounts:
        return DASH
    parts = []
    for currency, minor in sorted(amounts.items()):
        exponent = len(str(minor_units(Decimal(1), currency))) - 1  # 100 -> 2 decimals, 1 -> 0 (JPY)
        parts.append(f"{currency} {minor / 10**exponent:,.{exponent}f}")
    return " ".join(parts)


def format_count(value: int | None) -> str:
    return DASH if value is None else f"{value:,}"


def comparison_label(comparison: Comparison) -> str:
    arm = f"{comparison.arm} (all variants)" if comparison.pooled else comparison.arm
    return f"{arm} / {comparison.segment or 'all segments'}"


def grid(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Columns padded to their widest cell; the first column left-aligned, the others right-aligned."""
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(
            c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        )

    return "\n".join([line(headers), "  ".join("-" * w for w in widths), *(line(r) for r in rows)])


ARM_HEADERS = (
    "arm",
    "assigned",
    "sent",
    "delivered",
    "bounced",
    "complained",
    "unsub",
    "reactivated",
    "rate",
    "revenue",
)
STEP_HEADERS = (
    "arm / step",
    "sent",
    "delivered",
    "bounced",
    "complained",
    "unsub",
    "failed",
    "uncertain",
    "deferred",
    "dropped",
)
ENGAGEMENT_HEADERS = ("arm / scope", "delivered", "opened", "proxy opens", "clicked", "open rate", "click rate", "CTOR")
ENGAGEMENT_NOTE = (
    "Email engagement (rates of delivered; CTOR = clicked / opened). Opens are inflated by privacy "
    "proxies (Apple Mail Privacy Protection); those recognised count as proxy opens, not opened."
)
COMPARISON_HEADERS = ("comparison", "treated", "holdout", "lift", "interval", "relative", "p-value", "more/arm")


def arm_cells(row: ArmRow) -> list[str]:
    label = row.arm if row.segment is None else f"{row.arm} / {row.segment}"
    counts = (row.assigned, row.sent, row.delivered, row.bounced, row.complained, row.unsubscribed, row.reactivated)
    return [
        label,
        *(format_count(c) for c in counts),
        format_rate(row.reactivation_rate),
        format_money(row.revenue_minor),
    ]


def step_cells(row: ArmRow) -> list[str]:
    counts = (
        row.sent,
        row.delivered,
        row.bounced,
        row.complained,
        row.unsubscribed,
        row.failed,
        row.uncertain,
        row.deferred,
    )
    return [f"{row.arm} / step {row.step}", *(format_count(c) for c in (*counts, row.dropped))]


def engagement_cells(row: ArmRow) -> list[str]:
    scope = row.arm
    if row.step is not None:
        scope += f" / step {row.step}"
    if row.segment is not None:
        scope += f" / {row.segment}"
    counts = (row.delivered, row.opened, row.machine_opened, row.clicked)
    rates = (row.open_rate, row.click_rate, row.click_to_open_rate)
    return [scope, *(format_count(c) for c in counts), *(format_rate(r) for r in rates)]


def engagement_rows(report: CampaignReport) -> list[list[str]]:
    """Open, click and click-to-open rates per arm, per arm and step, per arm and segment."""
    rows = [*report.arms, *report.by_step, *report.by_segment]
    return [engagement_cells(r) for r in rows if r.delivered or r.opened or r.clicked]


def comparison_cells(c: Comparison) -> list[str]:
    return [
        comparison_label(c),
        f"{format_rate(c.treated_rate)} of {format_count(c.treated_n)}",
        f"{format_rate(c.control_rate)} of {format_count(c.control_n)}",
        format_points(c.abs_lift) + (" *" if c.significant else ""),
        format_interval(c.abs_low, c.abs_high),
        format_relative(c.rel_lift),
        format_p(c.p_value),
        format_count(c.still_needed),
    ]


CHOICE_LABELS = {
    "fewer": "fewer messages",
    "usual": "back to the usual number",
    "pause_30": "paused 30 days",
    "pause_90": "paused 90 days",
    "resume": "ended a pause",
    "channels": "changed channels",
    "unsubscribe_all": "unsubscribed from all",
}
STAYED = ("fewer", "pause_30", "pause_90", "channels")
CHOICE_HEADERS = ("preference page choice", "users")


def choice_rows(report: CampaignReport) -> list[list[str]]:
    """Each choice made on the preference page, then those who stayed on their own terms (fewer, a pause,
    fewer channels) against those who left by any of our links (one-click or "unsubscribe from all")."""
    if not report.choices:
        return []
    rows = [[CHOICE_LABELS.get(name, name), format_count(n)] for name, n in report.choices.items()]
    stayed = sum(report.choices.get(name, 0) for name in STAYED)
    left = sum(row.unsubscribed for row in report.arms)
    return [*rows, ["stayed, on their terms", format_count(stayed)], ["left (unsubscribed)", format_count(left)]]


VERSION_HEADERS = ("arm / step", "program version", "sends")
VERSION_NOTE = "Program versions the sends ran (winback program history)"


def version_rows(report: CampaignReport) -> list[list[str]]:
    """Per arm and step, the sends each program version ran."""
    return [
        [f"{row.arm} / step {row.step}", version, format_count(sends)]
        for row in report.by_step
        for version, sends in row.program_versions.items()
    ]


REASON_HEADERS = ("reason", "answered", "inferred")


def reason_rows(report: CampaignReport) -> list[list[str]]:
    """Each reason as users answered it and as their behaviour suggested it (every arm)."""
    return [[r, format_count(c.answered), format_count(c.inferred)] for r, c in report.reasons_compared.items()]


def _reason_tables(report: CampaignReport) -> list[str]:
    out: list[str] = []
    if report.reasons:
        rows = [
            [segment, reason, format_count(n)] for segment, rs in report.reasons.items() for reason, n in rs.items()
        ]
        out += ["", "Why they left", grid(("segment", "reason", "answers"), rows)]
    if report.reasons_compared:
        out += ["", "Why they left: answered vs inferred from behaviour", grid(REASON_HEADERS, reason_rows(report))]
    return out


def render_table(report: CampaignReport) -> str:
    """The report's figures as text: arms, segments, steps, comparisons vs holdout, reasons,
    preference choices, spend."""
    out = [f"Campaign {report.campaign_id} (generated {report.generated_at.isoformat()})"]
    if report.paused:
        out.append(f"PAUSED: {report.paused_reason}")
    out.append(f"Holdout arm: {report.holdout_arm}; reactivation window {report.window_days} days")
    if report.arms:
        out += ["", "By arm (rate = reactivated / assigned)", grid(ARM_HEADERS, [arm_cells(r) for r in report.arms])]
    if report.by_segment:
        out += ["", "By arm and segment", grid(ARM_HEADERS, [arm_cells(r) for r in report.by_segment])]
    if report.by_step:
        out += ["", "By arm and step (messages)", grid(STEP_HEADERS, [step_cells(r) for r in report.by_step])]
    if versions := version_rows(report):
        out += ["", VERSION_NOTE, grid(VERSION_HEADERS, versions)]
    engagement = engagement_rows(report)
    if engagement:
        out += ["", ENGAGEMENT_NOTE, grid(ENGAGEMENT_HEADERS, engagement)]
    if report.comparisons:
        confidence = f"{report.confidence * 100:g}%"
        out += [
            "",
            f"Vs holdout (lift in percentage points, {confidence} Newcombe interval; * = interval excludes 0)",
            grid(COMPARISON_HEADERS, [comparison_cells(c) for c in report.comparisons]),
        ]
    out += adaptive_lines(report)
    out += _reason_tables(report) + _choices_and_spend(report)
    if report.segments_ranked:
        out += [
            "",
            SEGMENT_LIFT_NOTE,
            grid(SEGMENT_LIFT_HEADERS, [segment_lift_cells(r) for r in report.segments_ranked]),
        ]
    return "\n".join(out) + "\n"


def _choices_and_spend(report: CampaignReport) -> list[str]:
    """The report's last parts as text: the preference page's choices, the spend."""
    out: list[str] = []
    if report.choices:
        out += ["", "Preference choices (instead of leaving)", grid(CHOICE_HEADERS, choice_rows(report))]
    if report.spend:
        out += ["", f"Incentive spend: {format_money(report.spend)}"]
    return out


def adaptive_note(report: CampaignReport) -> str:
    """One sentence: each variant's P(best) now and the winner, or who leads."""
    a = report.adaptive
    if a is None:
        return ""
    chances = ", ".join(f"{arm} {format_rate(p)}" for arm, p in a.p_best.items())
    threshold = format_rate(a.winner_probability)
    if a.winner:
        verdict = f"winner: {a.winner} (P(best) ≥ {threshold})"
    else:
        verdict = f"no winner yet (needs P(best) ≥ {threshold})"
    split = "" if a.adapting else f"; split equal until every variant has {a.min_per_arm} users"
    return f"Adaptive allocation: P(best) {chances}; {verdict}{split}"


def adaptive_rows(report: CampaignReport) -> tuple[list[str], list[list[str]]]:
    """Headers and one row per day the stats step decided: each variant's share, P(best), winner."""
    a = report.adaptive
    if a is None or not a.allocation_over_time:
        return [], []
    arms = list(a.p_best)
    headers = ["day", *(f"share {arm}" for arm in arms), *(f"P(best) {arm}" for arm in arms), "winner"]
    rows = [
        [
            d.day.isoformat(),
            *(format_rate(d.weights.get(arm)) for arm in arms),
            *(format_rate(d.p_best.get(arm)) for arm in arms),
            d.winner or DASH,
        ]
        for d in a.allocation_over_time
    ]
    return headers, rows


def adaptive_lines(report: CampaignReport) -> list[str]:
    if report.adaptive is None:
        return []
    out = ["", adaptive_note(report)]
    headers, rows = adaptive_rows(report)
    if rows:
        out += ["Allocation over time (the share of new treated users each variant got that day)", grid(headers, rows)]
    return out


PROGRAM_HEADERS = ("campaign", "treated", "treated reactivated", "control", "control reactivated")


def render_program(report: ProgramReport) -> str:
    """The program report as text: the stratified lift, the incremental reactivations, each campaign."""
    confidence = f"{report.confidence * 100:g}%"
    star = " *" if report.significant else ""
    lift = format_points(report.abs_lift)
    interval = format_interval(report.abs_low, report.abs_high)
    incremental = "-" if report.incremental_reactivations is None else f"{report.incremental_reactivations:,.0f}"
    low, high = report.incremental_low, report.incremental_high
    bounds = "-" if low is None or high is None else f"[{low:,.0f}, {high:,.0f}]"
    rows = [
        [
            s.campaign_id,
            format_count(s.treated_n),
            format_count(s.treated_x),
            format_count(s.control_n),
            format_count(s.control_x),
        ]
        for s in report.campaigns
    ]
    out = [
        f"Program vs its control group ({report.control_percent:g}% of users, never messaged; generated "
        f"{report.generated_at.isoformat()})",
        f"Reactivation lift {lift} {interval} ({confidence}, stratified by campaign){star}",
        f"Incremental reactivations {incremental} {bounds}",
        "",
        grid(PROGRAM_HEADERS, rows),
    ]
    out[3:3] = [_revenue_line(r) for r in report.revenue]
    if report.without_control:
        out.append(f"No control users yet (left out): {', '.join(report.without_control)}")
    return "\n".join(out) + "\n"


def _revenue_line(r: ProgramRevenue) -> str:
    star = " *" if r.significant else ""
    return (
        f"Incremental revenue {r.currency} {r.incremental_minor / 100:,.2f} "
        f"[{r.incremental_low_minor / 100:,.2f}, {r.incremental_high_minor / 100:,.2f}]; per assigned user "
        f"{r.per_user_minor / 100:,.2f} [{r.per_user_low_minor / 100:,.2f}, {r.per_user_high_minor / 100:,.2f}]{star}"
    )


SEGMENT_LIFT_NOTE = (
    "Incentive by segment (incentive variants; ranked by lift vs holdout, and by cost per incremental reactivation)"
)
SEGMENT_LIFT_HEADERS = (
    "#",
    "segment",
    "assigned",
    "lift vs holdout",
    "interval",
    "lift vs no offer",
    "interval",
    "coupon value",
    "per reactivated",
    "per incremental",
    "cost #",
    "incentive",
)


def _money(currency: str | None, minor: float | None) -> str:
    return DASH if currency is None or minor is None else format_money({currency: minor})


def segment_lift_cells(row: SegmentLift) -> list[str]:
    """One segment of the incentive ranking: its lifts with intervals and what a reactivation cost."""
    skipped = f"none since {row.incentive_skipped_since.isoformat()}" if row.incentive_skipped_since else "given"
    return [
        str(row.lift_rank),
        row.segment,
        format_count(row.assigned),
        format_points(row.abs_lift),
        format_interval(row.abs_low, row.abs_high),
        format_points(row.incentive_lift),
        format_interval(row.incentive_low, row.incentive_high),
        _money(row.currency, row.coupon_value_minor),
        _money(row.currency, row.cost_per_reactivated_minor),
        _money(row.currency, row.cost_per_incremental_minor),
        DASH if row.cost_rank is None else str(row.cost_rank),
        skipped,
    ]
