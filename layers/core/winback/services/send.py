"""Send: one step of a campaign's journey for each user of a packed job, guarded, delivered once.

Guards, in order: campaign not paused · step deadline not passed · still dormant in the same
episode (a user who came back leaves the journey) · not already sent (ledger) · their answer to
"why did you leave" allows another message · a channel of the step with consent and an address ·
address not suppressed · outside the channel's quiet hours in the user's time zone · frequency cap
has room. Quiet hours, a full cap and a paused campaign DEFER the message (DynamoDB, released by
the hourly schedule) rather than drop it, unless the step's deadline passes first.

The ledger entry and the cap slot are claimed in one conditional write of the user's send state
before the provider is called, so a redelivered job, a concurrent duplicate or a crash never
produces a second message. A claim whose outcome is unknown stays claimed: never resent.
After a step goes out, the user's next step is deferred until its delay has passed.

Nothing claimed is lost: a failure between the claim and the provider call (an offer, a render)
releases the claim before the error sends the job back to the queue. Outcomes, counters and next
steps are written as the provider answers, every OUTCOME_CHUNK sends (not in a `finally`, which a
Lambda timeout skips), so a kill loses at most one chunk's bookkeeping: those claims stay claimed,
never resent, and the sweeper (services/sweep.py) records them uncertain. With less than
MIN_TIME_LEFT_MS left, the job stops taking recipients and defers the rest to the next release.
Each provider call is paced (services/send_pacing.py): over the provider's rate or its 24-hour
quota, the job's remaining messages on the channel wait, unclaimed, for the next window (`_paced`).
"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from winback.adapters.channel_pause import ChannelPauses, channel_pause_key, parse_channel_pause
from winback.adapters.channels import (
    AccountPaused,
    AddressGone,
    EmailChannel,
    PushChannel,
    Rejected,
    SmsChannel,
    Throttled,
    Uncertain,
)
from winback.adapters.dynamo import batch_get
from winback.adapters.messaging_store import (
    FAILED,
    LEDGER_TTL,
    SENT,
    UNCERTAIN,
    Claim,
    MessagingStore,
    SendState,
    pause_key,
    send_key,
    state_key,
)
from winback.adapters.offer_bus import OfferBus, OfferNotPublished
from winback.adapters.reason_store import answer_key
from winback.config.incentives import CouponIncentive, OfferIncentive
from winback.content.locales import resolve_locale
from winback.content.rendering import Rendered, render, shipped_templates
from winback.domain.audience.recommendations import Recommender
from winback.domain.clock import Clock
from winback.domain.journey.addresses import address_key
from winback.domain.journey.caps import has_room, live_sends
from winback.domain.journey.coupons import coupon_expiry, coupon_value_minor
from winback.domain.journey.dormancy import dormant_since
from winback.domain.journey.engagement import branch_holds, email_unengaged, previous_send_at, user_tag
from winback.domain.journey.pacing import Pace
from winback.domain.journey.quiet_hours import next_allowed
from winback.domain.journey.reasons import ANSWERS, Route, route
from winback.domain.journey.targeting import reachable_channels
from winback.models.profile import Profile
from winback.runtime.observability import logger
from winback.services.channel_pause import pause_for_account
from winback.services.send_content import JobRecommendations, Message, recommend_for_job, variables
from winback.services.sms_status import sms_sent_item

if TYPE_CHECKING:
    from winback.adapters.catalog_store import CatalogStore
    from winback.adapters.coupon_store import CouponStore, IssuedCoupon
    from winback.adapters.deferral_store import DeferralStore
    from winback.adapters.inbox_store import InboxChannel
    from winback.adapters.suppression_store import SuppressionStore
    from winback.config.campaigns import Campaign, Channel
    from winback.config.program import Program
    from winback.domain.audience.recommendations import Recommender
    from winback.domain.clock import Clock
    from winback.models.jobs import Recipient, SendJob
    from winback.services.send_pacing import Pacer

_CLAIM_ATTEMPTS = 3
PAUSE_RECHECK = timedelta(hours=1)
# Outcomes, counters and next steps are written every this many sends: a kill loses at most these.
OUTCOME_CHUNK = 20
# One more provider call may take the client's read timeout (10 s) plus the chunk's writes.
MIN_TIME_LEFT_MS = 15_000


PUSH_ENDPOINT_GONE = "push_endpoint_disabled"  # suppression reason: SNS disabled or deleted the endpoint


class SendThrottled(Exception):
    """The provider throttled past botocore's retries; the job goes back to the queue."""


@dataclass(frozen=True)
class SendDeps:
    activity_table: str
    messaging: MessagingStore
    suppression: SuppressionStore
    deferrals: DeferralStore
    coupons: CouponStore
    offers: OfferBus | None
    email: EmailChannel
    sms: SmsChannel
    push: PushChannel
    inbox: InboxChannel
    recommender: Recommender
    unsubscribe_key: bytes
    public_base_url: str
    clock: Clock
    catalog: CatalogStore | None = None
    pacer: Pacer | None = None  # None: not paced (tools and tests that send a handful)


class Tally:
    """What happened to each recipient: in total (metrics, logs) and per experiment cell (report)."""

    def __init__(self) -> None:
        self.total: Counter[str] = Counter()
        self.cells: dict[tuple[str, str], Counter[str]] = {}  # not yet written

    def add(self, recipient: Recipient, name: str) -> None:
        self.total[name] += 1
        self.cells.setdefault((recipient.arm, recipient.segment), Counter())[name] += 1

    def take(self) -> dict[tuple[str, str], Counter[str]]:
        """The per-cell counts not yet written, forgotten here (the caller writes them)."""
        cells, self.cells = self.cells, {}
        return cells


@dataclass
class _Plan:
    """The job's decisions: who is sent now, who waits until when (and why), who was sent."""

    deferred: dict[tuple[datetime, str], list[Recipient]] = field(default_factory=lambda: defaultdict(list))
    sent: list[Recipient] = field(default_factory=list)  # since the last flush
    outcomes: list[dict[str, Any]] = field(default_factory=list)  # since the last flush
    sent_email: int = 0  # since the last flush
    paused_channels: set[str] = field(default_factory=set)  # the account cannot send on these now
    coupons: list[tuple[Recipient, IssuedCoupon]] = field(default_factory=list)  # to announce on the bus
    paced_out: dict[str, Pace] = field(default_factory=dict)  # channel -> why and until when it waits


@dataclass(frozen=True)
class _Planned:
    recipient: Recipient
    profile: Profile
    channel: Channel
    address: str
    key: str
    state: SendState
    template: str


def _group_key(kind: str, job: SendJob, recipients: list[Recipient]) -> str:
    """The same recipients deferred for the same reason get the same key: a redelivered job
    overwrites its deferral instead of adding a second one."""
    digest = hashlib.sha256("|".join(sorted(f"{r.user_id}#{r.episode}" for r in recipients)).encode()).hexdigest()
    return f"{kind}#{job.campaign_id}#{job.step}#{digest[:24]}"


def _defer(deps: SendDeps, job: SendJob, recipients: list[Recipient], due: datetime, kind: str) -> None:
    body = job.model_copy(update={"recipients": recipients}).model_dump_json()
    deps.deferrals.defer(_group_key(kind, job, recipients), body, due, kind)


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


def send_job(
    job: SendJob, program: Program, deps: SendDeps, time_left_ms: Callable[[], int] | None = None
) -> Counter[str]:
    """Send one job's step; `time_left_ms` is the Lambda's remaining time (None: unbounded)."""
    campaign = program.campaign(job.campaign_id)
    now = deps.clock.now()
    tally = Tally()
    messaging_keys = [state_key(r.user_id) for r in job.recipients]
    messaging_keys += [answer_key(r.user_id, job.campaign_id, r.episode) for r in job.recipients]
    found = batch_get(
        {
            deps.activity_table: [{"user_id": r.user_id} for r in job.recipients],
            deps.messaging.table: [
                *messaging_keys,
                pause_key(job.campaign_id),
                *(channel_pause_key(ch) for ch in campaign.step_channels(job.step)),
            ],
        }
    )
    profiles = {i["user_id"]: Profile.from_item(i) for i in found[deps.activity_table]}
    states: dict[str, SendState] = {}
    answers: dict[str, dict[str, Any]] = {}
    paused = False
    plan = _Plan()
    for row in found[deps.messaging.table]:
        channel_pause = parse_channel_pause(row)
        if channel_pause is not None:
            if channel_pause.active(now):
                plan.paused_channels.add(channel_pause.channel)
        elif row["pk"].startswith("pause#"):
            paused = True
        elif row["sk"] == "sendstate":
            states[row["pk"].removeprefix("user#")] = SendState.from_item(row)
        else:
            answers[row["pk"].removeprefix("user#")] = row

    if paused:
        # Nothing is lost while a campaign is paused: the job waits and is looked at again hourly.
        _defer(deps, job, job.recipients, now + PAUSE_RECHECK, "paused")
        tally.total["paused"] += len(job.recipients)
        return tally.total
    if job.not_after is not None and now > job.not_after:
        for recipient in job.recipients:
            tally.add(recipient, "dropped")
        _count(deps, job, tally, _Plan())
        return tally.total

    branch_skipped: list[Recipient] = []
    candidates = _candidates(job, campaign, program, profiles, states, answers, tally, now, branch_skipped)
    # Fallback: a suppressed address (a bounce, a STOP) moves the user to their next channel.
    suppressed = deps.suppression.suppressed(address_key(ch, a) for *_, options in candidates for ch, a in options)
    ready: list[_Planned] = []
    for recipient, profile, key, state, template, options in candidates:
        usable = [(ch, a) for ch, a in options if address_key(ch, a) not in suppressed]
        if not usable:
            tally.add(recipient, "suppressed")
            continue
        channel, address = usable[0]
        allowed = next_allowed(now, program.quiet_hours.get(channel), profile.time_zone, program.default_time_zone)
        if allowed > now:
            tally.add(recipient, "quiet_hours")
            _hold(plan, job, recipient, allowed, "quiet_hours", tally)
            continue
        ready.append(_Planned(recipient, profile, channel, address, key, state, template))

    recommended = recommend_for_job(
        ((i.profile, i.template, i.channel) for i in ready), program, deps.recommender, deps.catalog
    )
    throttled = False
    try:
        for i, item in enumerate(ready):
            if time_left_ms is not None and time_left_ms() < MIN_TIME_LEFT_MS:
                # Stop before the function's timeout can cut a send short; the rest waits for the
                # next release (within the step's deadline) instead of a redelivery towards the DLQ.
                for rest in ready[i:]:
                    _hold(plan, job, rest.recipient, now, "requeued", tally)
                break
            if item.channel in plan.paused_channels:
                # The account cannot send on this channel: the message waits, its claim untouched.
                tally.add(item.recipient, "channel_paused")
                _hold(plan, job, item.recipient, now + PAUSE_RECHECK, "channel_paused", tally)
                continue
            if not _paced(item, job, deps, plan, tally):
                continue
            _send_one(item, job, campaign, program, deps, plan, tally, recommended)
            if len(plan.outcomes) >= OUTCOME_CHUNK:
                _flush(deps, job, campaign, plan, tally, now)
    except SendThrottled:
        throttled = True
    except Exception:
        _flush(deps, job, campaign, plan, tally, now)  # what is known, before the job is redelivered
        raise
    _flush(deps, job, campaign, plan, tally, now)
    # Users the step's `when` skipped were never claimed: a redelivery decides for them again.
    _schedule_next_step(job, campaign, branch_skipped, deps, now)
    for (due, kind), recipients in plan.deferred.items():
        _defer(deps, job, recipients, due, kind)
    _count(deps, job, tally, plan)
    if throttled:
        raise SendThrottled(f"throttled after {tally.total['sent']} sends")
    return tally.total


def _paced(item: _Planned, job: SendJob, deps: SendDeps, plan: _Plan, tally: Tally) -> bool:
    """True when the provider's limits let this message go now (after a short wait, slept here).
    Over the rate or the 24-hour quota, this and the job's later messages on the channel wait,
    unclaimed, for the next window (dropped past the step's deadline): none fails into the DLQ."""
    if deps.pacer is None:
        return True
    pace = plan.paced_out.get(item.channel) or deps.pacer.admit(item.channel, deps.clock.now(), job.not_after)
    if pace.until is None:
        return True
    plan.paced_out[item.channel] = pace
    if pace.action == "defer":
        tally.add(item.recipient, f"deferred_by_{pace.kind}")
    _hold(plan, job, item.recipient, pace.until, pace.kind, tally)
    return False


def _flush(deps: SendDeps, job: SendJob, campaign: Campaign, plan: _Plan, tally: Tally, now: datetime) -> None:
    """Write the outcomes of the sends since the last flush, their next step, the coupons they issued
    (CouponIssued on the offers bus) and the counts."""
    deps.messaging.record_outcomes(plan.outcomes)
    _schedule_next_step(job, campaign, plan.sent, deps, now)
    _announce_coupons(deps, plan.coupons, tally, now)
    _count(deps, job, tally, plan)
    plan.outcomes, plan.sent, plan.coupons = [], [], []


def _count(deps: SendDeps, job: SendJob, tally: Tally, plan: _Plan) -> None:
    for (arm, segment), counts in tally.take().items():
        deps.messaging.add_cell(job.campaign_id, job.step, arm, segment, counts)
    if plan.sent_email:
        deps.messaging.add_totals(job.campaign_id, {"sent_email": plan.sent_email})
        plan.sent_email = 0


def _hold(plan: _Plan, job: SendJob, recipient: Recipient, until: datetime, kind: str, tally: Tally) -> None:
    """Defer the recipient's message to `until`, or drop it when that is past the step's deadline."""
    if job.not_after is not None and until > job.not_after:
        tally.add(recipient, "dropped")
        return
    plan.deferred[(until, kind)].append(recipient)
    tally.add(recipient, "deferred")


def _candidates(
    job: SendJob,
    campaign: Campaign,
    program: Program,
    profiles: dict[str, Profile],
    states: dict[str, SendState],
    answers: dict[str, dict[str, Any]],
    tally: Tally,
    now: datetime,
    branch_skipped: list[Recipient],
) -> list[tuple[Recipient, Profile, str, SendState, str, list[tuple[Channel, str]]]]:
    out = []
    templates = shipped_templates()
    for recipient in job.recipients:
        profile = profiles.get(recipient.user_id)
        if profile is None:
            tally.add(recipient, "missing_profile")
            continue
        since = dormant_since(profile, program.dormancy)
        if since is None or since.isoformat() != recipient.episode:
            tally.add(recipient, "active_again")  # left the journey by coming back
            continue
        key = send_key(job.campaign_id, job.step, recipient.episode)
        state = states.get(recipient.user_id, SendState())
        if key in state.ledger:
            tally.add(recipient, "already_sent")
            continue
        answer_route, answered_at = _route(answers.get(recipient.user_id))
        if answered_at is not None and not answer_route.allows_another(
            _sent_since(state, job.campaign_id, recipient.episode, answered_at)
        ):
            tally.add(recipient, "journey_stopped")
            continue
        template = answer_route.template_for(templates, campaign.template_for(job.step, recipient.arm))
        when = campaign.steps[job.step].when
        if when != "any":
            since = previous_send_at(state.ledger, job.campaign_id, job.step, recipient.episode)
            if not branch_holds(when, profile.engagement, since):
                tally.add(recipient, "branch_skipped")  # not theirs; the journey goes on to the next step
                branch_skipped.append(recipient)
                continue
            tally.add(recipient, when)
        options = reachable_channels(campaign.step_channels(job.step), profile)
        sunset = program.sunset
        if any(ch == "email" for ch, _ in options) and email_unengaged(
            profile.engagement, profile.last_seen_at, now, sunset.email_unengaged_emails, sunset.email_unengaged_days
        ):
            tally.add(recipient, "email_unengaged")  # no more campaign email; other channels still may
            options = [(ch, a) for ch, a in options if ch != "email"]
            if not options:
                continue
        if not options:
            tally.add(recipient, "no_channel")
            continue
        out.append((recipient, profile, key, state, template, options))
    return out


def _schedule_next_step(job: SendJob, campaign: Campaign, sent: list[Recipient], deps: SendDeps, now: datetime) -> None:
    nxt = job.step + 1
    if not sent or nxt >= len(campaign.steps):
        return
    step = campaign.steps[nxt]
    due = now + timedelta(days=step.delay_days)
    follow = job.model_copy(update={"step": nxt, "not_after": due + timedelta(days=step.deadline_days)})
    _defer(deps, follow, sent, due, "next_step")


def _claim(item: _Planned, job: SendJob, program: Program, deps: SendDeps, plan: _Plan, tally: Tally) -> bool:
    """Claim the send and a cap slot; re-read and retry when another writer changed the state.
    A full cap defers the message to when its oldest slot leaves the window."""
    cap = program.frequency_caps.get(item.channel)
    user_id = item.recipient.user_id
    state = item.state
    for _ in range(_CLAIM_ATTEMPTS):
        now = deps.clock.now()
        if item.key in state.ledger:
            tally.add(item.recipient, "already_sent")
            return False
        slots = state.caps.get(item.channel, {})
        if cap is not None:
            if not has_room(slots, cap, now):
                tally.add(item.recipient, "capped")
                room = datetime.fromtimestamp(min(live_sends(slots, cap, now).values()), now.tzinfo)
                _hold(plan, job, item.recipient, room + timedelta(days=cap.window_days, seconds=1), "capped", tally)
                return False
            slots = live_sends(slots, cap, now)
        cell = (item.recipient.arm, item.recipient.segment)
        if deps.messaging.claim(user_id, item.key, item.channel, state, slots, now, cell) is Claim.CLAIMED:
            return True
        state = deps.messaging.read_state(user_id)
    tally.add(item.recipient, "contention")
    return False


def _incentive(
    item: _Planned, job: SendJob, campaign: Campaign, deps: SendDeps, plan: _Plan, tally: Tally, now: datetime
) -> IssuedCoupon | None:
    """The step's offer for this user: a coupon within the campaign's budget (None when spent: the
    message goes without an offer), or a grant announced on the offers bus."""
    step = campaign.steps[job.step]
    incentive = step.incentive
    variant = campaign.variant(item.recipient.arm)
    r = item.recipient
    if variant is not None and not variant.incentives:
        return None
    if step.coupon_from_step is not None:
        earlier = deps.coupons.issued(r.user_id, job.campaign_id, step.coupon_from_step, r.episode)
        if earlier is not None and earlier.expires_at > now:
            return earlier
    if incentive is None:
        return None
    if isinstance(incentive, CouponIncentive):
        coupon = deps.coupons.issue(
            r.user_id,
            job.campaign_id,
            job.step,
            r.episode,
            coupon_value_minor(incentive, r.segment),
            incentive.currency,
            coupon_expiry(incentive, now),
            campaign.coupon_budget,
            now,
        )
        tally.add(r, "coupon_issued" if coupon is not None else "offer_budget_spent")
        if coupon is not None and not coupon.announced:
            plan.coupons.append((r, coupon))
        return coupon
    if isinstance(incentive, OfferIncentive) and deps.offers is not None:
        try:
            deps.offers.grant(r.user_id, job.campaign_id, job.step, r.episode, incentive, now)
            tally.add(r, "offer_granted")
        except OfferNotPublished:
            tally.add(r, "offer_unpublished")
            logger.warning("offer recorded but not yet announced", extra={"campaign_id": job.campaign_id})
            logger.debug("offer not announced for", extra={"user_id": r.user_id})
    return None


def _announce_coupons(
    deps: SendDeps, pending: list[tuple[Recipient, IssuedCoupon]], tally: Tally, now: datetime
) -> None:
    """CouponIssued on the offers bus for the job's new coupons, up to 10 per PutEvents; each accepted
    one is marked on its pointer, so a send retried later finds it announced and does not repeat it."""
    if deps.offers is None or not pending:
        return
    accepted = deps.offers.announce_coupons([c for _, c in pending], now)
    deps.coupons.mark_announced(accepted)
    codes = {c.code for c in accepted}
    for recipient, coupon in pending:
        tally.add(recipient, "coupon_announced" if coupon.code in codes else "coupon_unannounced")


def _send_one(
    item: _Planned,
    job: SendJob,
    campaign: Campaign,
    program: Program,
    deps: SendDeps,
    plan: _Plan,
    tally: Tally,
    recommended: JobRecommendations | None = None,
) -> None:
    if not _claim(item, job, program, deps, plan, tally):
        return
    user_id = item.recipient.user_id
    now = deps.clock.now()
    try:
        content, values = _prepare(item, job, campaign, program, deps, plan, tally, now, recommended)
    except Exception:
        # Nothing went out: give the claim back so the redelivered job sends it (not `already_sent`).
        deps.messaging.release(user_id, item.key, item.channel)
        raise
    _deliver(item, job, deps, plan, tally, now, content, values)


def _prepare(
    item: _Planned,
    job: SendJob,
    campaign: Campaign,
    program: Program,
    deps: SendDeps,
    plan: _Plan,
    tally: Tally,
    now: datetime,
    recommended: JobRecommendations | None = None,
) -> tuple[Rendered, dict[str, Any]]:
    """The offer and the rendered message: everything that can fail before the provider is called."""
    coupon = _incentive(item, job, campaign, deps, plan, tally, now)
    message = Message(
        profile=item.profile,
        channel=item.channel,
        campaign_id=job.campaign_id,
        step=job.step,
        arm=item.recipient.arm,
        episode=item.recipient.episode,
        locale=resolve_locale(item.profile.locale, program.default_locale),
    )
    values = variables(
        message,
        item.template,
        program,
        deps.recommender,
        coupon,
        deps.unsubscribe_key,
        deps.public_base_url,
        now,
        recommended,
    )
    return render(item.template, item.channel, message.locale, values), values


def _deliver(
    item: _Planned,
    job: SendJob,
    deps: SendDeps,
    plan: _Plan,
    tally: Tally,
    now: datetime,
    content: Rendered,
    values: dict[str, Any],
) -> None:
    user_id = item.recipient.user_id
    record: dict[str, Any] = {
        "pk": f"user#{user_id}",
        "sk": f"msg#{item.key}",
        "campaign_id": job.campaign_id,
        "step": job.step,
        "arm": item.recipient.arm,
        "segment": item.recipient.segment,
        "run_id": job.run_id,
        "channel": item.channel,
        "template": item.template,
        "at": now.isoformat(),
        "expires_at": int((now + LEDGER_TTL).timestamp()),
    }
    try:
        if item.channel == "email":
            tags = {
                "campaign": job.campaign_id,
                "step": str(job.step),
                "arm": item.recipient.arm,
                "segment": item.recipient.segment,
                "user": user_tag(user_id),  # feedback finds the profile an open or click belongs to
            }
            message_id = deps.email.send(item.address, content, str(values["unsubscribe_url"]), tags)
        elif item.channel == "sms":
            message_id = deps.sms.send(item.address, content)
        elif item.channel == "push":
            message_id = deps.push.send(item.address, content)
        else:
            message_id = deps.inbox.send(
                user_id, item.key, content.subject, content.text, str(values["cta_url"]), job.campaign_id, job.step
            )
    except AccountPaused as exc:
        # Not this message's fault: give the claim back, pause the channel, let the message wait.
        deps.messaging.release(user_id, item.key, item.channel)
        pause_for_account(ChannelPauses(deps.messaging.table), item.channel, exc.code, exc.lifts, now)
        plan.paused_channels.add(item.channel)
        tally.add(item.recipient, "channel_paused")
        _hold(plan, job, item.recipient, now + PAUSE_RECHECK, "channel_paused", tally)
        return
    except Throttled as exc:
        deps.messaging.release(user_id, item.key, item.channel)
        tally.add(item.recipient, "throttled")
        raise SendThrottled(exc.code) from exc
    except AddressGone as exc:
        # A dead push endpoint: suppressed, so the next step goes to the user's next channel.
        deps.suppression.suppress(address_key(item.channel, item.address), PUSH_ENDPOINT_GONE, "sns", now)
        tally.add(item.recipient, "failed")
        tally.add(item.recipient, PUSH_ENDPOINT_GONE)
        plan.outcomes.append({**record, "status": FAILED, "error": exc.code})
        return
    except Rejected as exc:
        tally.add(item.recipient, "failed")
        logger.warning("provider rejected message", extra={"code": exc.code})
        logger.debug("provider rejected message for", extra={"user_id": user_id})
        plan.outcomes.append({**record, "status": FAILED, "error": exc.code})
        return
    except Uncertain as exc:
        tally.add(item.recipient, "uncertain")
        logger.warning("send outcome uncertain; stays claimed, never resent", extra={"code": exc.code})
        logger.debug("send outcome uncertain for", extra={"user_id": user_id})
        plan.outcomes.append({**record, "status": UNCERTAIN, "error": exc.code})
        return
    tally.add(item.recipient, "sent")
    tally.add(item.recipient, f"sent_{item.channel}")
    if item.channel == "email":
        plan.sent_email += 1
    if item.channel not in ("email", "sms"):
        # SES and SNS's SMS delivery-status logs report deliveries (feedback counts them); for push
        # and the inbox the provider's acceptance is the delivery.
        tally.add(item.recipient, "delivered")
    plan.sent.append(item.recipient)
    plan.outcomes.append({**record, "status": SENT, "message_id": message_id})
    if item.channel == "sms":
        plan.outcomes.append(sms_sent_item(message_id, record))  # written in the same batch
