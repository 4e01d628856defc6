"""The sender's guards, run by a tool that writes nothing (preview, plan): the send deps they read
(the job's context and the suppressions), with every port that writes absent, and the cap check the
claim would make."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, cast

from winback.config.guards import ALL_CHANNELS
from winback.domain.journey.caps import has_room
from winback.domain.journey.preferences import own_cap_room_at
from winback.services.send.ports import SendDeps

if TYPE_CHECKING:
    from winback.config.program import Program
    from winback.domain.audience.recommendations import Recommender
    from winback.domain.clock import Clock
    from winback.services.send.compose import Signer
    from winback.services.send.guards import Candidate
    from winback.services.send.ports import ContextLoader, Suppressions


class Absent:
    """A port a read-only tool never uses: any call to it is a bug, and fails."""

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, attribute: str) -> Any:
        raise RuntimeError(f"a read-only command called {self._name}.{attribute}")


def guard_deps(
    context: ContextLoader, suppression: Suppressions, recommender: Recommender, clock: Clock, signer: Signer
) -> SendDeps:
    """What `screen` reads; the ledger, records, coupons, offers and channels are absent."""
    return SendDeps(
        context=context,
        messaging=cast(Any, Absent("messaging")),
        suppression=suppression,
        records=cast(Any, Absent("records")),
        coupons=cast(Any, Absent("coupons")),
        offers=None,
        channels={},
        recommender=recommender,
        unsubscribe_key=signer.key,
        public_base_url=signer.base_url,
        clock=clock,
    )


def capped(candidate: Candidate, program: Program, now: datetime) -> bool:
    """Whether the claim would find the channel's cap, the program-level cap or the user's own cap
    (their "fewer messages") full (the message then waits)."""
    if own_cap_room_at(candidate.profile, candidate.state.ledger, now) is not None:
        return True
    for scope in (candidate.channel, ALL_CHANNELS):
        cap = program.frequency_caps.get(scope)
        if cap is not None and not has_room(candidate.state.caps.get(scope, {}), cap, now):
            return True
    return False
