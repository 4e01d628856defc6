"""The send job, step by step: load context → guards → (pace) → claim → deliver → record → next step."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from winback.config.incentives import CouponIncentive
from winback.runtime.observability import logger
from winback.services.send.claim import claim, release
from winback.services.send.content import recommend_for_job
from winback.services.send.deliver import deliver, prepare
from winback.services.send.gone import without_gone
from winback.services.send.guards import PAUSE_RECHECK, Candidate, screen
from winback.services.send.job_run import JobRun, Tally
from winback.services.send.next_step import next_step, park
from winback.services.send.pacing import wait
from winback.services.send.record import flush, flush_when_full

if TYPE_CHECKING:
    from collections import Counter

    from winback.config.campaigns import Campaign
    from winback.config.program import Program
    from winback.models.jobs import SendJob
    from winback.services.send.ports import SendDeps

# One more provider call may take the client's read timeout (10 s) plus the chunk's writes.
MIN_TIME_LEFT_MS = 15_000


def send_job(
    job: SendJob, program: Program, deps: SendDeps, time_left_ms: Callable[[], int] | None = None
) -> Counter[str]:
    """Send one job's step; `time_left_ms` is the Lambda's remaining time (None: unbounded)."""
    campaign = program.campaign(job.campaign_id)
    now = deps.clock.now()
    tally = Tally(deps.observe)
    context = deps.context.load(job, _coupon_steps(campaign, job.step), campaign.step_channels(job.step))
    job = without_gone(job, context, tally)
    run = JobRun(job, campaign, program, deps, now, context, tally)
    if not job.recipients or not _campaign_may_send(run):
        flush(run)  # the gone users' counts; a gate that parked or dropped the job flushed already
        return tally.total
    ready = screen(run)
    # Recommendations picked once per user, their catalog items in one batch read for the whole job.
    run.recommended = recommend_for_job(
        ((c.profile, c.template, c.channel) for c in ready), program, deps.recommender, deps.catalog
    )
    try:
        _send_all(run, ready, time_left_ms)
    except Exception:
        # What is known, before the job is redelivered (the held recipients are decided again then).
        _salvage(run)
        raise
    _finish(run)
    return tally.total


def _coupon_steps(campaign: Campaign, step: int) -> set[int]:
    """The steps whose coupons this step may show: its own, and the one a reminder repeats."""
    spec = campaign.steps[step]
    steps = {step} if isinstance(spec.incentive, CouponIncentive) else set()
    return steps | ({spec.coupon_from_step} if spec.coupon_from_step is not None else set())


def _campaign_may_send(run: JobRun) -> bool:
    """The job-level gates: sending off on the stack or a paused campaign parks the whole job (nothing
    is lost, it is looked at again hourly); past the step's deadline every recipient is dropped."""
    job, now = run.job, run.now
    if not run.context.sending_on and (job.not_after is None or now <= job.not_after):
        _hold_while_sending_off(run)
        return False
    if run.context.campaign_paused:
        run.log.parked.append(park(job, job.recipients, now + PAUSE_RECHECK, "paused"))
        flush(run)
        run.tally.total["paused"] += len(job.recipients)
        return False
    if job.not_after is not None and now > job.not_after:
        for recipient in job.recipients:
            run.tally.add(recipient, "dropped")
        flush(run)
        return False
    return True


def _hold_while_sending_off(run: JobRun) -> None:
    """Sending is off (a new stack until `winback enable-sending`, or turned off by the operator): the
    job waits whole, unclaimed, and is looked at again in an hour. The wait does not count against
    the step's deadline (its `not_after` moves with it), so turning sending on late drops nobody."""
    job = run.job
    held = job if job.not_after is None else job.model_copy(update={"not_after": job.not_after + PAUSE_RECHECK})
    run.log.parked.append(park(held, job.recipients, run.now + PAUSE_RECHECK, "sending_off"))
    flush(run)
    run.tally.total["sending_off"] += len(job.recipients)


def _send_all(run: JobRun, ready: list[Candidate], time_left_ms: Callable[[], int] | None) -> None:
    for i, item in enumerate(ready):
        if time_left_ms is not None and time_left_ms() < MIN_TIME_LEFT_MS:
            # Stop before the function's timeout can cut a send short; the rest waits for the
            # next release (within the step's deadline) instead of a redelivery towards the DLQ.
            for rest in ready[i:]:
                run.hold(rest.recipient, run.now, "requeued")
            return
        if item.channel in run.paused_channels:
            # An account-level answer paused the channel during this job: the message waits, unclaimed.
            run.tally.add(item.recipient, "channel_paused")
            run.hold(item.recipient, run.now + PAUSE_RECHECK, "channel_paused")
            continue
        _send_one(run, item)
        flush_when_full(run)


def _finish(run: JobRun) -> None:
    """Park what waits (the skipped users' next step, the held recipients) and write it with the
    last outcomes and counters."""
    job, log = run.job, run.log
    # Users the step's `when` skipped were never claimed: a redelivery decides for them again.
    log.parked += next_step(job, run.campaign, run.branch_skipped, run.now)
    log.parked += [park(job, recipients, due, kind) for (due, kind), recipients in log.held.items()]
    flush(run)


def _salvage(run: JobRun) -> None:
    """Before an error sends the job back: write what is known, unless the store is what failed
    (then the sweeper finishes the claims from their notes)."""
    try:
        flush(run)
    except Exception:  # the job's own error is the one raised
        logger.warning("the job's last outcomes are left to the sweeper", extra={"campaign_id": run.job.campaign_id})


def _send_one(run: JobRun, item: Candidate) -> None:
    if not _paced(run, item):
        return
    now = run.deps.clock.now()
    also = claim(run, item)
    if also is None:
        return
    try:
        message = prepare(run, item, now)
    except Exception:
        # Nothing went out: give the claim back so the redelivered job sends it (not `already_sent`).
        release(run, item, now, also)
        raise
    deliver(run, item, now, message, also)


def _paced(run: JobRun, item: Candidate) -> bool:
    """ "May I send now?" (ports.Pacer), before anything is claimed: True when the provider's limits let
    this message go now (after a short wait, slept by the pacer). Over the rate or the 24-hour quota,
    this and the job's later messages on the channel wait, unclaimed, for the next window (kind `rate`
    or `quota`; dropped past the step's deadline): none fails into the DLQ. A throttle the pacer did not
    foresee does the same (deliver.py, pacing.defer_after_throttle)."""
    deps = run.deps
    pace = run.paced_out.get(item.channel) or deps.pacer.admit(item.channel, deps.clock.now(), run.job.not_after)
    if pace.until is None:
        return True
    wait(run, item, pace)
    return False
