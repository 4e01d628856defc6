"""domain/journey/opt_out.py: recognizing SMS opt-out replies in English and Chinese."""

from __future__ import annotations

import pytest

from winback.domain.journey.opt_out import is_opt_out


@pytest.mark.parametrize(
    "body",
    [
        "STOP",
        "stop",
        "Stop please",
        "  STOP  ",
        "stop.",
        "TD",
        "td",
        "退订",
        "我要退订",
        "UNSUBSCRIBE",
        "unsubscribe me",
    ],
)
def test_opt_out_keywords_are_recognized(body: str) -> None:
    assert is_opt_out(body) is True


@pytest.mark.parametrize(
    "body",
    ["TODAY", "STD", "hello", "stopwatch", "nonstop", "unstoppable", "", "谢谢", "TDD"],
)
def test_words_merely_containing_keywords_are_not_opt_outs(body: str) -> None:
    assert is_opt_out(body) is False
