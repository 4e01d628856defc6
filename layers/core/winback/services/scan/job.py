"""Scan: walk one parallel-scan segment page by page, find users who crossed a dormancy tier,
assign each to an arm of their campaign's experiment, and enqueue packed send jobs for the
treated ones. Memory holds one page; a continuation job carries on near timeout."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Protocol

from winback.adapters.queues import send_all
from winback.config.campaigns import CHANNELS, HOLDOUT, PROGRAM_CONTROL, Campaign
from winback.config.dormancy import Tier
from winback.config.program import Program
from winback.domain.audience.admission import Priority, TopK, budget_of, value_band
from winback.domain.audience.rfm import spend_in_base
from winback.domain.audience.scoring import Scorer
from winback.domain.audience.segmentation import Segment
from winback.domain.journey.addresses import address_key, contact_address
from winback.domain.journey.dormancy import churn_risk_tier, dormancy_tier, dormant_since
from winback.domain.journey.reasons import inferred_reason
from winback.domain.journey.targeting import campaign_for, choose_channel
from winback.domain.measurement.arms import assign, in_program_control, untreated
from winback.domain.measurement.segment_lift import SkipIndex
from winback.domain.prediction.value import Prediction
from winback.models.allocation import Allocation
from winback.models.jobs import Recipient, ScanJob, SendJob
from winback.models.profile import Assignment, Journeys, Profile
from winback.models.report import INFERRED_PREFIX
from winback.runtime.observability import logger

if TYPE_CHECKING:
    from winback.adapters.activity_store import ActivityStore
    from winback.adapters.messaging_store import MessagingStore
    from winback.adapters.suppression_store import SuppressionStore
    from winback.config.campaigns import Campaign
    from winback.config.program import Program
    from winback.config.settings import Settings

Segmenter = Callable[[Profile, datetime], Segment]
Enqueue = Callable[[str, list[str]], object]


class ScanPorts(Protocol):
    """What a scan job works with (runtime.Deps provides it): the queues come from the settings."""

    @property
    def settings(self) -> Settings: ...
    @property
    def program(self) -> Program: ...
    @property
    def activity(self) -> ActivityStore: ...
    @property
    def messaging(self) -> MessagingStore: ...
    @property
    def suppression(self) -> SuppressionStore: ...


@dataclass
class ScanResult:
    tally: Counter[str] = field(default_factory=Counter)
    continued: bool = False


@dataclass(frozen=True)
class Target:
    """A user the scan acts on: their tier, their journey record, and their assignment."""

    profile: Profile
    tier: str
    journeys: Journeys
    assignment: Assignment | None  # None: sunset, the user leaves win-back for good
    priority: Priority = (0.0, 0.0, "")  # admission order when capacity is short (highest first)
    value_minor: float = 0.0  # expected 12-month value with a model, else spend (base minor units)
    prediction: Prediction | None = None  # decide's scoring with the fitted models (None: no model or no order)


def _journeys_after(previous: Assignment | None, journeys: Journeys) -> tuple[Journeys, bool]:
    """The journey record once the previous journey is over, and whether that journey failed.
    A held-out user got no journey; a user who came back resets the count."""
    if previous is None or untreated(previous.arm):
        return journeys, False
    if previous.reactivated_at is not None:
        return Journeys(failed=0, last_ended_at=journeys.last_ended_at), False
    return Journeys(failed=journeys.failed + 1, last_ended_at=previous.assigned_at), True


def tier_of(profile: Profile, job: ScanJob, program: Program, scorer: Scorer | None) -> Tier | None:
    """The fixed tier the user crossed or, before any, churn_risk from their P(alive) when a model is fitted."""
    tier = dormancy_tier(profile, program.dormancy, job.as_of)
    if tier is not None or scorer is None or program.dormancy.churn_risk is None:
        return tier
    return churn_risk_tier(profile, program.dormancy, scorer.p_alive(profile, job.as_of))


def decide(
    profile: Profile,
    job: ScanJob,
    program: Program,
    segment_of: Segmenter,
    tally: Counter[str],
    scorer: Scorer | None = None,
    skips: SkipIndex | None = None,
    allocations: Mapping[str, Allocation] | None = None,
) -> Target | None:
    """The scan's rules for one profile, deciding without writing: its tier, campaign and arm (None:
    nothing to do, counted in `tally`). `winback plan` runs the same rules over a changed program.
    `allocations`: adaptive campaigns' splits of the day (the stats step's), else static weights."""
    tier = tier_of(profile, job, program, scorer)
    if tier is None:
        tally["active"] += 1
        return None
    tally[f"tier_{tier.name}"] += 1
    if profile.tier == tier.name:
        tally["already_handled"] += 1
        return None
    segment = segment_of(profile, job.as_of)
    prediction = scorer(profile, job.as_of) if scorer is not None else None
    value = prediction.expected_value_minor if prediction is not None else None
    campaign = campaign_for(program, tier.name, segment.rfm, segment.activity, value)
    since = dormant_since(profile, program.dormancy)
    if campaign is None or since is None:
        tally["no_campaign"] += 1
        logger.debug(
            "no campaign matches",
            extra={"user_id": profile.user_id, "tier": tier.name, "segment": segment.rfm, "activity": segment.activity},
        )
        return None
    previous = profile.assignment
    journeys, failed = _journeys_after(previous, profile.journeys)
    if (
        failed
        and previous is not None
        and job.as_of < previous.assigned_at + timedelta(days=program.sunset.cooldown_days)
    ):
        tally["cooling_off"] += 1
        return None
    if journeys.failed >= program.sunset.max_failed_journeys:
        return Target(profile=profile, tier=tier.name, journeys=journeys, assignment=None, prediction=prediction)
    arm = arm_of(profile, campaign, since.isoformat(), program, allocations)
    arm = offer_where_it_lifts(campaign, segment.rfm, arm, skips, tally)
    assignment = Assignment(
        campaign_id=campaign.id,
        arm=arm,
        segment=segment.rfm,
        activity=segment.activity,
        tier=tier.name,
        episode=since.isoformat(),
        assigned_at=job.as_of,
        inferred_reason=inferred_reason(profile, job.as_of, program.reasons),
        expected_value_minor=value,
        p_alive=None if prediction is None else round(prediction.p_alive, 4),
    )
    logger.debug(
        "matched campaign",
        extra={
            "user_id": profile.user_id,
            "tier": tier.name,
            "campaign_id": campaign.id,
            "arm": arm,
            "segment": segment.rfm,
            "activity": segment.activity,
        },
    )
    return Target(profile=profile, tier=tier.name, journeys=journeys, assignment=assignment, prediction=prediction)


def offer_where_it_lifts(
    campaign: Campaign, segment: str, arm: str, skips: SkipIndex | None, tally: Counter[str]
) -> str:
    """The arm, or a no-offer variant for an incentive variant's user in a segment where the stats step
    found the incentive without lift (the holdout and the program control stay as they are)."""
    if (
        skips is None
        or not campaign.skip_segments_without_lift
        or (campaign.id, segment) not in skips
        or arm not in campaign.incentive_arms()
    ):
        return arm
    tally["incentive_skipped_no_lift"] += 1
    return campaign.no_offer_arms()[0]


def arm_of(
    profile: Profile,
    campaign: Campaign,
    episode: str,
    program: Program,
    allocations: Mapping[str, Allocation] | None,
) -> str:
    """The user's arm: the program-wide control group first; then an adaptive campaign's split of the
    day, except that a user already assigned in this episode keeps that arm (a tier crossed later in
    the same campaign must not move them); else the campaign's static split."""
    if in_program_control(profile.user_id, program.experiments.program_control_percent):
        return PROGRAM_CONTROL  # before the campaign's own split: never messaged by any campaign
    holdout = program.holdout_percent(campaign)
    if campaign.allocation != "adaptive":
        return assign(campaign, profile.user_id, holdout)
    previous = profile.assignment
    same_episode = previous is not None and previous.campaign_id == campaign.id and previous.episode == episode
    if previous is not None and same_episode and (previous.arm == HOLDOUT or campaign.variant(previous.arm)):
        return previous.arm  # (a variant since removed from the program is assigned afresh)
    decision = (allocations or {}).get(campaign.id)
    return assign(campaign, profile.user_id, holdout, decision.weights if decision else None)


def _pack(job: ScanJob, targets: list[Target], program: Program) -> list[str]:
    per_job = program.scan.recipients_per_job
    groups: dict[tuple[str, str], list[Recipient]] = {}
    for t in targets:
        a = t.assignment
        if a is None or untreated(a.arm):
            continue
        recipient = Recipient(user_id=t.profile.user_id, episode=a.episode, arm=a.arm, segment=a.segment)
        groups.setdefault((a.campaign_id, t.tier), []).append(recipient)
    bodies: list[str] = []
    for (campaign_id, tier), recipients in groups.items():
        for start in range(0, len(recipients), per_job):
            first = program.campaign(campaign_id).steps[0]
            send_job = SendJob(
                run_id=job.run_id,
                campaign_id=campaign_id,
                step=0,
                tier=tier,
                recipients=recipients[start : start + per_job],
                not_after=job.as_of + timedelta(days=first.deadline_days),
            )
            bodies.append(send_job.model_dump_json())
    return bodies


def _sunset(profile: Profile, suppression: SuppressionStore, now: datetime) -> None:
    """Suppress every address of a user who let too many journeys pass: reason `sunset`."""
    for channel in CHANNELS:
        address = contact_address(channel, profile)
        if address:
            suppression.suppress(address_key(channel, address), "sunset", "scan", now)


def rank(target: Target, program: Program, scorer: Scorer | None) -> Target:
    """The target with its admission priority: expected 12-month value × P(alive) (as decide scored
    it), then spend, with a model; else the earlier tier first (a fresher lapse returns more often),
    then spend. Ties: user id."""
    spend = float(spend_in_base(target.profile.spend_minor, program.segments))
    user = target.profile.user_id
    prediction = target.prediction
    if scorer is not None:
        value = float(prediction.expected_value_minor or 0) if prediction is not None else 0.0
        alive = prediction.p_alive if prediction is not None else 0.0
        return replace(target, priority=(value * alive, spend, user), value_minor=value)
    names = [t.name for t in program.dormancy.tiers]
    urgency = -float(names.index(target.tier) + 1) if target.tier in names else 0.0
    return replace(target, priority=(urgency, spend, user), value_minor=spend)


class Admitter:
    """A worker's share of the day's first messages: per budget a heap of at most its share of the
    highest-priority users found so far. Whoever leaves a heap waits for a later day (not marked)."""

    def __init__(self, budgets: dict[str, int], program: Program, scorer: Scorer | None) -> None:
        self.budgets = budgets
        self.heaps: dict[str, TopK[Target]] = {name: TopK(max(k, 0)) for name, k in budgets.items()}
        self.program, self.scorer = program, scorer

    def budget(self, target: Target) -> str | None:
        """The budget the user's first message would spend; a held-out user takes a slot as well, so
        both arms are admitted in the same order and stay comparable. Sunset: no message, no budget."""
        a = target.assignment
        if a is None:
            return None
        channel = choose_channel(self.program.campaign(a.campaign_id), target.profile)
        return budget_of(self.budgets, channel)

    def offer(self, targets: list[Target], tally: Counter[str]) -> list[Target]:
        """Targets to act on now (no budget to spend); the rest join the heaps."""
        now: list[Target] = []
        for target in targets:
            name = self.budget(target)
            if name is None:
                now.append(target)
                continue
            ranked = rank(target, self.program, self.scorer)
            left = self.heaps[name].offer(ranked.priority, ranked)
            if left is not None:
                tally["waiting"] += 1
                tally[f"waiting_value_{value_band(left.value_minor)}"] += 1
        return now

    def drain(self, tally: Counter[str]) -> list[Target]:
        """Everyone admitted, the heaps emptied and the budgets spent by as many."""
        admitted: list[Target] = []
        for name, heap in self.heaps.items():
            chosen = [target for _, target in heap.drain()]
            self.budgets[name] -= len(chosen)
            heap.k = max(self.budgets[name], 0)
            admitted.extend(chosen)
        for target in admitted:
            tally["admitted"] += 1
            tally[f"admitted_value_{value_band(target.value_minor)}"] += 1
        return admitted


def _act(job: ScanJob, targets: list[Target], ports: ScanPorts, tally: Counter[str], enqueue: Enqueue) -> None:
    if targets:
        # Enqueue before marking: a crash in between re-targets the users next time, and the
        # send ledger turns that into no second message; the reverse order could lose them.
        enqueue(ports.settings.send_queue_url, _pack(job, targets, ports.program))
        _mark(targets, job, ports, tally)


def scan_segment(
    job: ScanJob,
    ports: ScanPorts,
    segment_of: Segmenter,
    remaining_ms: Callable[[], int],
    enqueue: Enqueue = send_all,
    scorer: Scorer | None = None,
    skips: SkipIndex | None = None,
    allocations: Mapping[str, Allocation] | None = None,
) -> ScanResult:
    """`enqueue(queue_url, bodies)`: SQS (a simulation passes its own queue). With `job.admit`, the
    users found are admitted at the segment's end (or before a continuation), the best first, up to
    the segment's share of the day's capacity; the others wait for a later day."""
    store, program = ports.activity, ports.program
    result = ScanResult()
    tally = result.tally
    admitter = None if job.admit is None else Admitter(dict(job.admit), program, scorer)
    key = job.start_key
    pages = job.pages_done
    while True:
        page = store.scan_page(job.segment, job.total_segments, key, program.scan.page_size)
        pages += 1
        tally["scanned"] += len(page.profiles)
        targets = [
            t
            for p in page.profiles
            if (t := decide(p, job, program, segment_of, tally, scorer, skips, allocations)) is not None
        ]
        _act(job, admitter.offer(targets, tally) if admitter else targets, ports, tally, enqueue)
        key = page.next_key
        if not key:
            break
        if remaining_ms() < program.scan.continuation_margin_ms:
            # The heaps cannot travel: what they hold is admitted now, the rest of the share carries on.
            _act(job, admitter.drain(tally) if admitter else [], ports, tally, enqueue)
            admit = admitter.budgets if admitter else None
            follow = job.model_copy(update={"start_key": key, "pages_done": pages, "admit": admit})
            enqueue(ports.settings.scan_queue_url, [follow.model_dump_json()])
            result.continued = True
            break
    if admitter and not result.continued:
        _act(job, admitter.drain(tally), ports, tally, enqueue)
    tally["pages"] = pages - job.pages_done
    ports.messaging.put_scan_figures(job.run_id, job.segment, job.pages_done, tally)
    return result


def _tally_name(arm: str) -> str:
    return {HOLDOUT: "held_out", PROGRAM_CONTROL: "program_control"}.get(arm, "targeted")


def _mark(targets: list[Target], job: ScanJob, ports: ScanPorts, tally: Counter[str]) -> None:
    """Mark each target's tier (and assignment) on their profile; sunset users are suppressed. An
    assignment is counted in its cell once: only by the scan whose conditional write recorded it."""
    store, stats = ports.activity, ports.messaging
    assigned: dict[tuple[str, str, str], Counter[str]] = {}
    for t in targets:
        if not store.mark_tier(t.profile.user_id, t.tier, job.as_of, t.profile.version, t.assignment, t.journeys):
            tally["changed_during_scan"] += 1
        elif t.assignment is None:
            _sunset(t.profile, ports.suppression, job.as_of)
            tally["sunset"] += 1
        else:
            a = t.assignment
            counts = assigned.setdefault((a.campaign_id, a.arm, a.segment), Counter())
            counts["assigned"] += 1
            if a.inferred_reason:
                counts[INFERRED_PREFIX + a.inferred_reason] += 1
            tally["assigned"] += 1
            tally[_tally_name(a.arm)] += 1
    for (campaign_id, arm, segment), counts in assigned.items():
        stats.add_cell(campaign_id, None, arm, segment, counts)
