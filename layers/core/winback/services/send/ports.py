"""The send service's ports: what it needs from stores and channels (adapters implement them in
production, winback_dev.memory in memory for the tests and the simulator), and SendDeps, the set
`runtime/deps.py` builds. Every port speaks the models' vocabulary (winback.models)."""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from winback.domain.journey.pacing import SEND_NOW

if TYPE_CHECKING:
    from winback.config.incentives import Budget, OfferIncentive
    from winback.domain.audience.recommendations import Recommender
    from winback.domain.clock import Clock
    from winback.domain.journey.pacing import Pace
    from winback.domain.journey.quota_window import Lease
    from winback.models.bookkeeping import Bookkeeping
    from winback.models.catalog import CatalogItem
    from winback.models.coupons import IssuedCoupon
    from winback.models.delivery import SendLimits
    from winback.models.jobs import Recipient, SendJob
    from winback.models.outbound import Outbound
    from winback.models.send_context import ParkedJob, SendContext
    from winback.models.send_state import Claim, ClaimNote, ClaimRecord, OpenClaim, SendState


class ContextLoader(Protocol):
    """The job's users, their send states and answers, the campaign's pause, the pauses of
    `channels` (account-wide) and the coupons of `coupon_steps`: one batch read."""

    def load(self, job: SendJob, coupon_steps: Collection[int] = (), channels: Collection[str] = ()) -> SendContext: ...


class SendLedger(Protocol):
    """Claims: the ledger entry, the cap slots and the claim's note in one conditional write."""

    def claim(
        self,
        user_id: str,
        key: str,
        channel: str,
        state: SendState,
        live_slots: Mapping[str, int],
        now: datetime,
        note: ClaimNote,
        also: Mapping[str, Mapping[str, int]] | None = None,
    ) -> Claim: ...

    def read_state(self, user_id: str) -> SendState: ...

    def release(self, user_id: str, key: str, channel: str, also: Sequence[str] = ()) -> None: ...


class Suppressions(Protocol):
    def suppressed(self, addresses: Iterable[str]) -> set[str]: ...

    def suppress(self, address: str, reason: str, source: str, at: datetime) -> bool: ...


class Records(Protocol):
    """Bookkeeping (models/bookkeeping.py), written all or nothing: outcomes, their counters and the
    jobs they park (a parked job replaces an earlier one with the same key)."""

    def write(self, entry: Bookkeeping) -> frozenset[tuple[str, str]]:
        """Write `entry`; or, when some of its outcomes' claims already have a terminal record,
        write nothing and return their (user id, send key)."""
        ...


class ClaimIndex(Protocol):
    """The sweeper's view of the claims: send states by claim time, in shards, read from where the
    last run stopped (a cursor per shard); what is recorded about each claim; giving back a claim
    whose release failed."""

    shards: int

    def cursor(self, shard: int) -> float | None:
        """Where the last run stopped in `shard` (a claim time, epoch seconds), None: never run."""
        ...

    def save_cursor(self, shard: int, claimed_at: float) -> None: ...

    def claimed(self, shard: int, since: float, until: float) -> Iterator[list[tuple[float, list[OpenClaim]]]]:
        """Pages of send states claimed in [since, until] (by their latest claim), in claim-time
        order: each as its claim time and the claims its notes keep."""
        ...

    def records(self, claims: Sequence[OpenClaim]) -> dict[tuple[str, str], ClaimRecord]:
        """What is recorded about each claim (one batch read)."""
        ...

    def complete_release(self, claim: OpenClaim, resend: ParkedJob) -> bool:
        """Give back a claim whose `released` record says the send did not happen, drop the record
        and park the message to be sent again, all or nothing; False if the claim changed meanwhile."""
        ...


class Coupons(Protocol):
    def issue(
        self,
        user_id: str,
        campaign_id: str,
        step: int,
        episode: str,
        value_minor: int,
        currency: str,
        expires_at: datetime,
        budget: Budget | None,
        now: datetime,
        pointer_absent: bool = False,
    ) -> IssuedCoupon | None: ...

    def issued(self, user_id: str, campaign_id: str, step: int, episode: str) -> IssuedCoupon | None: ...

    def mark_announced(self, coupons: Sequence[IssuedCoupon]) -> None:
        """Record on each pointer that the coupon's CouponIssued reached the offers bus."""
        ...


class Offers(Protocol):
    def grant(
        self, user_id: str, campaign_id: str, step: int, episode: str, incentive: OfferIncentive, now: datetime
    ) -> bool: ...

    def announce_coupons(self, coupons: Sequence[IssuedCoupon], now: datetime) -> list[IssuedCoupon]:
        """CouponIssued for each coupon (up to 10 per PutEvents); the ones the bus accepted."""
        ...


class ChannelPauseWriter(Protocol):
    """Account-wide pauses per channel (adapters/channel_pause.py): set on an account-level answer."""

    def pause(self, channel: str, reason: str, now: datetime, until: datetime | None = None) -> None: ...


class Catalog(Protocol):
    """The product catalog: the items a job's recommendations name, in one batch read."""

    def get_many(self, item_ids: Iterable[str]) -> Mapping[str, CatalogItem]: ...


class ChannelSender(Protocol):
    """Every channel: the provider's message id, or Throttled / Rejected (AddressGone) / Uncertain /
    AccountPaused (winback.models.delivery says what each means)."""

    def send(self, message: Outbound) -> str: ...


class Pacer(Protocol):
    """ "May I send now?" (services/send/pacing.py's WorkerPacer, after domain/journey/pacing.next_send_at): SEND_NOW
    (after any short wait), or why ("rate", "quota") and until when the message waits ("defer"), or
    that it cannot go before the step's deadline `not_after` ("drop")."""

    def admit(self, channel: str, now: datetime, not_after: datetime | None) -> Pace: ...


class AccountLimits(Protocol):
    """The email provider account's limits, as last read (None: unknown, email goes unpaced)."""

    def limits(self) -> SendLimits | None: ...


class QuotaLeases(Protocol):
    """The email quota shared by every container (adapters/quota_lease.py): up to `want` sends for
    the current hour within `limit` sends in any 24 hours, by one atomic write."""

    def lease(self, want: int, limit: int, now: datetime) -> Lease: ...


class Unpaced:
    """No pacing: every message may go at once."""

    def admit(self, channel: str, now: datetime, not_after: datetime | None) -> Pace:
        return SEND_NOW


@dataclass(frozen=True)
class SendDeps:
    context: ContextLoader
    messaging: SendLedger
    suppression: Suppressions
    records: Records
    coupons: Coupons
    offers: Offers | None
    channels: Mapping[str, ChannelSender]
    recommender: Recommender
    unsubscribe_key: bytes
    public_base_url: str
    clock: Clock
    pacer: Pacer = Unpaced()  # noqa: RUF009 - stateless and frozen in use
    pauses: ChannelPauseWriter | None = None  # None: an account-level answer pauses nothing (it holds the message)
    catalog: Catalog | None = None  # None: recommendations show item ids only
    # What happened to each recipient, as it happens (a simulation follows every user with it).
    observe: Callable[[Recipient, str], None] | None = None
    # How the job waits between retries of a store write (services/send/retry.py).
    sleep: Callable[[float], None] = field(default=time.sleep)
