"""The preview's and plan's sources over the in-memory world the send tests use (tests/fakes)."""

from __future__ import annotations

from tests.fakes.send import InMemoryContext, MemoryWorld, NoRecommendations
from winback.config.program import Program
from winback.models.profile import Profile
from winback.services.send.compose import Signer
from winback_dev.memory.world import PUBLIC_BASE_URL, UNSUBSCRIBE_KEY
from winback_dev.preview import Sources


class Profiles:
    def __init__(self, world: MemoryWorld) -> None:
        self.world = world

    def get(self, user_id: str) -> Profile | None:
        return self.world.profiles.get(user_id)


def sources(world: MemoryWorld, program: Program, signer: Signer | None = None) -> Sources:
    """What `live_sources` gives a preview, over the memory world: the same key and base URL its send deps use."""
    return Sources(
        program=program,
        profiles=Profiles(world),
        context=InMemoryContext(world.profiles, world.messaging, world.paused_channels, world.coupons),
        suppression=world.suppression,
        recommender=NoRecommendations(),
        signer=signer or Signer(UNSUBSCRIBE_KEY, PUBLIC_BASE_URL),
        clock=world.clock,
    )
