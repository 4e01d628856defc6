"""Every port of the send service in memory, and the SendDeps over them."""

from __future__ import annotations

from dataclasses import dataclass, field

from winback.config.campaigns import Campaign
from winback.config.program import Program
from winback.models.profile import Profile
from winback.services.send.ports import ChannelSender, Pacer, SendDeps, Unpaced
from winback.services.send.sweep import SweepDeps
from winback_dev.memory.channels import NoRecommendations, RecordingChannel
from winback_dev.memory.claim_index import InMemoryClaimIndex
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
    claim_index: InMemoryClaimIndex = field(init=False)  # the sweeper's view of `messaging`

    def __post_init__(self) -> None:
        self.deferrals = InMemoryDeferrals(self.messaging)
        self.claim_index = InMemoryClaimIndex(self.messaging, self.deferrals)

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
            sleep=lambda _seconds: None,  # retries in memory do not wait
        )

    def sweep_deps(self, program: Program) -> SweepDeps:
        """What the sweeper runs with over this world: the claims, the records, the program's campaigns."""

        def campaign(campaign_id: str) -> Campaign | None:
            return next((c for c in program.campaigns if c.id == campaign_id), None)

        return SweepDeps(self.claim_index, self.deferrals, campaign)

    def sent(self, channel: str = "email") -> list[str]:
        return [m.user_id for m in self.channels[channel].sent]
