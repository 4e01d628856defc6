"""Every port of the send service in memory, and the SendDeps over them."""

from __future__ import annotations

from dataclasses import dataclass, field

from winback.models.profile import Profile
from winback.services.send.ports import ChannelSender, Pacer, SendDeps, Unpaced
from winback_dev.memory.channels import NoRecommendations, RecordingChannel
from winback_dev.memory.clock import ManualClock
from winback_dev.memory.messaging import InMemoryMessaging
from winback_dev.memory.stores import (
    InMemoryContext,
    InMemoryCoupons,
    InMemoryDeferrals,
    InMemoryOffers,
    InMemorySuppressions,
)

CHANNELS = ("email", "sms", "push", "inbox")
UNSUBSCRIBE_KEY = b"k" * 32
PUBLIC_BASE_URL = "https://api.example.com"


@dataclass
class MemoryWorld:
    """The send service's world in memory: stores, channels that record what they are sent, a clock
    that moves when told; `deps()` is the SendDeps a test runs `send_job` with."""

    clock: ManualClock
    profiles: dict[str, Profile] = field(default_factory=dict)
    messaging: InMemoryMessaging = field(default_factory=InMemoryMessaging)
    suppression: InMemorySuppressions = field(default_factory=InMemorySuppressions)
    deferrals: InMemoryDeferrals = field(init=False)  # the Records port: outcomes go to `messaging`
    coupons: InMemoryCoupons = field(default_factory=InMemoryCoupons)
    offers: InMemoryOffers = field(default_factory=InMemoryOffers)
    channels: dict[str, RecordingChannel] = field(
        default_factory=lambda: {name: RecordingChannel(name) for name in CHANNELS}
    )
    paused_channels: set[str] = field(default_factory=set)
    pacer: Pacer = field(default_factory=Unpaced)

    def __post_init__(self) -> None:
        self.deferrals = InMemoryDeferrals(self.messaging)

    def deps(self) -> SendDeps:
        channels: dict[str, ChannelSender] = dict(self.channels)
        return SendDeps(
            context=InMemoryContext(self.profiles, self.messaging, self.paused_channels, self.coupons),
            messaging=self.messaging,
            suppression=self.suppression,
            records=self.deferrals,
            coupons=self.coupons,
            offers=self.offers,
            channels=channels,
            recommender=NoRecommendations(),
            unsubscribe_key=UNSUBSCRIBE_KEY,
            public_base_url=PUBLIC_BASE_URL,
            clock=self.clock,
            pacer=self.pacer,
        )

    def sent(self, channel: str = "email") -> list[str]:
        return [m.user_id for m in self.channels[channel].sent]
