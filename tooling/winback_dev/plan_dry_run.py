"""`winback plan [--program FILE|DIR]`: a dry run of a program against the activity table.

The table is read page by page, as the scan reads it, and every profile goes through the scan's own
rules (`services.scan.job.decide`: tier, segment, campaign, arm, cooling off, sunset) under the
published program and, with `--program`, under the changed one, in the same pass. What the planned
program (the changed one, else the published one) would start is then put through the sender's own
guards (`services.send.guards.screen`, over the users' stored send states and suppressions): who is
suppressed or has no channel, whose cap is full, which channel each first message takes; and the
coupons its journeys would issue, against what is left of each campaign's budget; and how long the
first messages take at the account's rate and quota.

Nothing is written: the ports that write are absent, and the command runs in `read_only()`. Memory
holds one page: the figures are counters; the users a change adds, removes or moves are counted,
the first few kept as examples, and every one of them streamed to `--changes FILE` if asked.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol, TextIO

from winback.config.campaigns import HOLDOUT, Campaign
from winback.config.incentives import CouponIncentive
from winback.domain.journey.coupons import coupon_value_minor
from winback.domain.journey.dormancy import dormant_since
from winback.domain.money import minor_units
from winback.models.jobs import Recipient, ScanJob, SendJob
from winback.services.scan.job import Target, decide
from winback.services.scan.scan_models import ScanModels
from winback.services.send.guards import screen
from winback.services.send.job_run import JobRun, Tally
from winback_dev.guard_view import capped, guard_deps
from winback_dev.preview import coupon_steps

if TYPE_CHECKING:
    from winback.adapters.activity_store import ScanPage
    from winback.config.program import Program
    from winback.domain.audience.recommendations import Recommender
    from winback.domain.clock import Clock
    from winback.models.population import PopulationStats
    from winback.models.profile import Profile
    from winback.services.send.compose import Signer
    from winback.services.send.ports import ContextLoader, Suppressions
    from winback_dev.plan_pace import Pace
    from winback_dev.progress import Progress

EXAMPLES = 10  # users kept per kind of change, to show; `--changes FILE` gets every one


def _decide(profile: Profile, job: ScanJob, program: Program, models: ScanModels, tally: Counter[str]) -> Target | None:
    """The scan's rules for one profile under `program`, with what the scan would decide them with."""
    return decide(
        profile,
        job,
        program,
        models.segmenter,
        tally,
        models.scorer,
        skips=models.skips,
        allocations=models.allocations,
    )


class ProfilePages(Protocol):
    """The activity table as the scan reads it (adapters.activity_store.ActivityStore)."""

    def scan_page(
        self, segment: int, total_segments: int, start_key: dict[str, Any] | None, limit: int
    ) -> ScanPage: ...

    def item_count(self) -> int: ...


class CouponSpend(Protocol):
    def spend(self, campaign_id: str) -> dict[str, int]: ...


@dataclass(frozen=True)
class PlanSources:
    """What a plan reads: the table, the send context and suppressions the guards read, the budget
    spent so far, the population's cut points; the clock and the links' signer the guards carry."""

    table: ProfilePages
    context: ContextLoader
    suppression: Suppressions
    coupons: CouponSpend
    recommender: Recommender
    signer: Signer
    clock: Clock
    stats: PopulationStats | None = None


@dataclass
class Decisions:
    """What the scan rules decide under one program: its tally (active, tier_<name>, already_handled,
    no_campaign, cooling_off, and sunset, held_out, targeted) and the users per (campaign, segment, arm)."""

    tally: Counter[str] = field(default_factory=Counter)
    cells: Counter[tuple[str, str, str]] = field(default_factory=Counter)

    def count(self, target: Target | None) -> None:
        if target is None:
            return
        a = target.assignment
        if a is None:
            self.tally["sunset"] += 1
            return
        self.tally["held_out" if a.arm == HOLDOUT else "targeted"] += 1
        self.cells[(a.campaign_id, a.segment, a.arm)] += 1


def reached(target: Target | None) -> tuple[str, str] | None:
    """The (campaign, arm) whose messages the user would get: treated, not held out, not sunset."""
    a = target.assignment if target is not None else None
    return None if a is None or a.arm == HOLDOUT else (a.campaign_id, a.arm)


@dataclass
class Reach:
    """Users the changed program reaches that the published one does not (added), the reverse
    (removed), and users both reach in another campaign or arm (moved), by campaign."""

    added: Counter[str] = field(default_factory=Counter)
    removed: Counter[str] = field(default_factory=Counter)
    moved: Counter[str] = field(default_factory=Counter)  # "from -> to"
    examples: dict[str, list[str]] = field(default_factory=lambda: {"added": [], "removed": [], "moved": []})
    out: TextIO | None = None

    def compare(self, user_id: str, before: tuple[str, str] | None, after: tuple[str, str] | None) -> None:
        if before == after:
            return
        if before is None:
            kind, counter, key = "added", self.added, after[0] if after else ""
        elif after is None:
            kind, counter, key = "removed", self.removed, before[0]
        else:
            kind, counter, key = "moved", self.moved, f"{'/'.join(before)} -> {'/'.join(after)}"
        counter[key] += 1
        if len(self.examples[kind]) < EXAMPLES:
            self.examples[kind].append(user_id)
        if self.out is not None:
            change = {"user_id": user_id, "change": kind, "before": _cell(before), "after": _cell(after)}
            self.out.write(json.dumps(change) + "\n")

    def totals(self) -> dict[str, int]:
        return {"added": self.added.total(), "removed": self.removed.total(), "moved": self.moved.total()}


def _cell(reach: tuple[str, str] | None) -> dict[str, str] | None:
    return None if reach is None else {"campaign": reach[0], "arm": reach[1]}


@dataclass
class CouponFigures:
    """Coupons the journeys would issue (count, value in minor units), and what the budget allows."""

    currency: str
    wanted: int = 0
    wanted_value: int = 0
    room: int | None = None  # coupons the budget has left (None: no budget)
    room_value: int | None = None

    @property
    def committed(self) -> int:
        return self.wanted if self.room is None else min(self.wanted, self.room)

    @property
    def committed_value(self) -> int:
        return self.wanted_value if self.room_value is None else min(self.wanted_value, self.room_value)


@dataclass
class Sends:
    """What the sender's guards would do with the first step of the journeys the plan starts."""

    guards: Counter[str] = field(default_factory=Counter)
    by_channel: Counter[str] = field(default_factory=Counter)
    coupons: dict[str, CouponFigures] = field(default_factory=dict)


@dataclass
class PlanResult:
    as_of: datetime
    changed: bool  # a changed program was compared with the published one
    all_dormant: bool = False  # every dormant user counted, not only those the next scan targets
    scanned: int = 0
    pages: int = 0
    published: Decisions = field(default_factory=Decisions)
    planned: Decisions = field(default_factory=Decisions)
    reach: Reach = field(default_factory=Reach)
    sends: Sends = field(default_factory=Sends)
    pace: Pace | None = None
    journey_days: dict[str, float] = field(default_factory=dict)


def as_entering(profile: Profile, program: Program) -> Profile:
    """The user as if entering their tier today: no tier marked, and no journey in this quiet spell
    (the scan skips a user already in their tier, and counts a journey of this spell as theirs)."""
    a, since = profile.assignment, dormant_since(profile, program.dormancy)
    current = a is not None and since is not None and a.episode == since.isoformat()
    return profile.model_copy(update={"tier": None, "assignment": None if current else a})


def _pages(table: ProfilePages, page_size: int) -> Iterator[ScanPage]:
    key: dict[str, Any] | None = None
    while True:
        page = table.scan_page(0, 1, key, page_size)
        yield page
        key = page.next_key
        if not key:
            return


def _coupons(result: Sends, campaign: Campaign, recipient: Recipient) -> None:
    variant = campaign.variant(recipient.arm)
    if variant is not None and not variant.incentives:
        return
    for step in campaign.steps:
        if isinstance(step.incentive, CouponIncentive) and step.coupon_from_step is None:
            figures = result.coupons.setdefault(campaign.id, CouponFigures(step.incentive.currency))
            figures.wanted += 1
            figures.wanted_value += coupon_value_minor(step.incentive, recipient.segment)


class Planner:
    """One dry run: `page(profiles)` for every page of the table, then `finish()`."""

    def __init__(
        self, sources: PlanSources, published: Program, changed: Program | None, as_of: datetime, all_dormant: bool
    ) -> None:
        self.sources = sources
        self.all_dormant = all_dormant
        self.published = published
        self.planned = changed or published
        self.changed = changed
        self.job = ScanJob(run_id="plan", as_of=as_of, segment=0, total_segments=1)
        self.result = PlanResult(as_of=as_of, changed=changed is not None, all_dormant=all_dormant)
        # What the scan decides with, from the same stored stats: segments, the fitted models (churn_risk,
        # value ranges), incentives without lift and adaptive splits; under each program.
        self._published_models = ScanModels.of(published, sources.stats)
        self._changed_models = ScanModels.of(changed, sources.stats) if changed is not None else None
        # Quiet hours only delay a message: the guards run without them, so each user's channel shows.
        self._guarded = self.planned.model_copy(update={"quiet_hours": {}})

    def page(self, page: ScanPage) -> None:
        r = self.result
        r.pages += 1
        r.scanned += len(page.profiles)
        started: list[Target] = []
        for stored in page.profiles:
            profile = as_entering(stored, self.published) if self.all_dormant else stored
            before = _decide(profile, self.job, self.published, self._published_models, r.published.tally)
            r.published.count(before)
            after = before
            if self.changed is not None and self._changed_models is not None:
                after = _decide(profile, self.job, self.changed, self._changed_models, r.planned.tally)
                r.planned.count(after)
                r.reach.compare(profile.user_id, reached(before), reached(after))
            if after is not None and reached(after) is not None:
                started.append(after)
        self._first_steps(started)

    def _first_steps(self, targets: list[Target]) -> None:
        """The first step of each journey these targets start, through the sender's guards."""
        by_campaign: dict[str, list[Recipient]] = {}
        for t in targets:
            a = t.assignment
            assert a is not None
            recipient = Recipient(user_id=t.profile.user_id, episode=a.episode, arm=a.arm, segment=a.segment)
            by_campaign.setdefault(a.campaign_id, []).append(recipient)
        for campaign_id, recipients in by_campaign.items():
            campaign = self.planned.campaign(campaign_id)
            for start in range(0, len(recipients), 100):
                self._screen(campaign, recipients[start : start + 100])

    def _screen(self, campaign: Campaign, recipients: list[Recipient]) -> None:
        s, sends = self.sources, self.result.sends
        job = SendJob(run_id="plan", campaign_id=campaign.id, step=0, tier=campaign.tiers[0], recipients=recipients)
        context = s.context.load(job, coupon_steps(campaign, 0), campaign.step_channels(0))
        deps = guard_deps(s.context, s.suppression, s.recommender, s.clock, s.signer)
        # Like quiet hours, best_hour only delays a message: screened as sent now, each user's channel shows.
        run = JobRun(job, campaign.sending_now(), self._guarded, deps, self.job.as_of, context, Tally())
        for candidate in screen(run):
            sends.by_channel[candidate.channel] += 1
            if capped(candidate, self.planned, self.job.as_of):
                sends.guards["capped"] += 1
            _coupons(sends, campaign, candidate.recipient)
        sends.guards.update(run.tally.total)

    def finish(self, pace: Pace | None) -> PlanResult:
        r = self.result
        if self.changed is None:
            r.planned = r.published
        for campaign_id, figures in r.sends.coupons.items():
            budget = self.planned.campaign(campaign_id).coupon_budget
            if budget is not None:
                spent = self.sources.coupons.spend(campaign_id)
                figures.room = max(budget.max_count - spent["issued"], 0)
                figures.room_value = max(minor_units(budget.max_value, budget.currency) - spent["issued_value"], 0)
        r.pace = pace
        r.journey_days = {c.id: float(sum(step.delay_days for step in c.steps)) for c in self.planned.campaigns}
        return r


def run_plan(
    sources: PlanSources,
    published: Program,
    changed: Program | None,
    as_of: datetime,
    pace: Pace | None = None,
    changes: TextIO | None = None,
    progress: Progress | None = None,
    all_dormant: bool = False,
) -> PlanResult:
    """The dry run over the whole table, a page at a time (the planned program's page size): what the
    next scan would do, or with `all_dormant` what it would do with every dormant user, as if each
    entered their tier today."""
    planner = Planner(sources, published, changed, as_of, all_dormant)
    planner.result.reach.out = changes
    total = sources.table.item_count() if progress is not None else 0
    for page in _pages(sources.table, (changed or published).scan.page_size):
        planner.page(page)
        if progress is not None:
            r = planner.result
            progress.update("scan", _progress_text(r, total))
    return planner.finish(pace)


def _progress_text(r: PlanResult, total: int) -> str:
    from winback_dev.progress import bar

    text = (
        f"{bar(r.scanned, total)} profiles · targeted {r.planned.tally['targeted'] or r.published.tally['targeted']:,}"
    )
    if r.changed:
        totals = r.reach.totals()
        text += f" · +{totals['added']:,} -{totals['removed']:,}"
    return text
