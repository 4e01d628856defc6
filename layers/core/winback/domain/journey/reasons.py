"""Why a user left: the likely reason read from their signals, and how an answer routes their next step (pure).

Rules of `likely_reason`, first match wins (the most specific, most actionable cause first, since
it often explains the later signals too: an error drives failed logins; a flood of unread messages
drives a consent withdrawal):
  1. bad_experience     an `error` or `support` event shortly before the user went quiet;
  2. too_many_messages  many messages in the last 90 days and (almost) none opened or clicked;
  3. forgot             a `login_failed` or `password_reset` shortly before going quiet, not
                        followed by a successful login;
  4. privacy            a consent flag withdrawn: False, set after the user's first event;
  5. unknown            none of the above.

`inferred_reason` feeds the rules from what the profile keeps: the campaign emails delivered since
the user last opened or clicked one (`engagement.emails_since`), and whether they opened or clicked
within the last 90 days. The scan stores the result on the user's assignment; the sender routes on it
(`inferred_route`) when the user gave no answer, and the report counts it beside the answers.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal, get_args

from winback.config.reasons import ReasonsConfig
from winback.models.profile import Profile

# What a user can answer; `unknown` is only ever inferred.
Answer = Literal["need_changed", "bad_experience", "competitor", "forgot", "too_many_messages", "privacy"]
Reason = Literal[Answer, "unknown"]
ANSWERS: tuple[Answer, ...] = get_args(Answer)
REASONS: tuple[Reason, ...] = get_args(Reason)

PROBLEM_EVENTS = ("error", "support")
ACCESS_EVENTS = ("login_failed", "password_reset")
APOLOGY_TEMPLATE = "apology"
OFFER_TEMPLATE = "offer"


def _recent(profile: Profile, event_types: Collection[str], window: timedelta) -> datetime | None:
    """The latest of `event_types` within `window` before the user's last activity, if any."""
    if profile.last_seen_at is None:
        return None
    since = profile.last_seen_at - window
    times = [at for t in event_types if (at := profile.last_event_at.get(t)) is not None and at >= since]
    return max(times, default=None)


def _withdrew_consent(profile: Profile, grace: timedelta) -> bool:
    if profile.first_seen_at is None:
        return False
    for channel, granted in profile.consent.items():
        set_at = profile.updated_at.get(f"consent.{channel}")
        if granted is False and set_at is not None and set_at > profile.first_seen_at + grace:
            return True
    return False


def likely_reason(
    profile: Profile, messages_received_90d: int, opened_or_clicked_90d: int, config: ReasonsConfig | None = None
) -> Reason:
    """The reason the user's signals suggest; the rules and their order are in the module docstring."""
    cfg = config or ReasonsConfig()
    window = timedelta(days=cfg.signal_window_days)
    if _recent(profile, PROBLEM_EVENTS, window) is not None:
        return "bad_experience"
    if messages_received_90d >= cfg.fatigue_min_messages_90d and opened_or_clicked_90d <= cfg.fatigue_max_engaged_90d:
        return "too_many_messages"
    locked_out = _recent(profile, ACCESS_EVENTS, window)
    last_login = profile.last_event_at.get("login")
    if locked_out is not None and (last_login is None or last_login < locked_out):
        return "forgot"
    if _withdrew_consent(profile, timedelta(hours=cfg.withdrawal_grace_hours)):
        return "privacy"
    return "unknown"


FATIGUE_WINDOW = timedelta(days=90)


def inferred_reason(profile: Profile, now: datetime, config: ReasonsConfig | None = None) -> Reason:
    """`likely_reason` from the profile alone, as of `now` (the scan's day)."""
    engagement = profile.engagement
    engaged_at = max((at for at in (engagement.last_open_at, engagement.last_click_at) if at), default=None)
    engaged_90d = 1 if engaged_at is not None and engaged_at >= now - FATIGUE_WINDOW else 0
    return likely_reason(profile, engagement.emails_since, engaged_90d, config)


@dataclass(frozen=True)
class Route:
    """How an answer changes the user's journey; the sender applies it before the next step.

    stop: send nothing more in this journey. withdraw_consent: withdraw marketing consent on every
    channel. max_more_messages: at most this many more messages in the journey (None: no limit).
    prefer_template: use this template for the next step if the campaign has it.
    """

    stop: bool = False
    withdraw_consent: bool = False
    max_more_messages: int | None = None
    prefer_template: str | None = None

    def allows_another(self, sent_since_answer: int) -> bool:
        """Whether one more message may go out, `sent_since_answer` having gone out since the answer."""
        if self.stop:
            return False
        return self.max_more_messages is None or sent_since_answer < self.max_more_messages

    def template_for(self, campaign_templates: Collection[str], planned: str) -> str:
        """The template of the next step: the preferred one if the campaign has it, else the planned one."""
        if self.prefer_template is not None and self.prefer_template in campaign_templates:
            return self.prefer_template
        return planned


_ROUTES: dict[Reason, Route] = {
    "privacy": Route(stop=True, withdraw_consent=True, max_more_messages=0),
    "too_many_messages": Route(max_more_messages=1),
    "bad_experience": Route(prefer_template=APOLOGY_TEMPLATE),
    "competitor": Route(prefer_template=OFFER_TEMPLATE),
    "need_changed": Route(prefer_template=OFFER_TEMPLATE),
    "forgot": Route(),
    "unknown": Route(),
}


def route(reason: Reason) -> Route:
    """How the user's answer `reason` changes their next journey step."""
    return _ROUTES[reason]


def inferred_route(reason: Reason) -> Route:
    """How an inferred reason changes the journey: as the same answer would, except that consent is
    never withdrawn on a guess (only the user's own answer does that)."""
    answered = route(reason)
    return Route(
        stop=answered.stop, max_more_messages=answered.max_more_messages, prefer_template=answered.prefer_template
    )


def parse_reason(text: str | None) -> Reason | None:
    """`text` as a reason (answered or inferred), None for anything else."""
    return next((r for r in REASONS if r == text), None)


def parse_answer(text: str) -> Answer:
    """`text` as an answer a user can give; raises ValueError for anything else."""
    for answer in ANSWERS:
        if answer == text:
            return answer
    raise ValueError(f"not an answer: {text!r}")
