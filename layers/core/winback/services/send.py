"""Send: for each user of a packed job, apply the guards in order, then deliver once.

Guards: still dormant in the same episode (fresh profile) · not already sent (ledger) ·
reachable channel with consent · address not suppressed · frequency cap has room.
The ledger entry and the cap slot are claimed in one conditional write of the user's send state
before the provider is called, so a redelivered job, a concurrent duplicate or a crash never
produces a second message. A claim whose outcome is unknown stays claimed: never resent.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from winback.adapters.channels import EmailChannel, PushChannel, Rejected, SmsChannel, Throttled, Uncertain
from winback.adapters.dynamo import batch_get
from winback.adapters.messaging_store import (
    FAILED,
    LEDGER_TTL,
    SENT,
    Claim,
    MessagingStore,
    SendState,
    send_key,
    state_key,
)
from winback.adapters.suppression_store import SuppressionStore
from winback.clock import Clock
from winback.domain.addresses import address_key
from winback.domain.dormancy import dormant_since
from winback.domain.frequency import has_room, live_sends
from winback.domain.rendering import render, resolve_locale
from winback.domain.targeting import reachable_channels
from winback.domain.tokens import sign_token
from winback.models.jobs import Recipient, SendJob
from winback.models.profile import Profile
from winback.observability import logger
from winback.program import Channel, Program

DEFAULT_NAME = {"en": "there", "zh-CN": "朋友"}
_CLAIM_ATTEMPTS = 3


class SendThrottled(Exception):
    """The provider throttled past botocore's retries; the job goes back to the queue."""


@dataclass(frozen=True)
class SendDeps:
    activity_table: str
    messaging: MessagingStore
    suppression: SuppressionStore
    email: EmailChannel
    sms: SmsChannel
    push: PushChannel
    unsubscribe_key: bytes
    public_base_url: str
    clock: Clock


@dataclass(frozen=True)
class _Planned:
    recipient: Recipient
    profile: Profile
    channel: Channel
    address: str
    key: str
    state: SendState


def _with_query(url: str, query: str) -> str:
    return f"{url}{'&' if '?' in url else '?'}{query}"


def send_job(job: SendJob, program: Program, deps: SendDeps) -> Counter[str]:
    campaign = program.campaign(job.campaign_id)
    step = campaign.steps[job.step]
    tally: Counter[str] = Counter()
    found = batch_get(
        {
            deps.activity_table: [{"user_id": r.user_id} for r in job.recipients],
            deps.messaging.table: [state_key(r.user_id) for r in job.recipients],
        }
    )
    profiles = {i["user_id"]: Profile.from_item(i) for i in found[deps.activity_table]}
    states = {i["pk"].removeprefix("user#"): SendState.from_item(i) for i in found[deps.messaging.table]}

    candidates: list[tuple[Recipient, Profile, str, SendState, list[tuple[Channel, str]]]] = []
    for recipient in job.recipients:
        profile = profiles.get(recipient.user_id)
        if profile is None:
            tally["missing_profile"] += 1
            continue
        since = dormant_since(profile, program.dormancy)
        if since is None or since.isoformat() != recipient.episode:
            tally["active_again"] += 1
            continue
        key = send_key(job.campaign_id, job.step, recipient.episode)
        state = states.get(recipient.user_id, SendState())
        if key in state.ledger:
            tally["already_sent"] += 1
            continue
        options = reachable_channels(campaign, profile)
        if not options:
            tally["no_channel"] += 1
            continue
        candidates.append((recipient, profile, key, state, options))

    # Fallback: a suppressed address (a bounce, a STOP) moves the user to their next channel.
    suppressed = deps.suppression.suppressed(address_key(ch, a) for *_, options in candidates for ch, a in options)
    planned: list[_Planned] = []
    for recipient, profile, key, state, options in candidates:
        usable = [(ch, a) for ch, a in options if address_key(ch, a) not in suppressed]
        if not usable:
            tally["suppressed"] += 1
            continue
        planned.append(_Planned(recipient, profile, usable[0][0], usable[0][1], key, state))

    outcomes: list[dict[str, Any]] = []
    throttled = False
    try:
        for item in planned:
            outcome = _send_one(item, job, step.template, program, deps, tally)
            if outcome is not None:
                outcomes.append(outcome)
    except SendThrottled:
        throttled = True
    finally:
        deps.messaging.record_outcomes(outcomes)
        deps.messaging.add_counters(job.campaign_id, job.step, tally)
    if throttled:
        raise SendThrottled(f"throttled after {tally['sent']} sends")
    return tally


def _claim(item: _Planned, program: Program, deps: SendDeps, tally: Counter[str]) -> bool:
    """Claim the send and a cap slot; re-read and retry when another writer changed the state."""
    cap = program.frequency_caps.get(item.channel)
    user_id = item.recipient.user_id
    state = item.state
    for _ in range(_CLAIM_ATTEMPTS):
        now = deps.clock.now()
        if item.key in state.ledger:
            tally["already_sent"] += 1
            return False
        slots = state.caps.get(item.channel, {})
        if cap is not None:
            if not has_room(slots, cap, now):
                tally["capped"] += 1
                return False
            slots = live_sends(slots, cap, now)
        if deps.messaging.claim(user_id, item.key, item.channel, state, slots, now) is Claim.CLAIMED:
            return True
        state = deps.messaging.read_state(user_id)
    tally["contention"] += 1
    return False


def _send_one(
    item: _Planned, job: SendJob, template: str, program: Program, deps: SendDeps, tally: Counter[str]
) -> dict[str, Any] | None:
    if not _claim(item, program, deps, tally):
        return None
    user_id = item.recipient.user_id
    locale = resolve_locale(item.profile.locale, program.default_locale)
    now = deps.clock.now()
    token = sign_token(
        deps.unsubscribe_key,
        user_id,
        item.channel,
        job.campaign_id,
        now,
        timedelta(days=program.unsubscribe_token_days),
    )
    unsubscribe_url = f"{deps.public_base_url.rstrip('/')}/unsubscribe?token={token}"
    content = render(
        template,
        item.channel,
        locale,
        {
            "name": item.profile.name or DEFAULT_NAME[locale],
            "brand": program.brand,
            "campaign_id": job.campaign_id,
            "cta_url": _with_query(
                program.site_url, f"utm_source=winback&utm_medium={item.channel}&utm_campaign={job.campaign_id}"
            ),
            "unsubscribe_url": unsubscribe_url,
        },
    )
    record: dict[str, Any] = {
        "pk": f"user#{user_id}",
        "sk": f"msg#{item.key}",
        "campaign_id": job.campaign_id,
        "step": job.step,
        "run_id": job.run_id,
        "channel": item.channel,
        "at": now.isoformat(),
        "expires_at": int((now + LEDGER_TTL).timestamp()),
    }
    try:
        if item.channel == "email":
            tags = {"campaign": job.campaign_id, "step": str(job.step)}
            message_id = deps.email.send(item.address, content, unsubscribe_url, tags)
        elif item.channel == "sms":
            message_id = deps.sms.send(item.address, content)
        else:
            message_id = deps.push.send(item.address, content)
    except Throttled as exc:
        deps.messaging.release(user_id, item.key, item.channel)
        tally["throttled"] += 1
        raise SendThrottled(exc.code) from exc
    except Rejected as exc:
        tally["failed"] += 1
        logger.warning("provider rejected message", extra={"user_id": user_id, "code": exc.code})
        return {**record, "status": FAILED, "error": exc.code}
    except Uncertain as exc:
        tally["unknown"] += 1
        logger.warning(
            "send outcome unknown; stays claimed, never resent", extra={"user_id": user_id, "code": exc.code}
        )
        return {**record, "status": "unknown", "error": exc.code}
    tally["sent"] += 1
    tally[f"sent_{item.channel}"] += 1
    return {**record, "status": SENT, "message_id": message_id}
