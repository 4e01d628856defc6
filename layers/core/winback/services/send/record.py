"""Record: what happened to each recipient (the tally), the outcomes and the next steps, written
together every OUTCOME_CHUNK store items (not in a `finally`, which a Lambda timeout skips), and the
coupons those sends issued announced (CouponIssued on the offers bus) with each flush. Counters are
written once per job (and before an error sends the job back): they are at most once, outcomes and
next steps are not. Each outcome names the program version the job ran, and the cells count the
job's sends by version (`program_<version>`), so the report shows which versions a campaign used."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from winback.models.report import program_counter
from winback.models.send_state import Outcome, SendStatus
from winback.services.send.next_step import next_step

if TYPE_CHECKING:
    from winback.services.send.guards import Candidate
    from winback.services.send.job_run import JobRun

# Outcomes and next steps are written every this many store items (an outcome, and a sent text's
# lookup): a kill loses at most these (the sweeper records them uncertain). 24 items and one next
# step fill one BatchWriteItem (25 items).
OUTCOME_CHUNK = 24


def outcome(
    run: JobRun,
    item: Candidate,
    now: datetime,
    status: SendStatus,
    message_id: str | None = None,
    error: str | None = None,
) -> Outcome:
    """What became of the candidate's send, claimed at `now`."""
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
        program_version=run.program.version or None,
    )


def flush_when_full(run: JobRun) -> None:
    """Flush once the outcomes since the last flush fill a chunk."""
    if run.log.outcome_items >= OUTCOME_CHUNK:
        flush(run)


def flush(run: JobRun) -> None:
    """Write the outcomes of the sends since the last flush and their next step, and what is parked;
    announce the coupons they issued."""
    log = run.log
    log.parked += next_step(run.job, run.campaign, log.sent, run.now)
    if log.outcomes or log.parked:
        run.deps.records.write(log.outcomes, log.parked)
    log.outcomes, log.outcome_items, log.sent, log.parked = [], 0, [], []
    announce_coupons(run)
    log.coupons = []


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


def count(run: JobRun) -> None:
    """Add the tally's per-cell counts (and the emails sent) to the campaign's counters, with the
    cell's sends (each claim that ended in an outcome) counted under the job's program version."""
    messaging, job, version = run.deps.messaging, run.job, run.program.version
    for (arm, segment), counts in run.tally.take().items():
        sends = sum(counts[str(status)] for status in SendStatus)
        if version and sends:
            counts[program_counter(version)] += sends
            run.tally.total[program_counter(version)] += sends
        messaging.add_cell(job.campaign_id, job.step, arm, segment, counts)
    if run.log.sent_email:
        messaging.add_totals(job.campaign_id, {"sent_email": run.log.sent_email})
        run.log.sent_email = 0
