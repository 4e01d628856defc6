"""Journeys that react to engagement: a `when: not_opened` step goes only to those who did not open
the previous step (decided when it is released), and the email sunset stops campaign email to an
address that never engages (other channels still carry the journey)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from tests.integration.conftest import Stack
from tests.integration.helpers import dormant_profile, sent_emails, sent_sms, use_program
from tests.integration.test_journeys import LAST_ORDER, T0, PatchedSystemClock, _cells, _job, _release_and_send, _send
from winback.domain.journey.engagement import user_tag
from winback.models.profile import Engagement
from winback_dev.lambda_events import ses_open

CAMPAIGN = "lost-question"  # step 1: the question again, by email, `when: not_opened`
IPHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko)"


@pytest.fixture
def clock(stack: Stack, monkeypatch: pytest.MonkeyPatch) -> Iterator[PatchedSystemClock]:
    yield PatchedSystemClock(monkeypatch, T0)


@pytest.fixture(autouse=True)
def _no_quiet_hours_or_caps(stack: Stack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    use_program(tmp_path, monkeypatch, quiet_hours={}, frequency_caps={})


def _opened(stack: Stack, user_id: str, proxy: bool = False) -> None:
    tags = {"campaign": CAMPAIGN, "step": "0", "arm": "a", "segment": "at_risk", "user": user_tag(user_id)}
    agent, ip = ("Mozilla/5.0", "17.58.0.1") if proxy else (IPHONE, "198.51.100.7")
    stack.runner.publish_feedback([ses_open(f"{user_id}@mail.example.com", f"mid-{user_id}", tags, agent, ip)])


def test_not_opened_step_goes_only_to_those_who_did_not_open(stack: Stack, clock: PatchedSystemClock) -> None:
    """Guard: the branch reads opens since the previous step went out; a proxy open is not an open;
    a user the branch skips still goes on to the step after it."""
    for user in ("u-open", "u-quiet", "u-proxy"):
        dormant_profile(user, LAST_ORDER)
    _send(stack, _job("u-open", "u-quiet", "u-proxy", campaign=CAMPAIGN, arm="a"))
    assert len(sent_emails()) == 3
    clock.advance(hours=3)
    _opened(stack, "u-open")
    _opened(stack, "u-proxy", proxy=True)

    clock.at = T0 + timedelta(days=2, hours=1)
    _release_and_send(stack, clock.at)
    step1 = _cells(CAMPAIGN)[1]
    assert (step1["not_opened"], step1["branch_skipped"], step1["sent"]) == (2, 1, 2)
    resent_to = {e.destinations["ToAddresses"][0] for e in sent_emails()[3:]}
    assert resent_to == {"u-quiet@mail.example.com", "u-proxy@mail.example.com"}

    clock.at = T0 + timedelta(days=7, hours=2)
    _release_and_send(stack, clock.at)
    assert _cells(CAMPAIGN)[2]["sent"] == 3  # the skipped opener is still in the journey


def test_unengaged_address_gets_no_campaign_email_but_other_channels_still_work(
    stack: Stack, clock: PatchedSystemClock
) -> None:
    """Guard: N emails without an open or click stop campaign email (counted `email_unengaged`);
    the journey falls back to SMS where the user has it; a later open lifts it."""
    unengaged = Engagement(emails_since=5, unengaged_since=T0 - timedelta(days=20))
    dormant_profile("u-mute", LAST_ORDER, engagement=unengaged)
    dormant_profile(
        "u-sms", LAST_ORDER, engagement=unengaged, phone="+14155550123", consent={"email": True, "sms": True}
    )
    _send(stack, _job("u-mute", "u-sms", campaign=CAMPAIGN, arm="a"))
    assert sent_emails() == []
    assert [to for to, _ in sent_sms()] == ["+14155550123"]
    assert _cells(CAMPAIGN)[0]["email_unengaged"] == 2

    _opened(stack, "u-mute")  # an open from an older message lifts it
    _send(stack, _job("u-mute", campaign=CAMPAIGN, arm="a", step=0))
    assert [e.destinations["ToAddresses"][0] for e in sent_emails()] == ["u-mute@mail.example.com"]
