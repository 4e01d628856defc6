"""domain/journey/opt_out.py: recognizing SMS opt-out replies in English and Chinese."""

from __future__ import annotations

import pytest

from winback.domain.journey.opt_out import is_opt_in, is_opt_out


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


@pytest.mark.parametrize(
    "keyword", ["ARRET", "CANCEL", "END", "OPT-OUT", "OPTOUT", "QUIT", "REMOVE", "STOP", "TD", "UNSUBSCRIBE", "退订"]
)
def test_every_aws_end_user_messaging_opt_out_keyword_any_case_and_spacing(keyword: str) -> None:
    """Guard: OPT_OUT_KEYWORDS, matched on the whole reply ignoring case and spaces (AWS End User
    Messaging's required opt-out keywords)."""
    for body in (keyword, keyword.lower(), f"  {keyword.title()} \n", " ".join(keyword), keyword.replace("-", " ")):
        assert is_opt_out(body) is True, body


@pytest.mark.parametrize("body", ["START", "start", " Unstop ", "U N S T O P"])
def test_start_and_unstop_opt_back_in(body: str) -> None:
    assert is_opt_in(body) is True and is_opt_out(body) is False


@pytest.mark.parametrize("body", ["the end of the month", "cancelled my order?", "restart", "START now please"])
def test_sentences_are_not_keywords(body: str) -> None:
    assert is_opt_in(body) is False and is_opt_out(body) is False
