"""Campaign reports as one self-contained HTML page: inline CSS and inline SVG charts, no scripts, no URLs.

Every piece of text that comes from data (campaign ids, arms, segments, reasons, pause reasons) goes
through `html.escape`, in element content and in attributes alike. A Content-Security-Policy meta tag
forbids scripts and any network fetch, so the page can be mailed or stored as is.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape

from winback.models.report import ArmRow, CampaignReport, Comparison
from winback_dev.report_table import (
    ARM_HEADERS,
    CHOICE_HEADERS,
    COMPARISON_HEADERS,
    ENGAGEMENT_HEADERS,
    ENGAGEMENT_NOTE,
    REASON_HEADERS,
    SEGMENT_LIFT_HEADERS,
    SEGMENT_LIFT_NOTE,
    STEP_HEADERS,
    VERSION_HEADERS,
    VERSION_NOTE,
    adaptive_note,
    adaptive_rows,
    arm_cells,
    choice_rows,
    comparison_cells,
    comparison_label,
    engagement_rows,
    format_count,
    format_interval,
    format_money,
    format_points,
    reason_rows,
    segment_lift_cells,
    step_cells,
    version_rows,
)

PALETTE = ("#2563eb", "#d97706", "#059669", "#db2777", "#7c3aed", "#0891b2", "#65a30d", "#dc2626")
HOLDOUT_COLOUR = "#6b7280"
LABEL_CHARS = 30
FONT = "font-family:system-ui,-apple-system,'Segoe UI',sans-serif"

CSS = """
body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:2rem;color:#111827;background:#f9fafb}
h1{font-size:1.6rem}h2{font-size:1.3rem;margin-top:0}h3{font-size:1.05rem;margin:1.2rem 0 .4rem}
section.campaign{background:#fff;border:1px solid #e5e7eb;border-radius:8px;padding:1.2rem 1.5rem;margin:1.5rem 0}
.meta{color:#4b5563;font-size:.9rem}
.paused{background:#fef2f2;border:1px solid #fca5a5;color:#991b1b;padding:.6rem 1rem;border-radius:6px;font-weight:600}
.charts{display:flex;flex-wrap:wrap;gap:1.5rem}
figure{margin:0}figcaption{font-size:.85rem;color:#4b5563}
table{border-collapse:collapse;font-size:.85rem;margin:.3rem 0 1rem}
th,td{border-bottom:1px solid #e5e7eb;padding:.25rem .6rem;text-align:right;white-space:nowrap}
th:first-child,td:first-child{text-align:left}th{background:#f3f4f6}
svg{max-width:100%;height:auto}
.wide{overflow-x:auto;max-width:100%}
.wide:focus-visible{outline:3px solid #b45309;outline-offset:2px}
@media (max-width:40rem){body{margin:1rem}section.campaign{padding:.8rem}}
"""


def _e(text: object) -> str:
    return escape(str(text), quote=True)


def _num(value: float) -> str:
    return f"{value:.1f}"


def arm_colours(arms: Sequence[str], holdout_arm: str) -> dict[str, str]:
    variants = [a for a in arms if a != holdout_arm]
    colours = {arm: PALETTE[i % len(PALETTE)] for i, arm in enumerate(variants)}
    colours[holdout_arm] = HOLDOUT_COLOUR
    return colours


def _svg(width: int, height: int, label: str, body: Sequence[str]) -> str:
    return (
        f'<svg width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'role="img" aria-label="{_e(label)}" style="{FONT};font-size:11px">' + "".join(body) + "</svg>"
    )


def _text(x: float, y: float, content: str, anchor: str = "start", extra: str = "") -> str:
    return f'<text x="{_num(x)}" y="{_num(y)}" text-anchor="{anchor}"{extra}>{_e(content)}</text>'


def funnel_svg(row: ArmRow, colour: str) -> str:
    """Horizontal bars: assigned users, messages sent and delivered (all steps), users reactivated."""
    stages = (
        ("assigned", row.assigned),
        ("sent", row.sent),
        ("delivered", row.delivered),
        ("reactivated", row.reactivated),
    )
    label_w, bar_w, bar_h, gap, value_w = 80, 260, 18, 8, 70
    top = 20
    height = top + len(stages) * (bar_h + gap)
    widest = max((v for _, v in stages), default=0) or 1
    body = [_text(0, 13, f"arm {row.arm}", extra=' font-weight="600"')]
    for i, (name, value) in enumerate(stages):
        y = top + i * (bar_h + gap)
        w = bar_w * value / widest
        body.append(_text(label_w - 6, y + bar_h * 0.7, name, "end"))
        body.append(f'<rect x="{label_w}" y="{y}" width="{_num(w)}" height="{bar_h}" fill="{colour}" rx="2"/>')
        body.append(_text(label_w + w + 4, y + bar_h * 0.7, format_count(value)))
    return _svg(label_w + bar_w + value_w, height, f"funnel for arm {row.arm}", body)


def _nice_ceiling(value: float) -> float:
    """The smallest 1, 2 or 5 times a power of ten at or above value (for an axis maximum)."""
    if value <= 0:
        return 0.01
    power: float = 10.0 ** math.floor(math.log10(value))
    return next(m * power for m in (1, 2, 5, 10) if m * power >= value)


def curves_svg(curves: dict[str, list[float]], colours: dict[str, str], holdout_arm: str, window_days: int) -> str:
    """Cumulative reactivation rate by day since assignment, one line per arm (holdout dashed)."""
    left, right, top, bottom, width, height = 50, 110, 12, 34, 560, 260
    plot_w, plot_h = width - left - right, height - top - bottom
    y_max = _nice_ceiling(max((r for curve in curves.values() for r in curve), default=0.0))
    days = max(window_days, 1)

    def x_at(day: int) -> float:
        return left + plot_w * day / days

    def y_at(rate: float) -> float:
        return top + plot_h * (1 - rate / y_max)

    body: list[str] = []
    for i in range(5):
        rate = y_max * i / 4
        y = y_at(rate)
        body.append(f'<line x1="{left}" x2="{left + plot_w}" y1="{_num(y)}" y2="{_num(y)}" stroke="#e5e7eb"/>')
        body.append(_text(left - 6, y + 4, f"{rate * 100:.3g}%", "end"))
    tick_step = max(1, math.ceil(days / 10))
    for day in range(0, window_days + 1, tick_step):
        body.append(_text(x_at(day), top + plot_h + 14, str(day), "middle"))
    body.append(_text(left + plot_w / 2, height - 4, "days since assignment", "middle"))
    body.append(
        f'<line x1="{left}" x2="{left}" y1="{top}" y2="{top + plot_h}" stroke="#9ca3af"/>'
        f'<line x1="{left}" x2="{left + plot_w}" y1="{top + plot_h}" y2="{top + plot_h}" stroke="#9ca3af"/>'
    )
    for i, (arm, curve) in enumerate(curves.items()):
        colour = colours.get(arm, HOLDOUT_COLOUR)
        dash = ' stroke-dasharray="5 3"' if arm == holdout_arm else ""
        points = " ".join(f"{_num(x_at(d))},{_num(y_at(r))}" for d, r in enumerate(curve))
        body.append(f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="2"{dash}/>')
        ly = top + 10 + i * 16
        body.append(
            f'<line x1="{left + plot_w + 10}" x2="{left + plot_w + 28}" y1="{ly - 4}" y2="{ly - 4}" '
            f'stroke="{colour}" stroke-width="2"{dash}/>'
        )
        body.append(_text(left + plot_w + 32, ly, arm))
    return _svg(width, height, "cumulative reactivation rate by day since assignment", body)


def forest_svg(comparisons: Sequence[Comparison]) -> str:
    """Absolute lift with its interval per comparison: a point, an interval line, and the zero line."""
    rows = [
        (c, c.abs_lift, c.abs_low, c.abs_high)
        for c in comparisons
        if c.abs_lift is not None and c.abs_low is not None and c.abs_high is not None
    ]
    label_w, plot_w, value_w, row_h, top = 200, 300, 210, 22, 18
    width, height = label_w + plot_w + value_w, top + max(len(rows), 1) * row_h + 24
    low = min([0.0, *(r[2] for r in rows)])
    high = max([0.0, *(r[3] for r in rows)])
    pad = (high - low) * 0.05 or 0.01
    low, high = low - pad, high + pad

    def x_at(value: float) -> float:
        return label_w + plot_w * (value - low) / (high - low)

    zero = x_at(0.0)
    bottom = top + max(len(rows), 1) * row_h
    body = [
        f'<line x1="{_num(zero)}" x2="{_num(zero)}" y1="{top}" y2="{bottom}" stroke="#111827" stroke-dasharray="3 3"/>',
        _text(zero, top - 6, "0", "middle"),
        _text(x_at(low), bottom + 14, format_points(low), "start"),
        _text(x_at(high), bottom + 14, format_points(high), "end"),
    ]
    if not rows:
        body.append(_text(label_w, top + 14, "no comparison has users on both sides yet"))
    for i, (c, lift, lift_low, lift_high) in enumerate(rows):
        y = top + i * row_h + row_h / 2
        colour = "#059669" if c.significant and lift > 0 else "#dc2626" if c.significant else "#374151"
        label = c.segment or "all segments"
        short = label if len(label) <= LABEL_CHARS else label[: LABEL_CHARS - 1] + "…"
        body.append(f"<g><title>{_e(comparison_label(c))}</title>{_text(label_w - 8, y + 4, short, 'end')}</g>")
        body.append(
            f'<line x1="{_num(x_at(lift_low))}" x2="{_num(x_at(lift_high))}" y1="{_num(y)}" y2="{_num(y)}" '
            f'stroke="{colour}" stroke-width="2"/>'
        )
        body.append(f'<circle cx="{_num(x_at(lift))}" cy="{_num(y)}" r="4" fill="{colour}"/>')
        body.append(_text(label_w + plot_w + 8, y + 4, f"{format_points(lift)} {format_interval(lift_low, lift_high)}"))
    return _svg(width, height, "absolute lift vs holdout with confidence interval", body)


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]], label: str) -> str:
    """A table in a region of its own that scrolls sideways on a narrow screen (the page never does),
    reachable with the keyboard so its hidden columns are too."""
    head = "".join(f'<th scope="col">{_e(h)}</th>' for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{_e(c)}</td>" for c in row) + "</tr>" for row in rows)
    table = f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
    return f'<div class="wide" tabindex="0" role="region" aria-label="{_e(label)}">{table}</div>'


def _campaign(report: CampaignReport) -> str:
    parts = [*_heading(report), *_charts(report), "<h3>Numbers</h3>", *_tables(report), *_reasons_and_spend(report)]
    parts.append("</section>")
    return "\n".join(parts)


def _heading(report: CampaignReport) -> list[str]:
    parts = [
        f'<section class="campaign"><h2>Campaign {_e(report.campaign_id)}</h2>',
        f'<p class="meta">Generated {_e(report.generated_at.isoformat())} · holdout arm {_e(report.holdout_arm)} · '
        f"reactivation window {report.window_days} days · rates are reactivated / assigned (intention to treat)</p>",
    ]
    if report.paused:
        parts.append(f'<p class="paused">Paused: {_e(report.paused_reason)}</p>')
    return parts


def _charts(report: CampaignReport) -> list[str]:
    colours = arm_colours([r.arm for r in report.arms], report.holdout_arm)
    parts: list[str] = []
    variants = [r for r in report.arms if r.arm != report.holdout_arm]
    if variants:
        parts.append('<h3>Funnel per variant</h3><div class="charts">')
        parts += [f"<figure>{funnel_svg(r, colours.get(r.arm, HOLDOUT_COLOUR))}</figure>" for r in variants]
        parts.append('</div><p class="meta">sent and delivered count messages across all steps.</p>')
    if report.reactivation_by_day:
        parts.append("<h3>Reactivation by days since assignment</h3>")
        parts.append(
            f"<figure>{curves_svg(report.reactivation_by_day, colours, report.holdout_arm, report.window_days)}"
            "<figcaption>Cumulative share of assigned users who came back.</figcaption></figure>"
        )
    pooled = [c for c in report.comparisons if c.pooled]
    if pooled:
        parts.append(f"<h3>Treatment vs holdout: absolute lift, {report.confidence * 100:g}% interval</h3>")
        parts.append(
            f"<figure>{forest_svg(pooled)}<figcaption>All variant arms pooled, overall and per segment; "
            "Newcombe hybrid score interval. Green or red: the interval excludes 0.</figcaption></figure>"
        )
    return parts


def _tables(report: CampaignReport) -> list[str]:
    parts: list[str] = []
    if report.arms:
        parts.append(_table(ARM_HEADERS, [arm_cells(r) for r in report.arms], "By arm"))
    if report.by_segment:
        parts.append(_table(ARM_HEADERS, [arm_cells(r) for r in report.by_segment], "By arm and segment"))
    if report.by_step:
        parts.append(_table(STEP_HEADERS, [step_cells(r) for r in report.by_step], "By arm and step"))
    engagement = engagement_rows(report)
    if engagement:
        parts.append(f'<p class="meta">{_e(ENGAGEMENT_NOTE)}</p>')
        parts.append(_table(ENGAGEMENT_HEADERS, engagement, "Email engagement"))
    if report.comparisons:
        parts.append(_table(COMPARISON_HEADERS, [comparison_cells(c) for c in report.comparisons], "Vs holdout"))
    parts += _adaptive(report)
    return parts


def _adaptive(report: CampaignReport) -> list[str]:
    """An adaptive campaign's P(best), winner and allocation over time."""
    if report.adaptive is None:
        return []
    parts = ["<h3>Adaptive allocation</h3>", f'<p class="meta">{_e(adaptive_note(report))}</p>']
    headers, rows = adaptive_rows(report)
    if rows:
        parts.append(_table(headers, rows, "Allocation over time"))
    return parts


def _reasons_and_spend(report: CampaignReport) -> list[str]:
    parts: list[str] = []
    if versions := version_rows(report):
        parts.append(f"<h3>{_e(VERSION_NOTE)}</h3>")
        parts.append(_table(VERSION_HEADERS, versions, "Program versions"))
    if report.reasons:
        parts.append("<h3>Why they left</h3>")
        rows = [
            [segment, reason, format_count(n)] for segment, rs in report.reasons.items() for reason, n in rs.items()
        ]
        parts.append(_table(("segment", "reason", "answers"), rows, "Why they left"))
    if report.reasons_compared:
        parts.append("<h3>Why they left: answered vs inferred from behaviour</h3>")
        parts.append(_table(REASON_HEADERS, reason_rows(report), "Answered and inferred reasons"))
    if report.choices:
        parts.append("<h3>Preference choices (instead of leaving)</h3>")
        parts.append(_table(CHOICE_HEADERS, choice_rows(report), "Preference choices"))
    if report.spend:
        parts.append(f'<p class="meta">Incentive spend: {_e(format_money(report.spend))}</p>')
    parts += _segment_lift(report)
    return parts


def _segment_lift(report: CampaignReport) -> list[str]:
    """The incentive by segment: ranked by lift vs holdout, with cost per reactivated user."""
    if not report.segments_ranked:
        return []
    rows = [segment_lift_cells(r) for r in report.segments_ranked]
    return [f"<h3>{_e(SEGMENT_LIFT_NOTE)}</h3>", _table(SEGMENT_LIFT_HEADERS, rows, "Incentive by segment")]


def render_html(reports: Sequence[CampaignReport], title: str) -> str:
    """One page for the given campaign reports; opens offline in any browser."""
    body = "\n".join(_campaign(r) for r in reports) or "<p>No campaigns to report.</p>"
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">"
        f"<title>{_e(title)}</title><style>{CSS}</style></head>\n"
        f"<body><main><h1>{_e(title)}</h1>\n{body}\n</main></body></html>\n"
    )
