"""`winback simulate`: the real scan and send services over in-memory stores, a simulated clock, a
provider with a send rate and a daily quota, and injected faults; figures that show whether the
send path's promises hold at volume (no duplicate, nothing lost, the rate kept, no DLQ).

What is modelled, and how:
- users are generated from the seed, one at a time, when a scan page or a send job reads them (no
  profile is kept); per user the simulation keeps a few bytes (status, deliveries) and, once
  claimed, a compact send state;
- the queue is SQS-like: a message that fails is received again after its visibility timeout and
  goes to the DLQ after MAX_RECEIVES; parked jobs are released when due; later journey steps are
  parked and counted, not run (the figures are about the first message of each journey);
- one account-wide provider for every channel: `max_rate` sends per second, `quota` per 24 hours;
  the sender paces itself with winback.domain.journey.pacing (the "may I send now?" hook);
- faults, each at its rate per provider call: a 5xx after the message was accepted, a read
  timeout (accepted or not), a throttle (not accepted); per job: the process killed before one of
  its provider calls, the message delivered twice (a duplicate) or again later (a redelivery);
  once: the account paused for a simulated hour (the channel pause holds every job meanwhile);
- the sweeper runs every simulated 15 minutes and records claims left without an outcome uncertain.
"""

from __future__ import annotations

import bisect
import heapq
import json
import math
import random
import time
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from winback.adapters.activity_store import ScanPage
from winback.adapters.channels import Throttled, Uncertain
from winback.adapters.coupon_store import IssuedCoupon
from winback.adapters.messaging_store import Claim, MessagingStore, OpenClaim, SendState
from winback.config.incentives import Budget, OfferIncentive
from winback.config.loader import load_program
from winback.config.program import Program
from winback.config.settings import Settings
from winback.domain.audience.recommendations import Recommendation
from winback.domain.audience.segmentation import RfmSegmenter
from winback.domain.journey.pacing import SEND_NOW, Pace, next_send_at
from winback.models.jobs import Recipient, ScanJob, SendJob
from winback.models.outbound import Outbound
from winback.models.profile import Assignment, Journeys, Profile
from winback.models.send_context import ParkedJob, SendContext
from winback.runtime.observability import logger
from winback.services.scan.job import ScanPorts, scan_segment
from winback.services.send import SendDeps, SendThrottled, send_job
from winback.services.sweep import GRACE, sweep_claims

START = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)
MAX_RECEIVES = 5
VISIBILITY = timedelta(seconds=60)
SWEEP_EVERY = timedelta(minutes=15)
PAUSE_FOR = timedelta(hours=1)
MAX_WAIT = timedelta(seconds=1)  # the longest gap the sender waits out in place
ITEMS_PER_SEGMENT = 20_000
ZONES = ("America/New_York", "Europe/Berlin", "Asia/Shanghai", "America/Los_Angeles", "UTC")
TERMINAL = ("sent", "failed", "uncertain", "dropped", "suppressed", "no_channel", "journey_stopped", "active_again")
STATUS = {name: i + 1 for i, name in enumerate(TERMINAL)}
RESOLVED = {STATUS["sent"], STATUS["failed"], STATUS["uncertain"]}


@dataclass(frozen=True)
class Faults:
    accepted_5xx: float = 0.001
    timeout: float = 0.001
    throttle: float = 0.002
    kill: float = 0.01  # per job
    duplicate: float = 0.01  # per job
    redelivery: float = 0.01  # per job
    pause: bool = True

    @classmethod
    def none(cls) -> Faults:
        return cls(0, 0, 0, 0, 0, 0, False)


@dataclass
class Figures:
    users: int = 0
    eligible: int = 0
    sent: int = 0
    duplicates: int = 0
    lost: int = 0
    uncertain: int = 0
    failed: int = 0
    dropped: int = 0
    unaccounted: int = 0
    deferred_by_rate: int = 0  # held for the provider's quota (or rate) by the pacer
    rate_waits: int = 0  # the sender waited out a gap (1 / max_rate) before a send
    channel_paused: int = 0
    peak_send_rate: int = 0
    max_send_rate: int = 0
    quota: int = 0
    days_to_drain: float = 0.0
    dlq: int = 0
    kills: int = 0
    throttles: int = 0
    duplicated_messages: int = 0
    redelivered_messages: int = 0
    next_steps_parked: int = 0
    job_errors: dict[str, int] = field(default_factory=dict)
    wall_s: float = 0.0


def _index(user_id: str) -> int:
    return int(user_id[1:])


class Clock:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def now(self) -> datetime:
        return self.at


class Population:
    """Users generated from the seed: `u<i>` is the same user whenever it is read."""

    def __init__(self, users: int, seed: int) -> None:
        self.users = users
        self.seed = seed

    def profile(self, i: int) -> Profile:
        rng = random.Random(self.seed * 1_000_003 + i)
        last_order = START - timedelta(days=rng.uniform(0, 400), seconds=rng.randrange(86_400))
        consent = {"email": rng.random() < 0.9, "sms": rng.random() < 0.3, "push": rng.random() < 0.2}
        return Profile(
            user_id=f"u{i}",
            version=1,
            first_seen_at=last_order - timedelta(days=rng.uniform(0, 700)),
            last_seen_at=last_order,
            last_event_at={"order": last_order},
            event_counts={"order": 1 + rng.randrange(12), "login": rng.randrange(2)},
            orders=1 + rng.randrange(12),
            spend_minor={"USD": rng.randrange(1_000, 200_000)},
            email=f"u{i}@mail.example.com",
            phone=f"+1415{i % 10_000_000:07d}" if consent["sms"] else None,
            push_endpoint=f"arn:aws:sns:us-east-1:1:endpoint/GCM/app/{i}" if consent["push"] else None,
            locale="zh-CN" if rng.random() < 0.2 else "en",
            time_zone=ZONES[rng.randrange(len(ZONES))],
            consent=consent,
        )


class Activity:
    """ActivityTable for the scan: pages generated on the fly; tier marks always succeed (one run)."""

    def __init__(self, population: Population) -> None:
        self.population = population

    def scan_page(self, segment: int, total_segments: int, start_key: dict[str, Any] | None, limit: int) -> ScanPage:
        size = math.ceil(self.population.users / total_segments)
        first = segment * size if start_key is None else int(start_key["i"])
        end = min((segment + 1) * size, self.population.users)
        last = min(first + limit, end)
        profiles = [self.population.profile(i) for i in range(first, last)]
        return ScanPage(profiles=profiles, next_key={"i": last} if last < end else None)

    def mark_tier(
        self,
        user_id: str,
        tier: str,
        at: datetime,
        version: int,
        assignment: Assignment | None,
        journeys: Journeys,
    ) -> bool:
        return True


class Messaging:
    """MessagingTable in a few bytes per user: compact send states, an outcome status per user (the
    first step only runs), claims in time order for the sweeper, counters."""

    def __init__(self, users: int) -> None:
        self.states: dict[int, tuple[Any, ...]] = {}
        self.outcome = bytearray(users)
        self.claim_log: list[tuple[float, int, str]] = []
        self.cells: Counter[str] = Counter()

    def _state(self, i: int) -> SendState:
        packed = self.states.get(i)
        if packed is None:
            return SendState()
        version, ledger, caps, cells = packed
        return SendState(version, dict(ledger), {s: dict(v) for s, v in caps}, dict(cells))

    def claim(
        self,
        user_id: str,
        key: str,
        channel: str,
        state: SendState,
        live_slots: Mapping[str, int],
        now: datetime,
        cell: tuple[str, str] = ("-", "-"),
        also: Mapping[str, Mapping[str, int]] | None = None,
    ) -> Claim:
        i = _index(user_id)
        if self._state(i).version != state.version:
            return Claim.STATE_CHANGED
        at = int(now.timestamp())
        caps = {**state.caps, channel: {**live_slots, key: at}} | {s: {**v, key: at} for s, v in (also or {}).items()}
        self.states[i] = (
            state.version + 1,
            tuple({**state.ledger, key: at}.items()),
            tuple((s, tuple(v.items())) for s, v in caps.items()),
            tuple({**state.cells, key: "|".join(cell)}.items()),
        )
        self.claim_log.append((now.timestamp(), i, key))
        return Claim.CLAIMED

    def read_state(self, user_id: str) -> SendState:
        return self._state(_index(user_id))

    def release(self, user_id: str, key: str, channel: str, also: Sequence[str] = ()) -> None:
        i = _index(user_id)
        state = self._state(i)
        state.ledger.pop(key, None)
        for scope in (channel, *also):
            state.caps.get(scope, {}).pop(key, None)
        state.cells.pop(key, None)
        self.states[i] = (
            state.version + 1,
            tuple(state.ledger.items()),
            tuple((s, tuple(v.items())) for s, v in state.caps.items()),
            tuple(state.cells.items()),
        )

    def record(self, outcomes: Iterable[Mapping[str, Any]]) -> None:
        for item in outcomes:
            if not str(item["sk"]).startswith("msg#"):
                continue  # not an outcome: a sent text's `smsid#` lookup, written in the same batch
            self.outcome[_index(str(item["pk"]).removeprefix("user#"))] = STATUS[str(item["status"])]

    def add_cell(self, campaign_id: str, step: int | None, arm: str, segment: str, counts: Mapping[str, int]) -> None:
        self.cells.update(counts)

    def add_totals(self, campaign_id: str, counts: Mapping[str, int]) -> dict[str, int]:
        return dict(counts)

    def put_scan_figures(self, run_id: str, segment: int, first_page: int, counts: Mapping[str, int]) -> None:
        pass

    # --- the sweeper's part ----------------------------------------------------------------------
    def claims_between(self, since: datetime, until: datetime) -> Iterator[OpenClaim]:
        lo = bisect.bisect_left(self.claim_log, (since.timestamp(), -1, ""))
        hi = bisect.bisect_right(self.claim_log, (until.timestamp(), len(self.outcome), "~"))
        for at, i, key in self.claim_log[lo:hi]:
            if key in self._state(i).ledger:
                yield OpenClaim(f"u{i}", key, int(at), "-", "-")

    def outcomes_known(self, claims: Iterable[OpenClaim]) -> set[tuple[str, str]]:
        return {(c.user_id, c.key) for c in claims if self.outcome[_index(c.user_id)]}

    def record_uncertain(self, claim: OpenClaim, now: datetime) -> bool:
        i = _index(claim.user_id)
        if self.outcome[i]:
            return False
        self.outcome[i] = STATUS["uncertain"]
        return True


class NoSuppressions:
    def suppressed(self, addresses: Iterable[str]) -> set[str]:
        return set()

    def suppress(self, address: str, reason: str, source: str, at: datetime) -> bool:
        return True


class Coupons:
    def __init__(self) -> None:
        self.issued_coupons: dict[tuple[str, str, int, str], IssuedCoupon] = {}
        self.count: Counter[str] = Counter()

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
    ) -> IssuedCoupon | None:
        key = (user_id, campaign_id, step, episode)
        if key in self.issued_coupons:
            return self.issued_coupons[key]
        if budget is not None and self.count[campaign_id] >= budget.max_count:
            return None
        self.count[campaign_id] += 1
        coupon = IssuedCoupon(f"WB{len(self.issued_coupons):010d}", *key, value_minor, currency, expires_at)
        self.issued_coupons[key] = coupon
        return coupon

    def issued(self, user_id: str, campaign_id: str, step: int, episode: str) -> IssuedCoupon | None:
        return self.issued_coupons.get((user_id, campaign_id, step, episode))

    def mark_announced(self, coupons: Sequence[IssuedCoupon]) -> None:
        for c in coupons:
            key = (c.user_id, c.campaign_id, c.step, c.episode)
            self.issued_coupons[key] = replace(self.issued_coupons[key], announced=True)


class Offers:
    def grant(
        self, user_id: str, campaign_id: str, step: int, episode: str, incentive: OfferIncentive, now: datetime
    ) -> bool:
        return True

    def announce_coupons(self, coupons: Sequence[IssuedCoupon], now: datetime) -> list[IssuedCoupon]:
        return list(coupons)


class NoRecommendations:
    def recommend(self, profile: Profile, count: int) -> list[Recommendation]:
        return []


class Killed(BaseException):
    """The process dies (a Lambda timeout, out of memory): no handler in the service runs."""


class AccountPaused(Throttled):
    pass


@dataclass
class Provider:
    """One account for every channel: a rate, a 24-hour quota, deliveries per user, faults."""

    users: int
    max_rate: int
    quota: int
    faults: Faults
    rng: random.Random
    clock: Clock
    latency: timedelta
    delivered: bytearray = field(init=False)
    this_second: int = 0
    second: int = 0
    quota_used: int = 0
    quota_resets: datetime = START + timedelta(days=1)
    peak: int = 0
    last_send: datetime = START
    last_admit: datetime | None = None  # when the pacer last let a send go
    kill_in: int | None = None  # provider calls until the process dies (per job)
    pause_at: datetime | None = None
    pause_until: datetime | None = None
    throttles: int = 0
    rate_waits: int = 0

    def __post_init__(self) -> None:
        self.delivered = bytearray(self.users)

    def admit(self, channel: str, now: datetime, not_after: datetime | None) -> Pace:
        """The sender's "may I send now?" (ports.Pacer), from what the provider reports (GetAccount),
        by domain/journey/pacing's rule: sends spaced 1 / max_rate apart (a short gap is waited out:
        the sender sleeps, the clock moves); a spent quota defers the message to the quota's reset."""
        self._roll(now)
        pace = next_send_at(
            now=now,
            per_second=self.max_rate,
            since_last_send=None if self.last_admit is None else now - self.last_admit,
            quota_left=self.quota - self.quota_used,
            window_ends_at=self.quota_resets,
            not_after=not_after,
            max_wait=MAX_WAIT,
        )
        if pace.action in ("defer", "drop"):
            return pace
        if pace.action == "wait":
            self.clock.at = now + pace.wait
            self._roll(self.clock.at)
            self.rate_waits += 1
        self.last_admit = self.clock.at
        return SEND_NOW

    def _roll(self, now: datetime) -> None:
        if int(now.timestamp()) != self.second:
            self.second, self.this_second = int(now.timestamp()), 0
        while now >= self.quota_resets:
            self.quota_resets += timedelta(days=1)
            self.quota_used = 0

    def send(self, message: Outbound) -> str:
        if self.kill_in is not None:
            self.kill_in -= 1
            if self.kill_in < 0:
                self.kill_in = None
                raise Killed
        now = self.clock.now()
        if self.pause_at is not None and self.pause_at <= now:
            self.pause_until, self.pause_at = now + PAUSE_FOR, None
        if self.pause_until is not None and now < self.pause_until:
            raise AccountPaused("SendingPausedException")
        self._roll(now)
        if self.this_second >= self.max_rate or self.quota_used >= self.quota:
            self.throttles += 1
            raise Throttled("TooManyRequestsException")  # a sender that did not pace itself
        roll = self.rng.random()
        if roll < self.faults.throttle:
            self.throttles += 1
            raise Throttled("TooManyRequestsException")
        self.clock.at += self.latency
        self._accept(message)
        if roll < self.faults.throttle + self.faults.accepted_5xx:
            raise Uncertain("InternalFailure")  # accepted, then the answer was a 5xx
        if roll < self.faults.throttle + self.faults.accepted_5xx + self.faults.timeout:
            raise Uncertain("ReadTimeoutError")
        return f"m-{message.user_id}"

    def _accept(self, message: Outbound) -> None:
        i = _index(message.user_id)
        self.delivered[i] = min(255, self.delivered[i] + 1)
        self.this_second += 1
        self.quota_used += 1
        self.peak = max(self.peak, self.this_second)
        self.last_send = self.clock.now()


@dataclass(order=True)
class _Message:
    visible_at: float
    seq: int
    body: str = field(compare=False)
    receives: int = field(compare=False, default=0)


class Queue:
    """SendQueue: messages become visible at a time; the earliest visible is received first."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.heap: list[_Message] = []
        self.seq = 0

    def enqueue(self, url: str, bodies: Sequence[str]) -> None:
        for body in bodies:
            self.push(body, self.clock.now())

    def push(self, body: str, at: datetime, receives: int = 0) -> None:
        self.seq += 1
        heapq.heappush(self.heap, _Message(at.timestamp(), self.seq, body, receives))

    def head(self) -> float | None:
        return self.heap[0].visible_at if self.heap else None

    def pop(self) -> _Message:
        return heapq.heappop(self.heap)


class Parking:
    """DeferralTable and the Records port: outcomes to `messaging`; parked jobs released when due;
    next steps counted, not run."""

    def __init__(self, messaging: Messaging) -> None:
        self.messaging = messaging
        self.jobs: dict[str, ParkedJob] = {}
        self.due: list[tuple[float, str]] = []
        self.next_steps = 0

    def write(self, outcomes: Sequence[Mapping[str, Any]], parked: Sequence[ParkedJob]) -> None:
        self.messaging.record(outcomes)
        for job in parked:
            if job.kind == "next_step":
                self.next_steps += job.body.count('"user_id"')
                continue
            self.jobs[job.key] = job
            heapq.heappush(self.due, (job.due.timestamp(), job.key))

    def next_due(self) -> float | None:
        while self.due and (
            self.due[0][1] not in self.jobs or self.jobs[self.due[0][1]].due.timestamp() != self.due[0][0]
        ):
            heapq.heappop(self.due)
        return self.due[0][0] if self.due else None

    def take(self, now: datetime) -> list[str]:
        bodies = []
        while (at := self.next_due()) is not None and at <= now.timestamp():
            _, key = heapq.heappop(self.due)
            bodies.append(self.jobs.pop(key).body)
        return bodies


class Context:
    """The job's context from the generated population and the compact stores."""

    def __init__(self, population: Population, messaging: Messaging, coupons: Coupons, paused: set[str]) -> None:
        self.population, self.messaging, self.coupons, self.paused = population, messaging, coupons, paused

    def load(self, job: SendJob, coupon_steps: Collection[int] = (), channels: Collection[str] = ()) -> SendContext:
        coupons: dict[str, dict[int, IssuedCoupon]] = {}
        for r in job.recipients:
            for step in coupon_steps:
                if (found := self.coupons.issued(r.user_id, job.campaign_id, step, r.episode)) is not None:
                    coupons.setdefault(r.user_id, {})[step] = found
        return SendContext(
            profiles={r.user_id: self.population.profile(_index(r.user_id)) for r in job.recipients},
            states={r.user_id: self.messaging.read_state(r.user_id) for r in job.recipients},
            paused_channels=frozenset(self.paused),
            coupons=coupons,
            coupon_steps_read=frozenset(coupon_steps),
        )


@dataclass
class _ScanPorts:
    settings: Settings
    program: Program
    activity: Activity
    messaging: Messaging
    suppression: NoSuppressions


def simulate(
    users: int = 100_000,
    seed: int = 1,
    max_rate: int = 14,
    quota: int = 50_000,
    faults: Faults | None = None,
    program: Program | None = None,
    progress: Callable[[str], None] | None = None,
    debug: dict[str, Any] | None = None,
) -> Figures:
    started = time.perf_counter()
    logger.setLevel("ERROR")  # a million users' INFO lines would be the run
    faults = Faults() if faults is None else faults
    program = program or load_program()
    rng = random.Random(seed)
    clock = Clock(START)
    population = Population(users, seed)
    messaging = Messaging(users)
    coupons = Coupons()
    parking = Parking(messaging)
    paused: set[str] = set()
    provider = Provider(users, max_rate, quota, faults, rng, clock, timedelta(seconds=1 / (2 * max_rate)))
    if faults.pause:
        provider.pause_at = START + timedelta(hours=rng.uniform(1, 6))
    status = bytearray(users)
    counts: Counter[str] = Counter()

    def observe(recipient: Recipient, name: str) -> None:
        if name in STATUS:
            status[_index(recipient.user_id)] = STATUS[name]
        elif name in ("deferred_by_rate", "deferred_by_quota", "channel_paused"):
            counts[name] += 1

    deps = SendDeps(
        context=Context(population, messaging, coupons, paused),
        messaging=messaging,
        suppression=NoSuppressions(),
        records=parking,
        coupons=coupons,
        offers=Offers(),
        channels=dict.fromkeys(("email", "sms", "push", "inbox"), provider),
        recommender=NoRecommendations(),
        unsubscribe_key=b"s" * 32,
        public_base_url="https://api.example.com",
        clock=clock,
        pacer=provider,
        observe=observe,
    )

    # --- plan and scan: every segment at the start, as the plan's scan jobs would -----------------
    queue = Queue(clock)

    settings = Settings.model_validate(
        {"ACTIVITY_TABLE": "a", "SUPPRESSION_TABLE": "s", "MESSAGING_TABLE": "m", "SEND_QUEUE_URL": "send"}
    )
    ports = _ScanPorts(settings, program, Activity(population), messaging, NoSuppressions())
    segments = max(1, math.ceil(users / ITEMS_PER_SEGMENT))
    segmenter = RfmSegmenter(program, None)
    eligible = 0
    for segment in range(segments):
        job = ScanJob(run_id="sim", as_of=START, segment=segment, total_segments=segments)
        result = scan_segment(job, cast("ScanPorts", ports), segmenter, lambda: 900_000, queue.enqueue)
        eligible += result.tally["targeted"]

    # --- the send queue, the release schedule and the sweeper, on the simulated clock --------------
    figures = Figures(users=users, eligible=eligible, max_send_rate=max_rate, quota=quota)
    next_sweep = START + SWEEP_EVERY
    while True:
        due = parking.next_due()
        head = queue.head()
        if head is None and due is None:
            break
        if due is not None and (head is None or due <= head):
            clock.at = max(clock.at, datetime.fromtimestamp(due, UTC))
            queue.enqueue("send", parking.take(clock.now()))
            continue
        message = queue.pop()
        clock.at = max(clock.at, datetime.fromtimestamp(message.visible_at, UTC))
        while clock.at >= next_sweep:
            sweep_claims(cast("MessagingStore", messaging), next_sweep)
            next_sweep += SWEEP_EVERY
        if provider.pause_until is not None and clock.at >= provider.pause_until:
            paused.discard("email")  # the operator's `winback resume --channel` once the account is back
            for channel in ("sms", "push", "inbox"):
                paused.discard(channel)
            provider.pause_until = None
        message.receives += 1
        _process(message, program, deps, provider, rng, faults, figures, paused, queue)
        if progress is not None and queue.seq % 10_000 == 0:
            progress(f"{clock.at.isoformat()} queue={len(queue.heap)} parked={len(parking.jobs)}")

    sweep_claims(cast("MessagingStore", messaging), clock.now() + GRACE + timedelta(minutes=1))
    claimed = {i for _, i, key in messaging.claim_log if key in messaging._state(i).ledger}
    figures.sent = sum(1 for i in claimed if messaging.outcome[i] == STATUS["sent"])
    figures.uncertain = sum(1 for i in claimed if messaging.outcome[i] == STATUS["uncertain"])
    figures.failed = sum(1 for i in claimed if messaging.outcome[i] == STATUS["failed"])
    figures.lost = sum(1 for i in claimed if not messaging.outcome[i])
    figures.duplicates = sum(d - 1 for d in provider.delivered if d > 1)
    figures.dropped = status.count(STATUS["dropped"])
    terminal = {STATUS[n] for n in TERMINAL}
    accounted = sum(1 for i in range(users) if messaging.outcome[i] or status[i] in terminal)
    figures.unaccounted = eligible - accounted
    if debug is not None:
        debug["open_statuses"] = Counter(
            status[i] for i in range(users) if not messaging.outcome[i] and status[i] not in terminal
        )
    figures.deferred_by_rate = counts["deferred_by_rate"] + counts["deferred_by_quota"]
    figures.channel_paused = counts["channel_paused"]
    figures.peak_send_rate = provider.peak
    figures.days_to_drain = round((provider.last_send - START).total_seconds() / 86_400, 3)
    figures.throttles = provider.throttles
    figures.rate_waits = provider.rate_waits
    figures.next_steps_parked = parking.next_steps
    figures.wall_s = round(time.perf_counter() - started, 1)
    return figures


def _process(
    message: _Message,
    program: Program,
    deps: SendDeps,
    provider: Provider,
    rng: random.Random,
    faults: Faults,
    figures: Figures,
    paused: set[str],
    queue: Queue,
) -> None:
    job = SendJob.model_validate_json(message.body)
    now = queue.clock.now()
    if rng.random() < faults.duplicate:
        figures.duplicated_messages += 1  # SQS's at-least-once: the same message twice
        queue.push(message.body, now + timedelta(seconds=rng.uniform(0, 30)))
    if rng.random() < faults.kill:
        provider.kill_in = rng.randrange(len(job.recipients))
    try:
        send_job(job, program, deps)
    except SendThrottled as error:
        if isinstance(error.__cause__, AccountPaused):
            paused.update(("email", "sms", "push", "inbox"))  # an account-level error pauses the channels
        figures.job_errors["throttled"] = figures.job_errors.get("throttled", 0) + 1
        _retry(message, figures, queue)
    except Killed:
        figures.kills += 1
        _retry(message, figures, queue)
    except Exception as error:
        figures.job_errors[type(error).__name__] = figures.job_errors.get(type(error).__name__, 0) + 1
        _retry(message, figures, queue)
    else:
        if rng.random() < faults.redelivery:
            figures.redelivered_messages += 1  # deleted too late: SQS delivers it again
            queue.push(message.body, queue.clock.now() + VISIBILITY)
    finally:
        provider.kill_in = None


def _retry(message: _Message, figures: Figures, queue: Queue) -> None:
    """Received again after the visibility timeout; the DLQ after MAX_RECEIVES receives."""
    if message.receives >= MAX_RECEIVES:
        figures.dlq += 1
        return
    queue.push(message.body, queue.clock.now() + VISIBILITY, message.receives)


def to_json(figures: Figures) -> str:
    return json.dumps(asdict(figures), indent=2)
