"""The one wiring root: what the handlers (and the dev tools) work with, built on first use.

`deps()` is the container's instance. Each store, channel and secret is built the first time a
handler touches it, so a handler builds only what it uses; the adapters are imported inside the
builders for the same reason (importing this module loads none of them, nor boto3 or jinja2).
`reset()` forgets everything a container keeps between invocations, as a cold start would.
"""

from __future__ import annotations

from functools import cache, cached_property
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from winback.adapters.activity_store import ActivityStore
    from winback.adapters.audience_sink import S3AudienceSink
    from winback.adapters.backfill_files import BackfillFiles
    from winback.adapters.backfill_store import BackfillStore
    from winback.adapters.catalog_store import CatalogStore
    from winback.adapters.channel_pause import ChannelPauses
    from winback.adapters.channels import EmailChannel, PushChannel, SmsChannel
    from winback.adapters.claim_index import ClaimIndexStore
    from winback.adapters.coupon_store import CouponStore
    from winback.adapters.deferral_store import DeferralStore
    from winback.adapters.erasure_runs import ErasureRuns
    from winback.adapters.inbox_store import InboxChannel, InboxStore
    from winback.adapters.messaging_store import MessagingStore
    from winback.adapters.offer_bus import OfferBus
    from winback.adapters.population_stats_store import PopulationStatsStore
    from winback.adapters.reason_store import ReasonStore
    from winback.adapters.send_context import SendContextLoader
    from winback.adapters.send_records import SendRecords
    from winback.adapters.suppression_store import SuppressionStore
    from winback.adapters.user_records import UserRecords
    from winback.config.program import Program
    from winback.config.settings import Settings
    from winback.domain.audience.recommendations import Recommender
    from winback.domain.clock import Clock
    from winback.runtime.idempotency import ApplyWebhook
    from winback.runtime.program_source import ProgramSource
    from winback.services.scan.job import Segmenter
    from winback.services.scan.scan_models import ScanModels
    from winback.services.send.pacing import WorkerPacer
    from winback.services.send.ports import ChannelSender, SendDeps

AUDIENCE_PREFIX = "audiences"
# What is built from the program, forgotten when a container starts using another version (pacer:
# only if the version paces differently, since it remembers this worker's last sends).
PROGRAM_DERIVED = ("inbox_channel", "channels", "recommender", "send_deps", "pacer")


class Deps:
    """Settings, program, clock, stores, channels and secrets; `settings` and `program` may be given
    (a tool pointing at other tables or another program), everything else is built from them."""

    def __init__(self, settings: Settings | None = None, program: Program | None = None) -> None:
        self._settings = settings
        self._program = program
        self._built_from: Program | None = None

    def built(self) -> frozenset[str]:
        """The names of what has been built so far (a cached_property keeps its value in the instance)."""
        return frozenset(name for name in vars(self) if not name.startswith("_"))

    # --- configuration and time ------------------------------------------------------------------
    @cached_property
    def settings(self) -> Settings:
        from winback.config.settings import get_settings

        return self._settings or get_settings()

    @cached_property
    def program_source(self) -> ProgramSource:
        """The published version (PROGRAM_BUCKET), or the file (WINBACK_PROGRAM_PATH, the layer's)."""
        from winback.runtime.program_source import ProgramSource

        s = self.settings
        bundles = None
        if s.program_bucket and not s.program_path:
            from winback.adapters.program_bundles import ProgramBundles

            bundles = ProgramBundles(s.program_bucket)
        return ProgramSource(bundles, s.program_path, Path(s.program_cache_dir))

    @property
    def program(self) -> Program:
        """The program in use: re-checked at most once a minute, so a run takes it once, at its start."""
        if self._program is not None:
            return self._program
        program = self.program_source.current()
        if self._built_from is not program:
            self._forget_derived(program)
        return program

    def _forget_derived(self, program: Program) -> None:
        """Forget what was built from another program version; it is built again from `program` on use."""
        before = self._built_from
        self._built_from = program
        if before is None or before.version == program.version:
            return
        for name in PROGRAM_DERIVED:
            if name != "pacer" or before.pacing != program.pacing:
                self.__dict__.pop(name, None)

    @cached_property
    def clock(self) -> Clock:
        from winback.domain.clock import SystemClock

        return SystemClock()

    # --- stores ------------------------------------------------------------------------------------
    @cached_property
    def activity(self) -> ActivityStore:
        from winback.adapters.activity_store import ActivityStore

        s = self.settings
        return ActivityStore(s.activity_table, s.messaging_table, s.profile_ttl_days)

    @cached_property
    def messaging(self) -> MessagingStore:
        from winback.adapters.messaging_store import MessagingStore

        return MessagingStore(self.settings.messaging_table)

    @cached_property
    def suppression(self) -> SuppressionStore:
        from winback.adapters.suppression_store import SuppressionStore

        return SuppressionStore(self.settings.suppression_table, self.settings.suppression_plain_lookup)

    @cached_property
    def deferrals(self) -> DeferralStore:
        from winback.adapters.deferral_store import DeferralStore

        return DeferralStore(self.settings.deferral_table)

    @cached_property
    def coupons(self) -> CouponStore:
        from winback.adapters.coupon_store import CouponStore

        return CouponStore(self.settings.incentive_table)

    @cached_property
    def reasons(self) -> ReasonStore:
        from winback.adapters.reason_store import ReasonStore

        return ReasonStore(self.settings.messaging_table)

    @cached_property
    def inbox(self) -> InboxStore:
        from winback.adapters.inbox_store import InboxStore

        return InboxStore(self.settings.messaging_table)

    @cached_property
    def population_stats(self) -> PopulationStatsStore:
        from winback.adapters.population_stats_store import PopulationStatsStore

        return PopulationStatsStore(self.settings.messaging_table)

    @cached_property
    def offers(self) -> OfferBus | None:
        """None where the stack has no offers bus (offer incentives then fall back)."""
        from winback.adapters.offer_bus import OfferBus

        s = self.settings
        return OfferBus(s.offers_bus_name, s.incentive_table) if s.offers_bus_name else None

    @cached_property
    def audience_sink(self) -> S3AudienceSink:
        from winback.adapters.audience_sink import S3AudienceSink

        if not self.settings.audience_bucket:
            raise RuntimeError("AUDIENCE_BUCKET is not set")
        return S3AudienceSink(self.settings.audience_bucket, AUDIENCE_PREFIX)

    @cached_property
    def user_records(self) -> UserRecords:
        from winback.adapters.user_records import UserRecords

        s = self.settings
        return UserRecords(
            s.activity_table,
            s.messaging_table,
            s.incentive_table,
            s.deferral_table,
            s.audience_bucket,
            AUDIENCE_PREFIX,
            s.backfill_bucket,
        )

    @cached_property
    def erasure_runs(self) -> ErasureRuns:
        from winback.adapters.erasure_runs import ErasureRuns

        return ErasureRuns(self.settings.erasure_state_machine_arn)

    @cached_property
    def catalog(self) -> CatalogStore:
        from winback.adapters.catalog_store import CatalogStore

        return CatalogStore(self.settings.messaging_table)

    @cached_property
    def backfill_store(self) -> BackfillStore:
        from winback.adapters.backfill_store import BackfillStore

        return BackfillStore(self.settings.activity_table, self.settings.messaging_table)

    @cached_property
    def backfill_files(self) -> BackfillFiles:
        from winback.adapters.backfill_files import BackfillFiles

        if not self.settings.backfill_bucket:
            raise RuntimeError("BACKFILL_BUCKET is not set")
        return BackfillFiles(self.settings.backfill_bucket)

    # --- channels ----------------------------------------------------------------------------------
    @cached_property
    def email_channel(self) -> EmailChannel:
        from winback.adapters.channels import EmailChannel

        return EmailChannel(self.settings.sender_email, self.settings.ses_configuration_set)

    @cached_property
    def sms_channel(self) -> SmsChannel:
        from winback.adapters.channels import SmsChannel

        return SmsChannel()

    @cached_property
    def push_channel(self) -> PushChannel:
        from winback.adapters.channels import PushChannel

        return PushChannel()

    @cached_property
    def inbox_channel(self) -> InboxChannel:
        from winback.adapters.inbox_store import InboxChannel

        return InboxChannel(self.inbox, self.clock, self.program.inbox.ttl_days)

    @cached_property
    def pacer(self) -> WorkerPacer:
        """The container's pacer: it remembers this worker's last sends and the SES account's limits."""
        from winback.adapters.provider_account import EmailAccount
        from winback.adapters.quota_lease import QuotaLeaseStore
        from winback.services.send.pacing import WorkerPacer

        leases = QuotaLeaseStore(self.settings.messaging_table)  # the quota, shared by every container
        return WorkerPacer(EmailAccount(), self.program.pacing, self.settings.send_max_concurrency, leases=leases)

    @cached_property
    def channels(self) -> dict[str, ChannelSender]:
        """Channel name → channel: every one has the same `send(message)`."""
        return {
            "email": self.email_channel,
            "sms": self.sms_channel,
            "push": self.push_channel,
            "inbox": self.inbox_channel,
        }

    @cached_property
    def send_context(self) -> SendContextLoader:
        from winback.adapters.send_context import SendContextLoader

        s = self.settings
        return SendContextLoader(s.activity_table, s.messaging_table, s.incentive_table, self.clock)

    @cached_property
    def send_records(self) -> SendRecords:
        from winback.adapters.send_records import SendRecords

        return SendRecords(self.settings.messaging_table, self.deferrals)

    @cached_property
    def claim_index(self) -> ClaimIndexStore:
        from winback.adapters.claim_index import ClaimIndexStore

        return ClaimIndexStore(self.settings.messaging_table, self.deferrals)

    @cached_property
    def channel_pauses(self) -> ChannelPauses:
        from winback.adapters.channel_pause import ChannelPauses

        return ChannelPauses(self.settings.messaging_table)

    # --- secrets -----------------------------------------------------------------------------------
    # Not kept here: read through Powertools Parameters on each use, which caches them for 5 minutes,
    # so a rotated secret is picked up without a cold start.
    # A secret may hold its current and previous values (domain/links/keyring.py): signing uses the
    # current one, verifying accepts both, so a rotation breaks no webhook and no link.
    @property
    def webhook_secrets(self) -> tuple[str, ...]:
        from winback.adapters.secrets import get_secret_text
        from winback.domain.links.keyring import parse_secret

        return parse_secret(get_secret_text(self.settings.webhook_secret_name)).all

    @property
    def webhook_secret(self) -> str:
        return self.webhook_secrets[0]

    @property
    def unsubscribe_keys(self) -> tuple[bytes, ...]:
        from winback.adapters.secrets import get_secret_text
        from winback.domain.links.keyring import parse_secret

        return tuple(k.encode() for k in parse_secret(get_secret_text(self.settings.unsubscribe_secret_name)).all)

    @property
    def segment_secrets(self) -> tuple[str, ...]:
        """The shared secret of POST /events/segment, current then previous values (none where none
        is configured: everything is rejected)."""
        from winback.adapters.secrets import get_secret_text
        from winback.domain.links.keyring import parse_secret

        name = self.settings.segment_secret_name
        return tuple(s.strip() for s in parse_secret(get_secret_text(name)).all) if name else ()

    @property
    def unsubscribe_key(self) -> bytes:
        return self.unsubscribe_keys[0]

    # --- what a use case needs, assembled ----------------------------------------------------------
    @cached_property
    def recommender(self) -> Recommender:
        """Popularity comes from the daily stats step; a container reads it once (it changes daily)."""
        from winback.adapters.personalize_recommender import recommender_for

        return recommender_for(self.program.recommendations, self.population_stats.load())

    @cached_property
    def send_deps(self) -> SendDeps:
        from winback.services.send.ports import SendDeps

        return SendDeps(
            context=self.send_context,
            messaging=self.messaging,
            suppression=self.suppression,
            records=self.send_records,
            coupons=self.coupons,
            offers=self.offers,
            channels=self.channels,
            recommender=self.recommender,
            unsubscribe_key=self.unsubscribe_key,
            public_base_url=self.settings.public_base_url,
            clock=self.clock,
            catalog=self.catalog,
            pacer=self.pacer,
            pauses=self.channel_pauses,
        )

    @cached_property
    def apply_webhook(self) -> ApplyWebhook:
        """Apply a webhook's events once per webhook id (a retried request gets the first result)."""
        from winback.runtime.idempotency import idempotent_apply
        from winback.services.ingest.live import ingest_events

        activity, messaging, coupons, clock = self.activity, self.messaging, self.coupons, self.clock
        catalog = self.catalog
        return idempotent_apply(
            self.settings.idempotency_table,
            # The program is taken per request (a published version applies without a cold start).
            lambda events, webhook_id: ingest_events(
                events, webhook_id, activity, messaging, coupons, self.program, clock.now(), catalog=catalog
            ),
        )

    def scan_segmenter(self) -> Segmenter:
        """RFM groups scored against today's population cut points. Built for each job, not cached: a
        container lives across daily runs, and each run must score against that day's stats."""
        from winback.domain.audience.segmentation import RfmSegmenter

        return RfmSegmenter(self.program, self.population_stats.load())

    def scan_models(self) -> ScanModels:
        """The segmenter, scorer, incentive skips and adaptive splits the scan decides with: from one
        read of the day's stats (for each job)."""
        from winback.services.scan.scan_models import ScanModels

        return ScanModels.of(self.program, self.population_stats.load())


@cache
def deps() -> Deps:
    """This container's dependencies (one instance until `reset`)."""
    return Deps()


def reset() -> None:
    """Forget what a container keeps between invocations: the wiring, the settings, the program (and
    the template tree a published version rendered from), the boto3 clients and Powertools' secrets
    (cached values and providers). Tests that move the environment or restart moto, and benchmarks
    that want a cold start, call this."""
    from aws_lambda_powertools.utilities import parameters
    from aws_lambda_powertools.utilities.parameters.constants import DEFAULT_PROVIDERS

    from winback.adapters import clients
    from winback.config.loader import load_program
    from winback.config.settings import get_settings
    from winback.content.locales import SHIPPED_TEMPLATE_ROOT
    from winback.content.rendering import use_templates

    deps.cache_clear()
    get_settings.cache_clear()
    load_program.cache_clear()
    use_templates(SHIPPED_TEMPLATE_ROOT)
    clients.reset()
    parameters.clear_caches()  # type: ignore[no-untyped-call]
    DEFAULT_PROVIDERS.clear()
