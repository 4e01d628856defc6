"""domain/journey/engagement.py: proxy opens, utm steps, engagement updates, branches, sunset."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from winback.domain.journey.engagement import (
    after_click,
    after_delivery,
    after_open,
    branch_holds,
    email_unengaged,
    is_proxy_open,
    previous_send_at,
    step_from_link,
    user_from_tag,
    user_tag,
)
from winback.models.profile import Engagement

PAYLOADS = Path(__file__).parents[3] / "aws_payloads"
T0 = datetime(2026, 6, 1, 12, tzinfo=UTC)


def test_documented_iphone_open_is_a_person_not_a_proxy() -> None:
    """Guard: only a proxy fetch is machine_opened; the AWS-documented iPhone open stays `opened`."""
    record = json.loads((PAYLOADS / "ses_open_record.json").read_text())
    assert not is_proxy_open(record["open"]["userAgent"], record["open"]["ipAddress"])


def test_apple_privacy_proxy_fetch_is_recognised_by_user_agent_or_network() -> None:
    """Guard: MPP prefetches (bare `Mozilla/5.0`, Apple's 17.0.0.0/8 egress) are not human opens."""
    assert is_proxy_open("Mozilla/5.0", "104.28.0.10")
    assert is_proxy_open(" Mozilla/5.0 ", "")
    assert is_proxy_open("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X)", "17.58.1.2")
    assert not is_proxy_open("Mozilla/5.0 (Windows NT 10.0; Win64; x64)", "not an ip")


def test_step_comes_from_the_links_utm_content() -> None:
    assert step_from_link("https://shop.example.com/?utm_source=winback&utm_content=step2-b") == 2
    assert step_from_link("http://docs.aws.amazon.com/ses/latest/DeveloperGuide/send-email-smtp.html") is None
    assert step_from_link("https://x.example/?utm_content=hero") is None


@given(st.text(min_size=1, max_size=128))
def test_user_tag_round_trips_and_fits_ses_tag_charset(user_id: str) -> None:
    """Guard: any user id survives the SES tag (letters, digits, _ and - only; at most 256 chars)."""
    tag = user_tag(user_id)
    assert all(c.isascii() and (c.isalnum() or c in "_-") for c in tag)
    assert user_from_tag(tag) == user_id


def test_garbage_tag_is_no_user() -> None:
    assert user_from_tag("not base32!") is None


def test_open_and_click_reset_the_unengaged_count_and_keep_the_latest_times() -> None:
    e = after_delivery(after_delivery(Engagement(), T0), T0 + timedelta(days=1))
    assert (e.emails_since, e.unengaged_since) == (2, T0)
    opened = after_open(e, T0 + timedelta(days=2))
    assert (opened.emails_since, opened.unengaged_since, opened.last_open_at) == (0, None, T0 + timedelta(days=2))
    assert after_open(opened, T0).last_open_at == T0 + timedelta(days=2)  # an old event moves nothing back
    clicked = after_click(e, T0 + timedelta(days=3))
    assert clicked.last_click_at == clicked.last_open_at == T0 + timedelta(days=3)


def test_branches_read_engagement_since_the_previous_step() -> None:
    """Guard: `when` is decided from opens/clicks after the previous step went out, not before."""
    before = Engagement(last_open_at=T0 - timedelta(days=1), last_click_at=T0 - timedelta(days=1))
    after = Engagement(last_open_at=T0 + timedelta(hours=1))
    assert branch_holds("any", before, T0)
    assert branch_holds("not_opened", before, T0) and not branch_holds("not_opened", after, T0)
    assert branch_holds("not_clicked", after, T0)
    assert not branch_holds("clicked", after, T0)
    assert branch_holds("clicked", after_click(after, T0 + timedelta(hours=2)), T0)
    assert branch_holds("not_opened", after, None)  # nothing went out before: nothing was opened


def test_sunset_after_n_emails_or_m_days_lifted_by_activity() -> None:
    """Guard: unengaged after N emails or M days without an open or click; activity lifts it."""
    e = Engagement()
    for day in range(5):
        e = after_delivery(e, T0 + timedelta(days=day))
    assert email_unengaged(e, None, T0 + timedelta(days=5), max_emails=5, max_days=90)
    assert not email_unengaged(e, None, T0 + timedelta(days=5), max_emails=6, max_days=90)
    assert email_unengaged(e, None, T0 + timedelta(days=91), max_emails=6, max_days=90)
    assert not email_unengaged(e, T0 + timedelta(days=4), T0 + timedelta(days=5), max_emails=5, max_days=90)
    assert not email_unengaged(after_open(e, T0 + timedelta(days=6)), None, T0 + timedelta(days=7), 5, 90)
    assert not email_unengaged(Engagement(), None, T0, 5, 90)


def test_previous_send_is_the_latest_earlier_step_of_the_same_journey() -> None:
    """Guard: a skipped step leaves no ledger entry, so the branch looks back to the last one sent."""
    ep = "2026-01-01T00:00:00+00:00"
    ledger = {f"c#0#{ep}": 100, f"c#2#{ep}": 300, "c#1#other-episode": 200, f"d#1#{ep}": 250}
    assert previous_send_at(ledger, "c", 2, ep) == datetime.fromtimestamp(100, UTC)
    assert previous_send_at(ledger, "c", 3, ep) == datetime.fromtimestamp(300, UTC)
    assert previous_send_at(ledger, "c", 0, ep) is None
