"""Claim: the ledger entry and the channel's cap slot, in one conditional write of the user's send
state before the provider is called, so a redelivered job, a concurrent duplicate or a crash never
produces a second message. A full cap defers the message to when its oldest slot leaves the window."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from winback.adapters.messaging_store import Claim
from winback.domain.journey.caps import has_room, live_sends

if TYPE_CHECKING:
    from winback.config.program import Program
    from winback.models.jobs import SendJob
    from winback.services.send.guards import Candidate
    from winback.services.send.ports import SendDeps
    from winback.services.send.record import Plan, Tally

CLAIM_ATTEMPTS = 3


def claim(item: Candidate, job: SendJob, program: Program, deps: SendDeps, plan: Plan, tally: Tally) -> bool:
    """Claim the send and a cap slot; re-read and retry when another writer changed the state."""
    cap = program.frequency_caps.get(item.channel)
    user_id = item.recipient.user_id
    state = item.state
    for _ in range(CLAIM_ATTEMPTS):
        now = deps.clock.now()
        if item.key in state.ledger:
            tally.add(item.recipient, "already_sent")
            return False
        slots = state.caps.get(item.channel, {})
        if cap is not None:
            if not has_room(slots, cap, now):
                tally.add(item.recipient, "capped")
                room = datetime.fromtimestamp(min(live_sends(slots, cap, now).values()), now.tzinfo)
                plan.hold(job, item.recipient, room + timedelta(days=cap.window_days, seconds=1), "capped", tally)
                return False
            slots = live_sends(slots, cap, now)
        cell = (item.recipient.arm, item.recipient.segment)
        if deps.messaging.claim(user_id, item.key, item.channel, state, slots, now, cell) is Claim.CLAIMED:
            return True
        state = deps.messaging.read_state(user_id)
    tally.add(item.recipient, "contention")
    return False
