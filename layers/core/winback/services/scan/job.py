"""Scan: walk one parallel-scan segment page by page, find users who crossed a dormancy tier,
assign each to an arm of their campaign's experiment, and enqueue packed send jobs for the
treated ones. Memory holds one page; a continuation job carries on near timeout."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Protocol

from winback.adapters.queues import send_all
from winback.config.campaigns import CHANNELS, HOLDOUT, PROGRAM_CONTROL
from winback.config.program import Program
from winback.domain.audience.segmentation import Segment
from winback.domain.journey.addresses import address_key, contact_address
from winback.domain.journey.dormancy import dormancy_tier, dormant_since
from winback.domain.journey.reasons import inferred_reason
from winback.domain.journey.targeting import campaign_for
from winback.domain.measurement.arms import assign, in_program_control, untreated
from winback.models.jobs import Recipient, ScanJob, SendJob
from winback.models.profile import Assignment, Journeys, Profile
from winback.models.report import INFERRED_PREFIX
from winback.runtime.observability import logger

if TYPE_CHECKING:
    from winback.adapters.activity_store import ActivityStore
    from winback.adapters.messaging_store import MessagingStore
    from winback.adapters.suppression_store import SuppressionStore
    from winback.config.program import Program
    from winback.config.settings import Settings

Segmenter = Callable[[Profile, datetime], Segment]


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


def _journeys_after(previous: Assignment | None, journeys: Journeys) -> tuple[Journeys, bool]:
    """The journey record once the previous journey is over, and whether that journey failed.
    A held-out user got no journey; a user who came back resets the count."""
    if previous is None or untreated(previous.arm):
        return journeys, False
    if previous.reactivated_at is not None:
        return Journeys(failed=0, last_ended_at=journeys.last_ended_at), False
    return Journeys(failed=journeys.failed + 1, last_ended_at=previous.assigned_at), True


def decide(
    profile: Profile, job: ScanJob, program: Program, segment_of: Segmenter, tally: Counter[str]
) -> Target | None:
    """The scan's rules for one profile, deciding without writing: its tier, campaign and arm (None:
    nothing to do, counted in `tally`). `winback plan` runs the same rules over a changed program."""
    tier = dormancy_tier(profile, program.dormancy, job.as_of)
    if tier is None:
        tally["active"] += 1
        return None
    tally[f"tier_{tier.name}"] += 1
    if profile.tier == tier.name:
        tally["already_handled"] += 1
        return None
    segment = segment_of(profile, job.as_of)
    campaign = campaign_for(program, tier.name, segment.rfm, segment.activity)
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
        return Target(profile=profile, tier=tier.name, journeys=journeys, assignment=None)
    if in_program_control(profile.user_id, program.experiments.program_control_percent):
        arm = PROGRAM_CONTROL  # before the campaign's own split: never messaged by any campaign
    else:
        arm = assign(campaign, profile.user_id, program.holdout_percent(campaign))
    assignment = Assignment(
        campaign_id=campaign.id,
        arm=arm,
        segment=segment.rfm,
        activity=segment.activity,
        tier=tier.name,
        episode=since.isoformat(),
        assigned_at=job.as_of,
        inferred_reason=inferred_reason(profile, job.as_of, program.reasons),
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
    return Target(profile=profile, tier=tier.name, journeys=journeys, assignment=assignment)


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


def scan_segment(
    job: ScanJob,
    ports: ScanPorts,
    segment_of: Segmenter,
    remaining_ms: Callable[[], int],
    enqueue: Callable[[str, list[str]], object] = send_all,
) -> ScanResult:
    """`enqueue(queue_url, bodies)`: SQS (a simulation passes its own queue)."""
    store, program = ports.activity, ports.program
    result = ScanResult()
    tally = result.tally
    key = job.start_key
    pages = job.pages_done
    while True:
        page = store.scan_page(job.segment, job.total_segments, key, program.scan.page_size)
        pages += 1
        tally["scanned"] += len(page.profiles)
        targets = [t for p in page.profiles if (t := decide(p, job, program, segment_of, tally)) is not None]
        if targets:
            # Enqueue before marking: a crash in between re-targets the users next time, and the
            # send ledger turns that into no second message; the reverse order could lose them.
            enqueue(ports.settings.send_queue_url, _pack(job, targets, program))
            _mark(targets, job, ports, tally)
        key = page.next_key
        if not key:
            break
        if remaining_ms() < program.scan.continuation_margin_ms:
            follow = job.model_copy(update={"start_key": key, "pages_done": pages})
            enqueue(ports.settings.scan_queue_url, [follow.model_dump_json()])
            result.continued = True
            break
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
