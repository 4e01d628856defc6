"""One send job being worked: the JobRun every step takes (with the one candidate it works on), the
Tally of what happened to each recipient, and the JobLog of what is decided but not yet written."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from winback.config.campaigns import Campaign
    from winback.config.program import Program
    from winback.domain.journey.pacing import Pace
    from winback.models.coupons import IssuedCoupon
    from winback.models.jobs import Recipient, SendJob
    from winback.models.send_context import ParkedJob, SendContext
    from winback.models.send_state import Outcome
    from winback.services.send.content import JobRecommendations
    from winback.services.send.ports import SendDeps


class Tally:
    """What happened to each recipient: in total (metrics, logs) and per experiment cell (report)."""

    def __init__(self, observe: Callable[[Recipient, str], None] | None = None) -> None:
        self.total: Counter[str] = Counter()
        self.cells: dict[tuple[str, str], Counter[str]] = {}  # not yet written
        self.observe = observe

    def add(self, recipient: Recipient, name: str, *, in_cell: bool = True) -> None:
        """Count `name` for the recipient; `in_cell=False` for a count its outcome record carries
        into the cell (written with the record, never apart from it)."""
        if self.observe is not None:
            self.observe(recipient, name)
        self.total[name] += 1
        if in_cell:
            self.cells.setdefault((recipient.arm, recipient.segment), Counter())[name] += 1

    def add_value(self, recipient: Recipient, name: str, amount: int) -> None:
        """Add `amount` (e.g. a coupon's value) to the recipient's cell only: not a count of events,
        so neither a metric nor observed."""
        self.cells.setdefault((recipient.arm, recipient.segment), Counter())[name] += amount

    def take(self) -> dict[tuple[str, str], Counter[str]]:
        """The per-cell counts not yet written, forgotten here (the caller writes them)."""
        cells, self.cells = self.cells, {}
        return cells


@dataclass
class JobLog:
    """The job's running record of what it decided and has not yet written (record.py writes it):
    who waits until when and why, the outcomes (with their recipients: a sent one gets its next
    step), the parked jobs and the coupons to announce."""

    held: dict[tuple[datetime, str], list[Recipient]] = field(default_factory=lambda: defaultdict(list))
    records: list[tuple[Recipient, Outcome]] = field(default_factory=list)  # since the last flush
    parked: list[ParkedJob] = field(default_factory=list)  # since the last flush
    coupons: list[tuple[Recipient, IssuedCoupon]] = field(default_factory=list)  # to announce, since the last flush

    def add_outcome(self, recipient: Recipient, outcome: Outcome) -> None:
        self.records.append((recipient, outcome))

    @property
    def outcome_items(self) -> int:
        """The store items the outcomes since the last flush take (an outcome, a sent text's lookup)."""
        return sum(outcome.items for _, outcome in self.records)


@dataclass
class JobRun:
    """One send job being worked: what it is (the job, its campaign, the program), what it works with
    (deps, and the context read for its users), when it started, and what it has done so far: the
    tally, the log not yet written, and what it learnt about channels on the way."""

    job: SendJob
    campaign: Campaign
    program: Program
    deps: SendDeps
    now: datetime  # when the job started: the time its guards and its held recipients go by
    context: SendContext
    tally: Tally
    log: JobLog = field(default_factory=JobLog)
    # Recipients the step's `when` skipped: never claimed, their next step is parked at the end.
    branch_skipped: list[Recipient] = field(default_factory=list)
    recommended: JobRecommendations | None = None  # picked once for the job's candidates
    paused_channels: set[str] = field(default_factory=set)  # paused by an account-level answer during the job
    paced_out: dict[str, Pace] = field(default_factory=dict)  # channel -> why and until when it waits

    def hold(self, recipient: Recipient, until: datetime, kind: str) -> None:
        """Defer the recipient's message to `until`, or drop it when that is past the step's deadline."""
        if self.job.not_after is not None and until > self.job.not_after:
            self.tally.add(recipient, "dropped")
            return
        self.log.held[(until, kind)].append(recipient)
        self.tally.add(recipient, "deferred")
