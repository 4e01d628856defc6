"""Record: what happened to each recipient (the tally), the outcome records and the next steps, written
together every OUTCOME_CHUNK sends (not in a `finally`, which a Lambda timeout skips), and the
coupons those sends issued announced (CouponIssued on the offers bus) with each flush. Counters are
written once per job (and before an error sends the job back): they are at most once, outcomes and
next steps are not."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from winback.adapters.messaging_store import LEDGER_TTL
from winback.models.send_context import ParkedJob
from winback.services.send.next_step import next_step

if TYPE_CHECKING:
    from winback.adapters.coupon_store import IssuedCoupon
    from winback.config.campaigns import Campaign
    from winback.domain.journey.pacing import Pace
    from winback.models.jobs import Recipient, SendJob
    from winback.services.send.ports import SendDeps

# Outcomes and next steps are written every this many sends: a kill loses at most these (the sweeper
# records them uncertain). 24 outcomes and one next step fill one BatchWriteItem (25 items).
OUTCOME_CHUNK = 24


class Tally:
    """What happened to each recipient: in total (metrics, logs) and per experiment cell (report)."""

    def __init__(self, observe: Callable[[Recipient, str], None] | None = None) -> None:
        self.total: Counter[str] = Counter()
        self.cells: dict[tuple[str, str], Counter[str]] = {}  # not yet written
        self.observe = observe

    def add(self, recipient: Recipient, name: str) -> None:
        if self.observe is not None:
            self.observe(recipient, name)
        self.total[name] += 1
        self.cells.setdefault((recipient.arm, recipient.segment), Counter())[name] += 1

    def take(self) -> dict[tuple[str, str], Counter[str]]:
        """The per-cell counts not yet written, forgotten here (the caller writes them)."""
        cells, self.cells = self.cells, {}
        return cells


@dataclass
class Plan:
    """The job's decisions: who waits until when (and why), who was sent, what is not yet written."""

    deferred: dict[tuple[datetime, str], list[Recipient]] = field(default_factory=lambda: defaultdict(list))
    sent: list[Recipient] = field(default_factory=list)  # since the last flush
    outcomes: list[dict[str, Any]] = field(default_factory=list)  # since the last flush
    parked: list[ParkedJob] = field(default_factory=list)  # since the last flush
    sent_email: int = 0  # since the last flush
    coupons: list[tuple[Recipient, IssuedCoupon]] = field(default_factory=list)  # to announce, since the last flush
    paused_channels: set[str] = field(default_factory=set)  # paused by an account-level answer during the job
    paced_out: dict[str, Pace] = field(default_factory=dict)  # channel -> why and until when it waits

    def hold(self, job: SendJob, recipient: Recipient, until: datetime, kind: str, tally: Tally) -> None:
        """Defer the recipient's message to `until`, or drop it when that is past the step's deadline."""
        if job.not_after is not None and until > job.not_after:
            tally.add(recipient, "dropped")
            return
        self.deferred[(until, kind)].append(recipient)
        tally.add(recipient, "deferred")


def outcome_record(
    job: SendJob, recipient: Recipient, key: str, channel: str, template: str, now: datetime
) -> dict[str, Any]:
    """The `user#<id>` / `msg#<send key>` item, without its status."""
    return {
        "pk": f"user#{recipient.user_id}",
        "sk": f"msg#{key}",
        "campaign_id": job.campaign_id,
        "step": job.step,
        "arm": recipient.arm,
        "segment": recipient.segment,
        "run_id": job.run_id,
        "channel": channel,
        "template": template,
        "at": now.isoformat(),
        "expires_at": int((now + LEDGER_TTL).timestamp()),
    }


def flush(deps: SendDeps, job: SendJob, campaign: Campaign, plan: Plan, now: datetime, tally: Tally) -> None:
    """Write the outcomes of the sends since the last flush and their next step, and what is parked;
    announce the coupons they issued."""
    plan.parked += next_step(job, campaign, plan.sent, now)
    if plan.outcomes or plan.parked:
        deps.records.write(plan.outcomes, plan.parked)
    plan.outcomes, plan.sent, plan.parked = [], [], []
    announce_coupons(deps, plan.coupons, tally, now)
    plan.coupons = []


def announce_coupons(
    deps: SendDeps, pending: list[tuple[Recipient, IssuedCoupon]], tally: Tally, now: datetime
) -> None:
    """CouponIssued on the offers bus for the job's new coupons, up to 10 per PutEvents; each accepted
    one is marked on its pointer, so a send retried later finds it announced and does not repeat it."""
    if deps.offers is None or not pending:
        return
    accepted = deps.offers.announce_coupons([c for _, c in pending], now)
    deps.coupons.mark_announced(accepted)
    codes = {c.code for c in accepted}
    for recipient, coupon in pending:
        tally.add(recipient, "coupon_announced" if coupon.code in codes else "coupon_unannounced")


def count(deps: SendDeps, job: SendJob, tally: Tally, plan: Plan) -> None:
    for (arm, segment), counts in tally.take().items():
        deps.messaging.add_cell(job.campaign_id, job.step, arm, segment, counts)
    if plan.sent_email:
        deps.messaging.add_totals(job.campaign_id, {"sent_email": plan.sent_email})
        plan.sent_email = 0
