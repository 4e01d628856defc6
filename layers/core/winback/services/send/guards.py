"""Guards: who of the job's recipients may be sent now, on which channel, and who waits.

In order: not in the program-wide control group (never messaged by any campaign) · still dormant in
the same episode (a user who came back leaves the journey) · not already sent (ledger) · not paused
on the preference page (the message waits for the pause's end) · their answer to "why did you leave"
(or, without one, the reason their behaviour suggested when they were assigned) allows another
message · the step's engagement branch holds · a channel of the step with consent, not turned off by
the user, and an address (email only while engaged) · address not suppressed (a suppressed one falls
back to the next channel) · the channel not paused account-wide · outside the channel's quiet hours
in the user's time zone · a `best_hour` step waits for the user's most active local hour
(send_time.py). The campaign-level gates (paused, deadline) are in run.py; the frequency
caps (the program's, and the user's own "fewer") are claimed with the ledger entry (claim.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from winback.content.rendering import shipped_templates
from winback.domain.journey.addresses import address_key
from winback.domain.journey.dormancy import dormant_since
from winback.domain.journey.engagement import branch_holds, email_unengaged, previous_send_at
from winback.domain.journey.preferences import paused_until
from winback.domain.journey.quiet_hours import next_allowed
from winback.domain.journey.reasons import ANSWERS, Route, inferred_route, parse_reason, route
from winback.domain.journey.targeting import reachable_channels
from winback.domain.measurement.arms import in_program_control, untreated
from winback.models.send_state import SendState, send_key
from winback.services.send.send_time import waits_for_best_hour

if TYPE_CHECKING:
    from winback.config.campaigns import ChannelName
    from winback.models.coupons import IssuedCoupon
    from winback.models.jobs import Recipient
    from winback.models.profile import Profile
    from winback.services.send.job_run import JobRun

# A paused campaign or channel is looked at again this often.
PAUSE_RECHECK = timedelta(hours=1)
# "Since the answer" for an inferred reason: the whole journey.
JOURNEY_START = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Candidate:
    """A recipient who passed every guard: the channel and address chosen, the send key, the template."""

    recipient: Recipient
    profile: Profile
    channel: ChannelName
    address: str
    key: str
    state: SendState
    template: str
    coupons: dict[int, IssuedCoupon] = field(default_factory=dict)  # read with the context, by step


@dataclass(frozen=True)
class _Eligible:
    recipient: Recipient
    profile: Profile
    key: str
    state: SendState
    template: str
    options: list[tuple[ChannelName, str]]


def screen(run: JobRun) -> list[Candidate]:
    """The recipients to send now; the others are counted, held, or listed in `run.branch_skipped`."""
    eligible = [e for r in run.job.recipients if (e := _eligible(run, r))]
    # Fallback: a suppressed address (a bounce, a STOP) moves the user to their next channel.
    suppressed = run.deps.suppression.suppressed(address_key(ch, a) for e in eligible for ch, a in e.options)
    return [c for e in eligible if (c := _candidate(run, e, suppressed))]


def _candidate(run: JobRun, e: _Eligible, suppressed: set[str]) -> Candidate | None:
    """The eligible recipient's first usable channel, when it may be sent now; else counted or held."""
    usable = [(ch, a) for ch, a in e.options if address_key(ch, a) not in suppressed]
    if not usable:
        run.tally.add(e.recipient, "suppressed")
        return None
    channel, address = usable[0]
    if channel in run.context.paused_channels:
        # The provider's account cannot send on this channel now: wait, nothing is burned.
        run.tally.add(e.recipient, "channel_paused")
        run.hold(e.recipient, run.now + PAUSE_RECHECK, "channel_paused")
        return None
    program = run.program
    allowed = next_allowed(run.now, program.quiet_hours.get(channel), e.profile.time_zone, program.default_time_zone)
    if allowed > run.now:
        run.tally.add(e.recipient, "quiet_hours")
        run.hold(e.recipient, allowed, "quiet_hours")
        return None
    if waits_for_best_hour(run, e.recipient, e.profile, channel):
        return None
    coupons = run.context.coupons.get(e.recipient.user_id, {})
    return Candidate(e.recipient, e.profile, channel, address, e.key, e.state, e.template, coupons)


def _eligible(run: JobRun, recipient: Recipient) -> _Eligible | None:
    """The recipient with the step's template and the channels that may reach them, or None (counted)."""
    if untreated(recipient.arm) or in_program_control(
        recipient.user_id, run.program.experiments.program_control_percent
    ):
        # A job written before the control share grew, or by hand: the scan never packs them.
        run.tally.add(recipient, "program_control")
        return None
    profile = _still_dormant(run, recipient)
    if profile is None:
        return None
    key = send_key(run.job.campaign_id, run.job.step, recipient.episode)
    state = run.context.states.get(recipient.user_id, SendState())
    if key in state.ledger:
        run.tally.add(recipient, "already_sent")
        return None
    if _paused_by_user(run, recipient, profile):
        return None
    template = _template(run, recipient, profile, state)
    if template is None or not _on_branch(run, recipient, profile, state):
        return None
    options = _channels(run, recipient, profile)
    return _Eligible(recipient, profile, key, state, template, options) if options else None


def _still_dormant(run: JobRun, recipient: Recipient) -> Profile | None:
    """The recipient's profile while they are dormant in the job's episode (one who came back left)."""
    profile = run.context.profiles.get(recipient.user_id)
    if profile is None:
        run.tally.add(recipient, "missing_profile")
        return None
    since = dormant_since(profile, run.program.dormancy)
    if since is None or since.isoformat() != recipient.episode:
        run.tally.add(recipient, "active_again")  # left the journey by coming back
        return None
    return profile


def _paused_by_user(run: JobRun, recipient: Recipient, profile: Profile) -> bool:
    """The user paused every message on the preference page: the message waits until the pause ends
    (or is dropped, when that is past the step's deadline)."""
    until = paused_until(profile, run.now)
    if until is None:
        return False
    run.tally.add(recipient, "user_paused")
    run.hold(recipient, until, "user_paused")
    return True


def _template(run: JobRun, recipient: Recipient, profile: Profile, state: SendState) -> str | None:
    """The step's template, as their answer to "why did you leave" (or, without one, the reason
    inferred at assignment) routes it; None when that allows no more messages."""
    job = run.job
    answer = run.context.answers.get(recipient.user_id)
    if answer is not None and answer.get("reason") in ANSWERS:
        answer_route, answered_at = _route(answer)
    else:
        answer_route, answered_at = _inferred(run, recipient, profile)
    if answered_at is not None and not answer_route.allows_another(
        _sent_since(state, job.campaign_id, recipient.episode, answered_at)
    ):
        run.tally.add(recipient, "journey_stopped")
        return None
    return answer_route.template_for(shipped_templates(), run.campaign.template_for(job.step, recipient.arm))


def _on_branch(run: JobRun, recipient: Recipient, profile: Profile, state: SendState) -> bool:
    """Whether the step's engagement branch (`when`) holds for the recipient; one it skips goes on to
    the next step."""
    job = run.job
    when = run.campaign.steps[job.step].when
    if when == "any":
        return True
    previous = previous_send_at(state.ledger, job.campaign_id, job.step, recipient.episode)
    if not branch_holds(when, profile.engagement, previous):
        run.tally.add(recipient, "branch_skipped")  # not theirs; the journey goes on to the next step
        run.branch_skipped.append(recipient)
        return False
    run.tally.add(recipient, when)
    return True


def _channels(run: JobRun, recipient: Recipient, profile: Profile) -> list[tuple[ChannelName, str]]:
    """The step's channels with consent and an address, email only while the user still engages."""
    options = reachable_channels(run.campaign.step_channels(run.job.step), profile)
    sunset = run.program.sunset
    if any(ch == "email" for ch, _ in options) and email_unengaged(
        profile.engagement, profile.last_seen_at, run.now, sunset.email_unengaged_emails, sunset.email_unengaged_days
    ):
        run.tally.add(recipient, "email_unengaged")  # no more campaign email; other channels still may
        return [(ch, a) for ch, a in options if ch != "email"]
    if not options:
        run.tally.add(recipient, "no_channel")
    return options


def _sent_since(state: SendState, campaign_id: str, episode: str, since: datetime) -> int:
    """Messages of this campaign and episode claimed after `since`."""
    return sum(
        1
        for key, at in state.ledger.items()
        if key.startswith(f"{campaign_id}#") and key.endswith(f"#{episode}") and at > since.timestamp()
    )


def _inferred(run: JobRun, recipient: Recipient, profile: Profile) -> tuple[Route, datetime | None]:
    """The route of the reason inferred at the user's assignment to this journey; every message of the
    journey counts against its limit (a fatigued user gets one message in the journey)."""
    a = profile.assignment
    if a is None or a.campaign_id != run.job.campaign_id or a.episode != recipient.episode:
        return Route(), None
    reason = parse_reason(a.inferred_reason)
    if reason is None:
        return Route(), None
    return inferred_route(reason), JOURNEY_START


def _route(answer: dict[str, Any] | None) -> tuple[Route, datetime | None]:
    if answer is None or answer.get("reason") not in ANSWERS:
        return Route(), None
    answered = answer.get("answered_at")
    return route(answer["reason"]), datetime.fromisoformat(str(answered)) if answered else None
