"""Claim: the ledger entry, the channel's cap slot and the program-level cap slot (`frequency_caps.all`,
over every channel), in one conditional write of the user's send state before the provider is
called, so a redelivered job, a concurrent duplicate or a crash never produces a second message and
two channels never both take the last slot. A full cap defers the message to when its oldest slot
leaves the window (the later of the two when both are full). The user's own cap ("fewer messages",
domain/journey/preferences.py) is checked against the same state, so it holds under retries too. The
same write keeps the claim's note (its job, cell, channel and template), from which the sweeper
finishes a claim its job could not."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from winback.config.guards import ALL_CHANNELS
from winback.domain.journey.caps import has_room, live_sends
from winback.domain.journey.preferences import own_cap_room_at
from winback.models.send_state import Claim, ClaimNote, SendStatus
from winback.runtime.observability import logger
from winback.services.send.record import outcome
from winback.services.send.retry import with_backoff

if TYPE_CHECKING:
    from winback.config.guards import CapScope, FrequencyCap
    from winback.models.send_state import SendState
    from winback.services.send.guards import Candidate
    from winback.services.send.job_run import JobRun

CLAIM_ATTEMPTS = 3
# Tries to give a claim back (each with the SDK's own retries) before the sweeper is asked to.
RELEASE_ATTEMPTS = 4


def claim(run: JobRun, item: Candidate) -> tuple[str, ...] | None:
    """Claim the send and its cap slots; re-read and retry when another writer changed the state.
    None when not claimed; else the caps other than the channel's that a release must give back."""
    deps, tally = run.deps, run.tally
    caps: dict[CapScope, FrequencyCap] = {
        scope: cap for scope in (item.channel, ALL_CHANNELS) if (cap := run.program.frequency_caps.get(scope))
    }
    user_id = item.recipient.user_id
    state = item.state
    for _ in range(CLAIM_ATTEMPTS):
        now = deps.clock.now()
        if state.erased:  # erased since the job read the state: the claim's condition failed on it
            tally.add(item.recipient, "erased")
            return None
        if item.key in state.ledger:
            tally.add(item.recipient, "already_sent")
            return None
        own_room_at = own_cap_room_at(item.profile, state.ledger, now)
        room_at = max(filter(None, (_room_at(state, caps, now), own_room_at)), default=None)
        if room_at is not None:
            tally.add(item.recipient, "capped")
            run.hold(item.recipient, room_at, "capped")
            return None
        live: dict[str, dict[str, int]] = {s: live_sends(state.caps.get(s, {}), cap, now) for s, cap in caps.items()}
        slots = live.pop(item.channel, state.caps.get(item.channel, {}))
        note = _note(run, item, now)
        if deps.messaging.claim(user_id, item.key, item.channel, state, slots, now, note, live) is Claim.CLAIMED:
            return tuple(live)
        state = deps.messaging.read_state(user_id)
    tally.add(item.recipient, "contention")
    return None


def release(run: JobRun, item: Candidate, now: datetime, also: tuple[str, ...] = ()) -> None:
    """Give the claim back: the send certainly did not happen (a throttle, an account-level refusal,
    a failure before the provider call). Retried with its own backoff; when the store still refuses,
    a `released` record goes with the job's next write, from which the sweeper gives the claim back
    and parks the message to be sent later (instead of a redelivery finding it `already_sent` and
    the sweeper booking it uncertain)."""
    deps, user_id = run.deps, item.recipient.user_id
    try:
        with_backoff(
            lambda: deps.messaging.release(user_id, item.key, item.channel, also), RELEASE_ATTEMPTS, deps.sleep
        )
    except Exception:  # the store's error, after every try: the sweeper completes the release
        logger.warning("claim not given back; left to the sweeper", extra={"campaign_id": run.job.campaign_id})
        run.tally.add(item.recipient, "release_failed")
        run.log.add_outcome(item.recipient, outcome(run, item, now, SendStatus.RELEASED))


def _note(run: JobRun, item: Candidate, now: datetime) -> ClaimNote:
    job, r = run.job, item.recipient
    return ClaimNote(
        at=int(now.timestamp()),
        arm=r.arm,
        segment=r.segment,
        run_id=job.run_id,
        tier=job.tier,
        channel=item.channel,
        template=item.template,
        not_after=None if job.not_after is None else job.not_after.isoformat(),
    )


def _room_at(state: SendState, caps: dict[CapScope, FrequencyCap], now: datetime) -> datetime | None:
    """When every full cap has room again (None: none is full)."""
    times = [
        datetime.fromtimestamp(min(live_sends(slots, cap, now).values()), now.tzinfo)
        + timedelta(days=cap.window_days, seconds=1)
        for scope, cap in caps.items()
        if not has_room(slots := state.caps.get(scope, {}), cap, now)
    ]
    return max(times, default=None)
