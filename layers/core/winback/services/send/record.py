"""Record: what happened to each recipient (the tally), the outcomes with the counters they add, the
next steps and the parked jobs, written as Bookkeeping (all or nothing) every OUTCOME_CHUNK store
items (not in a `finally`, which a Lambda timeout skips), and the coupons those sends issued
announced (CouponIssued on the offers bus) with each flush.

An outcome is written only if its claim has no terminal record yet (the sweeper may have written one
first): the store refuses the write and says which, and the chunk is written again without them, so
the counts follow the record that won. A write the store keeps refusing is tried again with backoff,
then given up: the job fails back to the queue and the sweeper finishes its claims from their notes.
Each outcome names the program version the job ran, and counts its send under that version
(`program_<version>`), so the report shows which versions a campaign used.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import TYPE_CHECKING

from winback.models.bookkeeping import ATOMIC_WRITE_ITEMS, Bookkeeping
from winback.models.send_state import Outcome, SendStatus
from winback.runtime.observability import logger
from winback.services.send.next_step import next_step
from winback.services.send.retry import with_backoff

if TYPE_CHECKING:
    from winback.models.jobs import Recipient
    from winback.services.send.guards import Candidate
    from winback.services.send.job_run import JobRun

# Outcomes are written every this many store items (an outcome, and a sent text's lookup): a kill
# loses at most these to the sweeper, which finishes them from the claims' notes.
OUTCOME_CHUNK = 24
# Tries of one bookkeeping write (each with the SDK's own retries) before the job gives up.
WRITE_ATTEMPTS = 4

Logged = list[tuple["Recipient", Outcome]]  # outcomes with the recipient each is about


def outcome(
    run: JobRun,
    item: Candidate,
    now: datetime,
    status: SendStatus,
    message_id: str | None = None,
    error: str | None = None,
    counts: tuple[str, ...] = (),
) -> Outcome:
    """What became of the candidate's send, claimed at `now`, and what its record counts."""
    job, recipient = run.job, item.recipient
    return Outcome(
        user_id=recipient.user_id,
        key=item.key,
        status=status,
        campaign_id=job.campaign_id,
        step=job.step,
        arm=recipient.arm,
        segment=recipient.segment,
        at=now,
        run_id=job.run_id,
        channel=item.channel,
        template=item.template,
        message_id=message_id,
        error=error,
        counts=counts,
        program_version=run.program.version or None,
    )


def sent_counts(channel: str) -> tuple[str, ...]:
    """What a sent record counts in its cell. SES and SNS's SMS delivery-status logs report
    deliveries (feedback counts them); for push and the inbox the provider's acceptance is the delivery."""
    delivered = ("delivered",) if channel not in ("email", "sms") else ()
    return ("sent", f"sent_{channel}", *delivered)


def flush_when_full(run: JobRun) -> None:
    """Flush once the outcomes since the last flush fill a chunk."""
    if run.log.outcome_items >= OUTCOME_CHUNK:
        flush(run)


def flush(run: JobRun) -> None:
    """Announce the coupons the sends since the last flush issued; write their outcomes with their
    counters and the sent users' next step, the job's other counters and what is parked."""
    announce_coupons(run)
    run.log.coupons = []
    log, job = run.log, run.job
    records, parked, loose = log.records, log.parked, run.tally.take()
    log.records, log.parked = [], []
    rest = Bookkeeping(parked=list(parked))
    for (arm, segment), counts in loose.items():
        rest.count((job.campaign_id, job.step, arm, segment), counts)
    for records_part, rest_part in _parts(run, records, rest):
        _write(run, records_part, rest_part)


def _parts(run: JobRun, records: Logged, rest: Bookkeeping) -> list[tuple[Logged, Bookkeeping]]:
    """The flush as writes that fit ATOMIC_WRITE_ITEMS: the outcomes in groups (each with its counts
    and its sent users' next step), `rest` (the job's other counters, parked jobs) with the last
    group when it fits, else in writes of its own."""
    groups: list[Logged] = [[]]
    for record in records:
        if _bookkeeping(run, [*groups[-1], record]).items > ATOMIC_WRITE_ITEMS:
            groups.append([])
        groups[-1].append(record)
    if _bookkeeping(run, groups[-1], rest).items <= ATOMIC_WRITE_ITEMS:
        return [*((group, Bookkeeping()) for group in groups[:-1]), (groups[-1], rest)]
    pieces = [Bookkeeping(cells=rest.cells, totals=rest.totals)]
    for job in rest.parked:
        if pieces[-1].items >= ATOMIC_WRITE_ITEMS:
            pieces.append(Bookkeeping())
        pieces[-1].parked.append(job)
    return [*((group, Bookkeeping()) for group in groups), *(([], piece) for piece in pieces)]


def _bookkeeping(run: JobRun, records: Logged, rest: Bookkeeping | None = None) -> Bookkeeping:
    """One write: the outcomes with their counts, the next step of the sent ones, and `rest`."""
    entry = Bookkeeping(parked=[] if rest is None else list(rest.parked))
    if rest is not None:
        for cell, counts in rest.cells.items():
            entry.count(cell, counts)
        for campaign_id, counts in rest.totals.items():
            entry.totals.setdefault(campaign_id, Counter()).update(counts)
    for _, record in records:
        entry.add_outcome(record)
    sent = [r for r, record in records if record.status == SendStatus.SENT]
    entry.parked += next_step(run.job, run.campaign, sent, run.now)
    return entry


def _write(run: JobRun, records: Logged, rest: Bookkeeping) -> None:
    """Write the outcomes and `rest` all or nothing; outcomes whose claim already has a terminal
    record are left out (the record that won keeps its counts) and the rest written again."""
    deps = run.deps
    while not (entry := _bookkeeping(run, records, rest)).empty:
        refused = with_backoff(lambda: deps.records.write(entry), WRITE_ATTEMPTS, deps.sleep)
        late = [(r, record) for r, record in records if (record.user_id, record.key) in refused]
        if not refused:
            return
        if not late:
            raise RuntimeError("the store refused outcomes this write did not hold")
        logger.warning("outcomes after their claim was finished; the first record stands", extra={"count": len(late)})
        for recipient, _ in late:
            run.tally.add(recipient, "late_outcome", in_cell=False)
        records = [pair for pair in records if pair not in late]


def announce_coupons(run: JobRun) -> None:
    """CouponIssued on the offers bus for the job's new coupons, up to 10 per PutEvents; each accepted
    one is marked on its pointer, so a send retried later finds it announced and does not repeat it."""
    deps, pending = run.deps, run.log.coupons
    if deps.offers is None or not pending:
        return
    accepted = deps.offers.announce_coupons([c for _, c in pending], run.now)
    deps.coupons.mark_announced(accepted)
    codes = {c.code for c in accepted}
    for recipient, coupon in pending:
        run.tally.add(recipient, "coupon_announced" if coupon.code in codes else "coupon_unannounced")
