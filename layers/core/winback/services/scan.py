"""Scan: walk one parallel-scan segment page by page, find users who crossed a dormancy tier,
and enqueue packed send jobs. Memory holds one page; a continuation job carries on near timeout."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from winback.adapters.activity_store import ActivityStore
from winback.adapters.messaging_store import MessagingStore
from winback.adapters.queues import send_all
from winback.domain.dormancy import dormancy_tier, dormant_since
from winback.domain.targeting import campaign_for
from winback.models.jobs import Recipient, ScanJob, SendJob
from winback.models.profile import Profile
from winback.observability import logger
from winback.program import Program


@dataclass
class ScanResult:
    tally: Counter[str] = field(default_factory=Counter)
    continued: bool = False


@dataclass(frozen=True)
class _Target:
    profile: Profile
    tier: str
    campaign_id: str
    episode: str


def _decide(profile: Profile, job: ScanJob, program: Program, tally: Counter[str]) -> _Target | None:
    tier = dormancy_tier(profile, program.dormancy, job.as_of)
    if tier is None:
        tally["active"] += 1
        return None
    tally[f"tier_{tier.name}"] += 1
    if profile.tier == tier.name:
        tally["already_handled"] += 1
        return None
    campaign = campaign_for(program, tier.name)
    since = dormant_since(profile, program.dormancy)
    if campaign is None or since is None:
        tally["no_campaign"] += 1
        logger.info("no campaign for tier", extra={"user_id": profile.user_id, "tier": tier.name})
        return None
    return _Target(profile=profile, tier=tier.name, campaign_id=campaign.id, episode=since.isoformat())


def _pack(job: ScanJob, targets: list[_Target], per_job: int) -> list[str]:
    groups: dict[tuple[str, str], list[Recipient]] = {}
    for t in targets:
        groups.setdefault((t.campaign_id, t.tier), []).append(Recipient(user_id=t.profile.user_id, episode=t.episode))
    bodies: list[str] = []
    for (campaign_id, tier), recipients in groups.items():
        for start in range(0, len(recipients), per_job):
            send_job = SendJob(
                run_id=job.run_id,
                campaign_id=campaign_id,
                step=0,
                tier=tier,
                recipients=recipients[start : start + per_job],
            )
            bodies.append(send_job.model_dump_json())
    return bodies


def scan_segment(
    job: ScanJob,
    store: ActivityStore,
    stats: MessagingStore,
    program: Program,
    send_queue_url: str,
    scan_queue_url: str,
    remaining_ms: Callable[[], int],
) -> ScanResult:
    result = ScanResult()
    tally = result.tally
    key = job.start_key
    pages = job.pages_done
    while True:
        page = store.scan_page(job.segment, job.total_segments, key, program.scan.page_size)
        pages += 1
        tally["scanned"] += len(page.profiles)
        targets = [t for p in page.profiles if (t := _decide(p, job, program, tally)) is not None]
        if targets:
            # Enqueue before marking: a crash in between re-targets the users next time, and the
            # send ledger turns that into no second message; the reverse order could lose them.
            send_all(send_queue_url, _pack(job, targets, program.scan.recipients_per_job))
            tally["targeted"] += len(targets)
            for campaign_id, count in Counter(t.campaign_id for t in targets).items():
                stats.add_counters(campaign_id, 0, {"targeted": count})
            for t in targets:
                if not store.mark_tier(t.profile.user_id, t.tier, job.as_of, t.profile.version):
                    tally["changed_during_scan"] += 1
        key = page.next_key
        if not key:
            break
        if remaining_ms() < program.scan.continuation_margin_ms:
            follow = job.model_copy(update={"start_key": key, "pages_done": pages})
            send_all(scan_queue_url, [follow.model_dump_json()])
            result.continued = True
            break
    tally["pages"] = pages - job.pages_done
    stats.put_scan_figures(job.run_id, job.segment, job.pages_done, tally)
    return result
