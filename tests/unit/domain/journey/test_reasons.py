"""domain/journey/reasons.py: the likely reason from a profile's signals, its precedence, and routing an answer."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from winback.config.reasons import ReasonsConfig
from winback.domain.journey.reasons import (
    ANSWERS,
    REASONS,
    Reason,
    Route,
    inferred_reason,
    inferred_route,
    likely_reason,
    parse_answer,
    parse_reason,
    route,
)
from winback.models.profile import Profile
from winback.web.pages import REASON_LABELS, reason_confirm_page, reason_invalid_page, reason_thanks_page

FIRST = datetime(2025, 1, 1, tzinfo=UTC)
QUIET = datetime(2025, 6, 1, tzinfo=UTC)  # the user's last activity


def profile(**events: datetime) -> Profile:
    """A user active from FIRST to QUIET who also did each of `events` at the given time."""
    times = {"signup": FIRST, "order": QUIET, **events}
    return Profile(
        user_id="u1", first_seen_at=min(times.values()), last_seen_at=max(times.values()), last_event_at=times
    )


def withdrawn(p: Profile, at: datetime, channel: str = "email") -> Profile:
    p.consent[channel] = False
    p.updated_at[f"consent.{channel}"] = at
    return p


ERROR = {"error": QUIET - timedelta(days=2)}
LOCKED_OUT = {"login_failed": QUIET - timedelta(days=1)}
HEAVY = (12, 0)  # messages received, opened or clicked (90 days)
LIGHT = (1, 0)


def test_no_signal_is_unknown() -> None:
    assert likely_reason(profile(), *LIGHT) == "unknown"


@pytest.mark.parametrize("event", ["error", "support"])
def test_an_error_or_support_event_before_going_quiet_is_a_bad_experience(event: str) -> None:
    assert likely_reason(profile(**{event: QUIET - timedelta(days=3)}), *LIGHT) == "bad_experience"


def test_an_error_long_before_going_quiet_is_not_a_signal() -> None:
    assert likely_reason(profile(error=QUIET - timedelta(days=120)), *LIGHT) == "unknown"


def test_many_unopened_messages_are_too_many_messages() -> None:
    assert likely_reason(profile(), *HEAVY) == "too_many_messages"


def test_many_messages_that_were_opened_are_not_fatigue() -> None:
    assert likely_reason(profile(), messages_received_90d=12, opened_or_clicked_90d=3) == "unknown"


@pytest.mark.parametrize("event", ["login_failed", "password_reset"])
def test_failed_login_or_password_reset_without_a_later_login_is_forgot(event: str) -> None:
    p = profile(**{event: QUIET - timedelta(days=1), "login": QUIET - timedelta(days=10)})
    assert likely_reason(p, *LIGHT) == "forgot"


def test_failed_login_followed_by_a_successful_one_is_not_forgot() -> None:
    p = profile(login_failed=QUIET - timedelta(days=2), login=QUIET - timedelta(days=1))
    assert likely_reason(p, *LIGHT) == "unknown"


def test_consent_withdrawn_after_signup_is_privacy() -> None:
    assert likely_reason(withdrawn(profile(), FIRST + timedelta(days=30)), *LIGHT) == "privacy"


def test_consent_refused_at_signup_is_not_a_withdrawal() -> None:
    assert likely_reason(withdrawn(profile(), FIRST + timedelta(minutes=5)), *LIGHT) == "unknown"


def test_consent_given_is_not_privacy() -> None:
    p = profile()
    p.consent["email"] = True
    p.updated_at["consent.email"] = FIRST + timedelta(days=30)
    assert likely_reason(p, *LIGHT) == "unknown"


def test_precedence_bad_experience_beats_every_other_signal() -> None:
    p = withdrawn(profile(**ERROR, **LOCKED_OUT), FIRST + timedelta(days=30))
    assert likely_reason(p, *HEAVY) == "bad_experience"


def test_precedence_too_many_messages_beats_forgot_and_privacy() -> None:
    p = withdrawn(profile(**LOCKED_OUT), FIRST + timedelta(days=30))
    assert likely_reason(p, *HEAVY) == "too_many_messages"


def test_precedence_forgot_beats_privacy() -> None:
    p = withdrawn(profile(**LOCKED_OUT), FIRST + timedelta(days=30))
    assert likely_reason(p, *LIGHT) == "forgot"


def test_thresholds_come_from_the_config() -> None:
    strict = ReasonsConfig(fatigue_min_messages_90d=20, signal_window_days=1)
    assert likely_reason(profile(**ERROR), *HEAVY, config=strict) == "unknown"
    assert likely_reason(profile(**ERROR), *HEAVY) == "bad_experience"


def test_config_is_strict() -> None:
    with pytest.raises(ValidationError):
        ReasonsConfig.model_validate({"fatigue_min_messages": 3})
    with pytest.raises(ValidationError):
        ReasonsConfig(signal_window_days=0)


def test_privacy_stops_the_journey_and_withdraws_consent() -> None:
    r = route("privacy")
    assert r.stop and r.withdraw_consent
    assert not r.allows_another(sent_since_answer=0)


def test_too_many_messages_allows_at_most_one_more() -> None:
    r = route("too_many_messages")
    assert not r.stop and r.max_more_messages == 1
    assert r.allows_another(0) and not r.allows_another(1)


def test_bad_experience_prefers_the_apology_template_when_the_campaign_has_one() -> None:
    r = route("bad_experience")
    assert r.template_for({"apology", "offer"}, planned="offer") == "apology"
    assert r.template_for({"offer"}, planned="offer") == "offer"


@pytest.mark.parametrize("reason", ["competitor", "need_changed"])
def test_competitor_and_need_changed_continue_with_the_offer(reason: Reason) -> None:
    r = route(reason)
    assert not r.stop and r.allows_another(5)
    assert r.template_for({"nostalgic", "offer"}, planned="nostalgic") == "offer"


@pytest.mark.parametrize("reason", ["forgot", "unknown"])
def test_forgot_and_unknown_continue_unchanged(reason: Reason) -> None:
    assert route(reason) == Route()
    assert route(reason).template_for({"apology", "offer"}, planned="nostalgic") == "nostalgic"


def test_every_reason_has_a_route_and_unknown_is_not_an_answer() -> None:
    assert all(isinstance(route(r), Route) for r in REASONS)
    assert "unknown" in REASONS and "unknown" not in ANSWERS
    assert parse_answer("privacy") == "privacy"
    with pytest.raises(ValueError, match="not an answer"):
        parse_answer("unknown")


def test_pages_speak_the_users_language_and_escape_the_token() -> None:
    zh = reason_confirm_page("zh-CN", "Acme", "competitor", 'tok"en')
    assert REASON_LABELS["zh-CN"]["competitor"] in zh and "提交回答" in zh
    assert 'value="tok&quot;en"' in zh and 'method="post"' in zh
    assert "marketing messages" in reason_thanks_page("en", "Acme", "privacy")
    assert "marketing messages" not in reason_thanks_page("en", "Acme", "forgot")
    assert "链接无效" in reason_invalid_page("zh-CN")


def test_every_answer_has_a_label_in_every_locale() -> None:
    for labels in REASON_LABELS.values():
        assert set(labels) == set(ANSWERS)


# --- inferred from the profile alone (the scan) ------------------------------------------------------
def test_inferred_reason_reads_fatigue_from_the_profiles_engagement() -> None:
    """inferred_reason feeds likely_reason the emails delivered since the last open or click and
    whether the user engaged within 90 days."""
    now = QUIET + timedelta(days=40)
    fatigued = profile()
    fatigued.engagement.emails_since = 12
    assert inferred_reason(fatigued, now) == "too_many_messages"
    fatigued.engagement.last_open_at = now - timedelta(days=10)
    assert inferred_reason(fatigued, now) == "unknown"
    fatigued.engagement.last_open_at = now - timedelta(days=120)
    assert inferred_reason(fatigued, now) == "too_many_messages"
    assert inferred_reason(profile(**ERROR), now) == "bad_experience"


@pytest.mark.parametrize("reason", REASONS)
def test_an_inferred_reason_routes_as_the_answer_but_never_withdraws_consent(reason: Reason) -> None:
    """Guard: inferred_route drops withdraw_consent (only the user's own answer withdraws it)."""
    answered, inferred = route(reason), inferred_route(reason)
    assert not inferred.withdraw_consent
    assert (inferred.stop, inferred.max_more_messages, inferred.prefer_template) == (
        answered.stop,
        answered.max_more_messages,
        answered.prefer_template,
    )


def test_parse_reason_accepts_every_reason_and_nothing_else() -> None:
    assert [parse_reason(r) for r in REASONS] == list(REASONS)
    assert parse_reason("bored") is None and parse_reason(None) is None
