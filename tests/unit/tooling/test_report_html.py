"""winback_dev.report_html and report_table: the report as a self-contained page and as text."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime

import pytest

from winback.domain.measurement.report_build import build_report
from winback.models.report import CampaignReport, Cell
from winback_dev.report_html import render_html
from winback_dev.report_table import format_money, render_table

NOW = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
HOSTILE = "<script>alert('x')</script>"


def make_report(
    campaign_id: str = "spring",
    segment: str = "vip",
    paused_reason: str | None = None,
    with_reasons: bool = True,
    choices: dict[str, int] | None = None,
) -> CampaignReport:
    reasons = {"reason_price": 3} if with_reasons else {}
    a = {"assigned": 5000, "reactivated": 750, "react_day_0": 300, "react_day_2": 450, **reasons, **(choices or {})}
    b = {"assigned": 5000, "reactivated": 520, "react_day_1": 520, "revenue_minor_USD": 123_456}
    cells = [
        Cell(arm="a", segment=segment, counts=a),
        Cell(arm="b", segment=segment, counts=b),
        Cell(arm="holdout", segment=segment, counts={"assigned": 5000, "reactivated": 500, "react_day_2": 500}),
        Cell(step=0, arm="a", segment=segment, counts={"sent": 4800, "delivered": 4700, "bounced": 100}),
        Cell(step=0, arm="b", segment=segment, counts={"sent": 4900, "delivered": 4850}),
    ]
    return build_report(
        campaign_id, cells, window_days=3, generated_at=NOW, paused_reason=paused_reason, spend={"USD": 50_000}
    )


def svgs(page: str) -> list[ET.Element]:
    return [ET.fromstring(fragment) for fragment in re.findall(r"<svg\b.*?</svg>", page, re.DOTALL)]


def test_page_has_the_charts_as_inline_well_formed_svg() -> None:
    page = render_html([make_report()], "Win-back")
    charts = svgs(page)
    labels = [c.get("aria-label") for c in charts]
    assert labels == [
        "funnel for arm a",
        "funnel for arm b",
        "cumulative reactivation rate by day since assignment",
        "absolute lift vs holdout with confidence interval",
    ]


def test_page_is_self_contained() -> None:
    page = render_html([make_report()], "Win-back").lower()
    assert "http://" not in page and "https://" not in page
    assert "<script" not in page
    assert "src=" not in page and "href=" not in page and "url(" not in page
    assert "default-src 'none'" in page


def test_hostile_strings_are_escaped_everywhere() -> None:
    report = make_report(campaign_id=HOSTILE, segment=HOSTILE, paused_reason=HOSTILE)
    page = render_html([report], HOSTILE)
    assert "<script" not in page
    assert page.count("&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;") >= 5  # title, h1, id, banner, segment
    svgs(page)  # escaping kept the SVG well formed


def test_paused_banner_only_when_paused() -> None:
    assert 'class="paused"' in render_html([make_report(paused_reason="complaint rate 0.4%")], "r")
    assert "Paused: complaint rate 0.4%" in render_html([make_report(paused_reason="complaint rate 0.4%")], "r")
    assert 'class="paused"' not in render_html([make_report()], "r")


def test_one_curve_per_arm_with_the_holdout_dashed() -> None:
    curves = svgs(render_html([make_report()], "r"))[2]
    lines = curves.findall("polyline")
    assert len(lines) == 3
    assert [line.get("stroke-dasharray") for line in lines] == [None, None, "5 3"]
    assert all(len(line.get("points", "").split()) == 4 for line in lines)  # days 0..3


def test_forest_plot_draws_point_interval_and_zero_line_per_pooled_comparison() -> None:
    forest = svgs(render_html([make_report()], "r"))[3]
    assert len(forest.findall("circle")) == 2  # treatment overall and in the one segment
    zero_lines = [line for line in forest.findall("line") if line.get("stroke-dasharray") == "3 3"]
    assert len(zero_lines) == 1
    zero_x = float(zero_lines[0].get("x1", "nan"))
    interval = forest.findall("line")[-1]
    low, high = sorted(float(interval.get(k, "nan")) for k in ("x1", "x2"))
    assert zero_x < low < high  # the strong effect's interval lies right of zero


def test_reasons_section_only_when_present() -> None:
    assert "Why they left" in render_html([make_report()], "r")
    assert "Why they left" not in render_html([make_report(with_reasons=False)], "r")


def test_preference_choices_show_who_stayed_on_their_terms_and_who_left() -> None:
    choices = {"choice_fewer": 40, "choice_pause_90": 12, "choice_unsubscribe_all": 3}
    report = make_report(choices=choices)
    page, text = render_html([report], "r"), render_table(report)
    assert "Preference choices (instead of leaving)" in page and "Preference choices" in text
    assert "<td>fewer messages</td><td>40</td>" in page and "<td>paused 90 days</td><td>12</td>" in page
    assert "<td>stayed, on their terms</td><td>52</td>" in page
    assert re.search(r"unsubscribed from all\s+3", text) and re.search(r"stayed, on their terms\s+52", text)
    assert "Preference choices" not in render_html([make_report()], "r")


def test_each_campaign_gets_its_own_section() -> None:
    page = render_html([make_report("spring"), make_report("autumn")], "r")
    assert page.count('<section class="campaign">') == 2
    assert "Campaign spring" in page and "Campaign autumn" in page


def test_table_shows_arms_steps_and_comparisons_with_interval_and_p_value() -> None:
    text = render_table(make_report())
    assert "Campaign spring" in text
    assert re.search(r"^a\s+5,000\s+4,800\s+4,700\s+100\b.*15\.00%", text, re.MULTILINE)
    assert re.search(r"^a / step 0\s+4,800\s+4,700\s+100\b", text, re.MULTILINE)
    line = next(row for row in text.splitlines() if row.startswith("treatment (all variants) / all segments"))
    assert "+2.70 pp *" in line  # (750 + 520) / 10000 - 500 / 5000
    assert re.search(r"\[\+\d+\.\d\d pp, \+\d+\.\d\d pp\]", line)
    assert "<0.0001" in line
    assert "USD 1,234.56" in text and "Incentive spend: USD 500.00" in text


def test_table_marks_a_paused_campaign() -> None:
    assert "PAUSED: too many complaints" in render_table(make_report(paused_reason="too many complaints"))


@pytest.mark.parametrize(
    ("amounts", "text"),
    [({"USD": 123_456}, "USD 1,234.56"), ({"JPY": 5000}, "JPY 5,000"), ({"KWD": 1500}, "KWD 1.500"), ({}, "-")],
)
def test_money_is_shown_in_major_units_of_each_currency(amounts: dict[str, int], text: str) -> None:
    assert format_money(amounts) == text
