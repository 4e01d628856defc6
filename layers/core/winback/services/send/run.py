"""The send job, step by step: load context → guards → (pace) → claim → deliver → record → next step."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import TYPE_CHECKING

from winback.config.incentives import CouponIncentive
from winback.services.send import record
from winback.services.send.claim import claim
from winback.services.send.deliver import SendThrottled, deliver, prepare
from winback.services.send.guards import PAUSE_RECHECK, Candidate, screen
from winback.services.send.next_step import next_step, park
from winback.services.send.record import Plan, Tally, count, flush
from winback.services.send_content import recommend_for_job

if TYPE_CHECKING:
    from winback.config.campaigns import Campaign
    from winback.config.program import Program
    from winback.models.jobs import Recipient, SendJob
    from winback.services.send.ports import SendDeps
    from winback.services.send_content import JobRecommendations

# One more provider call may take the client's read timeout (10 s) plus the chunk's writes.
MIN_TIME_LEFT_MS = 15_000


def send_job(
    job: SendJob, program: Program, deps: SendDeps, time_left_ms: Callable[[], int] | None = None
) -> Counter[str]:
    """Send one job's step; `time_left_ms` is the Lambda's remaining time (None: unbounded)."""
    campaign = program.campaign(job.campaign_id)
    now = deps.clock.now()
    tally = Tally(deps.observe)
    ctx = deps.context.load(job, _coupon_steps(campaign, job.step), campaign.step_channels(job.step))

    if ctx.campaign_paused:
        # Nothing is lost while a campaign is paused: the job waits and is looked at again hourly.
        deps.records.write([], [park(job, job.recipients, now + PAUSE_RECHECK, "paused")])
        tally.total["paused"] += len(job.recipients)
        return tally.total
    if job.not_after is not None and now > job.not_after:
        for recipient in job.recipients:
            tally.add(recipient, "dropped")
        count(deps, job, tally, Plan())
        return tally.total

    plan = Plan()
    branch_skipped: list[Recipient] = []
    ready = screen(job, campaign, program, ctx, deps, plan, tally, now, branch_skipped)
    # Recommendations picked once per user, their catalog items in one batch read for the whole job.
    recommended = recommend_for_job(
        ((c.profile, c.template, c.channel) for c in ready), program, deps.recommender, deps.catalog
    )

    throttled: SendThrottled | None = None
    try:
        for i, item in enumerate(ready):
            if time_left_ms is not None and time_left_ms() < MIN_TIME_LEFT_MS:
                # Stop before the function's timeout can cut a send short; the rest waits for the
                # next release (within the step's deadline) instead of a redelivery towards the DLQ.
                for rest in ready[i:]:
                    plan.hold(job, rest.recipient, now, "requeued", tally)
                break
            if item.channel in plan.paused_channels:
                # An account-level answer paused the channel during this job: the message waits, unclaimed.
                tally.add(item.recipient, "channel_paused")
                plan.hold(job, item.recipient, now + PAUSE_RECHECK, "channel_paused", tally)
                continue
            _send_one(item, job, campaign, program, deps, plan, tally, ctx.coupon_steps_read, recommended)
            if len(plan.outcomes) >= record.OUTCOME_CHUNK:
                flush(deps, job, campaign, plan, now, tally)
    except SendThrottled as exc:
        throttled = exc
    except Exception:
        # What is known, before the job is redelivered (the held recipients are decided again then).
        flush(deps, job, campaign, plan, now, tally)
        count(deps, job, tally, plan)
        raise
    # Users the step's `when` skipped were never claimed: a redelivery decides for them again.
    plan.parked += next_step(job, campaign, branch_skipped, now)
    plan.parked += [park(job, recipients, due, kind) for (due, kind), recipients in plan.deferred.items()]
    flush(deps, job, campaign, plan, now, tally)
    count(deps, job, tally, plan)
    if throttled is not None:
        # The provider's error stays the cause: an account-level one (a pause) is told from a throttle.
        raise SendThrottled(f"throttled after {tally.total['sent']} sends") from throttled.__cause__
    return tally.total


def _coupon_steps(campaign: Campaign, step: int) -> set[int]:
    """The steps whose coupons this step may show: its own, and the one a reminder repeats."""
    spec = campaign.steps[step]
    steps = {step} if isinstance(spec.incentive, CouponIncentive) else set()
    return steps | ({spec.coupon_from_step} if spec.coupon_from_step is not None else set())


def _send_one(
    item: Candidate,
    job: SendJob,
    campaign: Campaign,
    program: Program,
    deps: SendDeps,
    plan: Plan,
    tally: Tally,
    coupons_read: frozenset[int],
    recommended: JobRecommendations | None = None,
) -> None:
    if not _paced(item, job, deps, plan, tally):
        return
    now = deps.clock.now()
    also = claim(item, job, program, deps, plan, tally)
    if also is None:
        return
    try:
        message = prepare(item, job, campaign, program, deps, plan, tally, now, coupons_read, recommended)
    except Exception:
        # Nothing went out: give the claim back so the redelivered job sends it (not `already_sent`).
        deps.messaging.release(item.recipient.user_id, item.key, item.channel, also)
        raise
    deliver(item, job, deps, plan, tally, now, message, also)


def _paced(item: Candidate, job: SendJob, deps: SendDeps, plan: Plan, tally: Tally) -> bool:
    """ "May I send now?" (ports.Pacer), before anything is claimed: True when the provider's limits let
    this message go now (after a short wait, slept by the pacer). Over the rate or the 24-hour quota,
    this and the job's later messages on the channel wait, unclaimed, for the next window (kind `rate`
    or `quota`; dropped past the step's deadline): none fails into the DLQ."""
    pace = plan.paced_out.get(item.channel) or deps.pacer.admit(item.channel, deps.clock.now(), job.not_after)
    if pace.until is None:
        return True
    plan.paced_out[item.channel] = pace
    if pace.action == "defer":
        tally.add(item.recipient, f"deferred_by_{pace.kind}")
    plan.hold(job, item.recipient, pace.until, pace.kind, tally)
    return False
