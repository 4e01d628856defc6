"""Send: for each user of a packed job, apply the guards in order, then deliver once.

Guards: still dormant in the same episode (fresh profile) · not already sent (ledger) ·
reachable channel with consent · address not suppressed · frequency cap has room.
The ledger entry and the cap slot are claimed in one transaction before the provider is called,
so a redelivered job, a concurrent duplicate or a crash never produces a second message.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from winback.adapters import clients
from winback.adapters.channels import EmailChannel, PushChannel, Rejected, SmsChannel, Throttled, Uncertain
from winback.adapters.dynamo import batch_get, from_av, to_av
from winback.adapters.messaging_store import (
    FAILED,
    LEDGER_TTL,
    PENDING,
    SENT,
    CapState,
    Claim,
    MessagingStore,
    cap_key,
    ledger_key,
)
from winback.adapters.suppression_store import SuppressionStore
from winback.clock import Clock
from winback.domain.addresses import address_key, contact_address
from winback.domain.dormancy import dormant_since
from winback.domain.frequency import has_room, live_sends
from winback.domain.rendering import render, resolve_locale
from winback.domain.targeting import choose_channel
from winback.domain.tokens import sign_token
from winback.models.jobs import Recipient, SendJob
from winback.models.profile import Profile
from winback.observability import logger
from winback.program import Channel, Program

DEFAULT_NAME = {"en": "there", "zh-CN": "朋友"}
_CAP_RETRIES = 3


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
    ledger: dict[str, str]


def _profile_address(profile: Profile, channel: Channel) -> str | None:
    return contact_address(channel, profile.email, profile.phone, profile.push_endpoint)


def _cap_state(item: dict[str, Any] | None) -> CapState:
    if not item:
        return CapState()
    return CapState(version=int(item.get("v", 0)), sends={k: int(v) for k, v in item.get("sends", {}).items()})


def _read_cap(deps: SendDeps, user_id: str, channel: str) -> CapState:
    reply = clients.dynamodb().get_item(
        TableName=deps.messaging.table, Key=to_av(cap_key(user_id, channel)), ConsistentRead=True
    )
    return _cap_state(from_av(reply["Item"]) if "Item" in reply else None)


def _with_query(url: str, query: str) -> str:
    return f"{url}{'&' if '?' in url else '?'}{query}"


def send_job(job: SendJob, program: Program, deps: SendDeps) -> Counter[str]:
    campaign = program.campaign(job.campaign_id)
    step = campaign.steps[job.step]
    tally: Counter[str] = Counter()
    ledgers = {r.user_id: ledger_key(r.user_id, job.campaign_id, job.step, r.episode) for r in job.recipients}
    found = batch_get(
        {
            deps.activity_table: [{"user_id": r.user_id} for r in job.recipients],
            deps.messaging.table: list(ledgers.values()),
        }
    )
    profiles = {i["user_id"]: Profile.model_validate(i) for i in found[deps.activity_table]}
    state = {(i["pk"], i["sk"]): i for i in found[deps.messaging.table]}

    planned: list[_Planned] = []
    for recipient in job.recipients:
        profile = profiles.get(recipient.user_id)
        if profile is None:
            tally["missing_profile"] += 1
            continue
        since = dormant_since(profile, program.dormancy)
        if since is None or since.isoformat() != recipient.episode:
            tally["active_again"] += 1
            continue
        ledger = ledgers[recipient.user_id]
        entry = state.get((ledger["pk"], ledger["sk"]))
        if entry and entry.get("status") in (SENT, FAILED):
            tally["already_sent"] += 1
            continue
        if entry and entry.get("status") == PENDING:
            # An earlier attempt claimed this send and never recorded the outcome: it may have gone out.
            tally["unknown"] += 1
            logger.warning("send outcome unknown; not resending", extra={"user_id": recipient.user_id})
            continue
        channel = choose_channel(campaign, profile)
        address = _profile_address(profile, channel) if channel else None
        if channel is None or address is None:
            tally["no_channel"] += 1
            continue
        planned.append(_Planned(recipient, profile, channel, address, ledger))

    # Second read, now that each user's channel is known: that channel's cap state and suppression.
    second = batch_get(
        {
            deps.messaging.table: [cap_key(p.recipient.user_id, p.channel) for p in planned],
            deps.suppression.table: [{"address": address_key(p.channel, p.address)} for p in planned],
        }
    )
    state.update({(i["pk"], i["sk"]): i for i in second[deps.messaging.table]})
    suppressed = {i["address"] for i in second[deps.suppression.table]}
    outcomes: list[dict[str, Any]] = []
    throttled = False
    try:
        for item in planned:
            if address_key(item.channel, item.address) in suppressed:
                tally["suppressed"] += 1
                continue
            outcome = _send_one(item, job, step.template, program, deps, state, tally)
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


def _send_one(
    item: _Planned,
    job: SendJob,
    template: str,
    program: Program,
    deps: SendDeps,
    state: dict[tuple[str, str], dict[str, Any]],
    tally: Counter[str],
) -> dict[str, Any] | None:
    cap_config = program.frequency_caps.get(item.channel)
    user_id = item.recipient.user_id
    cap_item = state.get(tuple(cap_key(user_id, item.channel).values()))  # type: ignore[arg-type]
    cap = _cap_state(cap_item)
    for attempt in range(_CAP_RETRIES):
        now = deps.clock.now()
        live = live_sends(cap.sends, cap_config, now) if cap_config else cap.sends
        if cap_config and not has_room(cap.sends, cap_config, now):
            tally["capped"] += 1
            return None
        claim = deps.messaging.claim(
            item.ledger,
            item.channel,
            cap,
            live,
            now,
            {"campaign_id": job.campaign_id, "step": job.step, "run_id": job.run_id},
        )
        if claim is Claim.CLAIMED:
            break
        if claim is Claim.DUPLICATE:
            tally["already_sent"] += 1
            return None
        if attempt == _CAP_RETRIES - 1:
            tally["contention"] += 1
            return None
        cap = _read_cap(deps, user_id, item.channel)

    locale = resolve_locale(item.profile.locale, program.default_locale)
    token = sign_token(
        deps.unsubscribe_key,
        user_id,
        item.channel,
        job.campaign_id,
        deps.clock.now(),
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
                program.site_url,
                f"utm_source=winback&utm_medium={item.channel}&utm_campaign={job.campaign_id}",
            ),
            "unsubscribe_url": unsubscribe_url,
        },
    )
    record: dict[str, Any] = {
        **item.ledger,
        "expires_at": int((deps.clock.now() + LEDGER_TTL).timestamp()),
        "campaign_id": job.campaign_id,
        "step": job.step,
        "run_id": job.run_id,
        "channel": item.channel,
        "at": deps.clock.now().isoformat(),
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
        deps.messaging.release(item.ledger, item.channel)
        tally["throttled"] += 1
        raise SendThrottled(exc.code) from exc
    except Rejected as exc:
        tally["failed"] += 1
        logger.warning("provider rejected message", extra={"user_id": user_id, "code": exc.code})
        return {**record, "status": FAILED, "error": exc.code}
    except Uncertain as exc:
        tally["unknown"] += 1
        logger.warning("send outcome unknown; left pending", extra={"user_id": user_id, "code": exc.code})
        return None
    tally["sent"] += 1
    tally[f"sent_{item.channel}"] += 1
    return {**record, "status": SENT, "message_id": message_id}
