"""Guards: who of the job's recipients may be sent now, on which channel, and who waits.

In order: still dormant in the same episode (a user who came back leaves the journey) · not already
sent (ledger) · their answer to "why did you leave" allows another message · the step's engagement
branch holds · a channel of the step with consent and an address (email only while engaged) ·
address not suppressed (a suppressed one falls back to the next channel) · the channel not paused
account-wide · outside the channel's quiet hours in the user's time zone. The campaign-level gates
(paused, deadline) are in run.py; the frequency cap is claimed with the ledger entry (claim.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from winback.adapters.messaging_store import SendState, send_key
from winback.content.rendering import shipped_templates
from winback.domain.journey.addresses import address_key
from winback.domain.journey.dormancy import dormant_since
from winback.domain.journey.engagement import branch_holds, email_unengaged, previous_send_at
from winback.domain.journey.quiet_hours import next_allowed
from winback.domain.journey.reasons import ANSWERS, Route, route
from winback.domain.journey.targeting import reachable_channels

if TYPE_CHECKING:
    from winback.adapters.coupon_store import IssuedCoupon
    from winback.config.campaigns import Campaign, Channel
    from winback.config.program import Program
    from winback.models.jobs import Recipient, SendJob
    from winback.models.profile import Profile
    from winback.models.send_context import SendContext
    from winback.services.send.ports import SendDeps
    from winback.services.send.record import Plan, Tally

# A paused campaign or channel is looked at again this often.
PAUSE_RECHECK = timedelta(hours=1)


@dataclass(frozen=True)
class Candidate:
    """A recipient who passed every guard: the channel and address chosen, the send key, the template."""

    recipient: Recipient
    profile: Profile
    channel: Channel
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
    options: list[tuple[Channel, str]]


def screen(
    job: SendJob,
    campaign: Campaign,
    program: Program,
    ctx: SendContext,
    deps: SendDeps,
    plan: Plan,
    tally: Tally,
    now: datetime,
    branch_skipped: list[Recipient],
) -> list[Candidate]:
    """The recipients to send now; the others are counted, held in `plan` or listed in `branch_skipped`."""
    eligible = [
        e for r in job.recipients if (e := _eligible(r, job, campaign, program, ctx, tally, now, branch_skipped))
    ]
    # Fallback: a suppressed address (a bounce, a STOP) moves the user to their next channel.
    suppressed = deps.suppression.suppressed(address_key(ch, a) for e in eligible for ch, a in e.options)
    ready: list[Candidate] = []
    for e in eligible:
        usable = [(ch, a) for ch, a in e.options if address_key(ch, a) not in suppressed]
        if not usable:
            tally.add(e.recipient, "suppressed")
            continue
        channel, address = usable[0]
        if channel in ctx.paused_channels:
            # The provider's account cannot send on this channel now: wait, nothing is burned.
            tally.add(e.recipient, "channel_paused")
            plan.hold(job, e.recipient, now + PAUSE_RECHECK, "channel_paused", tally)
            continue
        allowed = next_allowed(now, program.quiet_hours.get(channel), e.profile.time_zone, program.default_time_zone)
        if allowed > now:
            tally.add(e.recipient, "quiet_hours")
            plan.hold(job, e.recipient, allowed, "quiet_hours", tally)
            continue
        coupons = ctx.coupons.get(e.recipient.user_id, {})
        ready.append(Candidate(e.recipient, e.profile, channel, address, e.key, e.state, e.template, coupons))
    return ready


def _eligible(
    recipient: Recipient,
    job: SendJob,
    campaign: Campaign,
    program: Program,
    ctx: SendContext,
    tally: Tally,
    now: datetime,
    branch_skipped: list[Recipient],
) -> _Eligible | None:
    profile = ctx.profiles.get(recipient.user_id)
    if profile is None:
        tally.add(recipient, "missing_profile")
        return None
    since = dormant_since(profile, program.dormancy)
    if since is None or since.isoformat() != recipient.episode:
        tally.add(recipient, "active_again")  # left the journey by coming back
        return None
    key = send_key(job.campaign_id, job.step, recipient.episode)
    state = ctx.states.get(recipient.user_id, SendState())
    if key in state.ledger:
        tally.add(recipient, "already_sent")
        return None
    answer_route, answered_at = _route(ctx.answers.get(recipient.user_id))
    if answered_at is not None and not answer_route.allows_another(
        _sent_since(state, job.campaign_id, recipient.episode, answered_at)
    ):
        tally.add(recipient, "journey_stopped")
        return None
    template = answer_route.template_for(shipped_templates(), campaign.template_for(job.step, recipient.arm))
    when = campaign.steps[job.step].when
    if when != "any":
        previous = previous_send_at(state.ledger, job.campaign_id, job.step, recipient.episode)
        if not branch_holds(when, profile.engagement, previous):
            tally.add(recipient, "branch_skipped")  # not theirs; the journey goes on to the next step
            branch_skipped.append(recipient)
            return None
        tally.add(recipient, when)
    options = reachable_channels(campaign.step_channels(job.step), profile)
    sunset = program.sunset
    if any(ch == "email" for ch, _ in options) and email_unengaged(
        profile.engagement, profile.last_seen_at, now, sunset.email_unengaged_emails, sunset.email_unengaged_days
    ):
        tally.add(recipient, "email_unengaged")  # no more campaign email; other channels still may
        options = [(ch, a) for ch, a in options if ch != "email"]
        if not options:
            return None
    if not options:
        tally.add(recipient, "no_channel")
        return None
    return _Eligible(recipient, profile, key, state, template, options)


def _sent_since(state: SendState, campaign_id: str, episode: str, since: datetime) -> int:
    """Messages of this campaign and episode claimed after `since`."""
    return sum(
        1
        for key, at in state.ledger.items()
        if key.startswith(f"{campaign_id}#") and key.endswith(f"#{episode}") and at > since.timestamp()
    )


def _route(answer: dict[str, Any] | None) -> tuple[Route, datetime | None]:
    if answer is None or answer.get("reason") not in ANSWERS:
        return Route(), None
    answered = answer.get("answered_at")
    return route(answer["reason"]), datetime.fromisoformat(str(answered)) if answered else None
