"""Progress: one line redrawn in place on a terminal, plain lines (a few, never one per item) elsewhere."""

from __future__ import annotations

import io

from winback_dev.progress import PLAIN_EVERY_S, Progress, bar, counts_text


class Ticks:
    def __init__(self) -> None:
        self.at = 0.0

    def __call__(self) -> float:
        return self.at


def test_a_terminal_gets_one_line_redrawn_in_place() -> None:
    out, clock = io.StringIO(), Ticks()
    progress = Progress("demo", out, tty=True, clock=clock)
    progress.update("day 1/21", "email 3")
    clock.at += 1
    progress.update("day 1/21", "email 9")
    progress.close()
    text = out.getvalue()
    assert text.count("\n") == 1 and text.endswith("\n")  # the one newline, at the end
    assert text.count("\r") == 2 and "\x1b[K" in text
    assert "demo: day 1/21 · email 9" in text


def test_a_log_gets_a_line_per_stage_and_a_few_within_one() -> None:
    """Guard: outside a terminal, updates within a stage come at most every PLAIN_EVERY_S."""
    out, clock = io.StringIO(), Ticks()
    progress = Progress("plan", out, tty=False, clock=clock)
    for page in range(1_000):
        clock.at = page * 0.1  # 100 s in all
        progress.update("scan", f"{page} pages")
    progress.update("report")
    lines = out.getvalue().splitlines()
    assert "\r" not in out.getvalue()
    assert len(lines) <= 100 / PLAIN_EVERY_S + 2
    assert lines[0] == "plan: scan · 0 pages" and lines[-1] == "plan: report"


def test_bar_and_counts() -> None:
    assert bar(1_000, 4_000) == "[#####...............]  25% 1,000/4,000"
    assert bar(7, None) == "7"
    assert counts_text({"email": 1_200, "stage": "scan"}) == "email 1,200 · stage scan"
