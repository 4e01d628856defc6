"""The in-memory world the send tests run over: winback_dev.memory, the same one `winback simulate`
extends (re-exported here so the tests name one place)."""

from winback_dev.memory.channels import NoRecommendations
from winback_dev.memory.clock import ManualClock
from winback_dev.memory.messaging import InMemoryMessaging
from winback_dev.memory.stores import InMemoryContext, InMemoryDeferrals, InMemorySuppressions
from winback_dev.memory.world import MemoryWorld

__all__ = [
    "InMemoryContext",
    "InMemoryDeferrals",
    "InMemoryMessaging",
    "InMemorySuppressions",
    "ManualClock",
    "MemoryWorld",
    "NoRecommendations",
]
