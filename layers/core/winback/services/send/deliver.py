"""Deliver: prepare the message (offer, render: everything that can fail before the provider), then
one provider call through the channel, its answer classified (sent, failed, uncertain, throttled: the
rest of the job on the channel is deferred; an account-level answer pauses the channel; a dead push
endpoint is suppressed). Each outcome goes into the job's log with the counters its record adds
(written with it, record.py)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from winback.config.incentives import CouponIncentive, OfferIncentive
from winback.content.locales import resolve_locale
from winback.domain.journey.addresses import address_key
from winback.domain.journey.coupons import coupon_expiry, coupon_value_minor
from winback.domain.money import minor_units
from winback.models.delivery import AccountPaused, AddressGone, OfferNotPublished, Rejected, Throttled, Uncertain
from winback.models.outbound import Outbound
from winback.models.report import COUPON_ISSUED, coupon_value_counter, program_counter
from winback.models.send_state import SendStatus
from winback.runtime.observability import logger
from winback.services.channel_pause import pause_for_account
from winback.services.send.claim import release
from winback.services.send.compose import Draft, Signer, compose
from winback.services.send.content import Message
from winback.services.send.guards import PAUSE_RECHECK
from winback.services.send.pacing import defer_after_throttle
from winback.services.send.record import outcome, sent_counts

if TYPE_CHECKING:
    from winback.config.campaigns import Step
    from winback.models.coupons import IssuedCoupon
    from winback.services.send.guards import Candidate
    from winback.services.send.job_run import JobRun

PUSH_ENDPOINT_GONE = "push_endpoint_disabled"  # suppression reason: SNS disabled or deleted the endpoint


def prepare(run: JobRun, item: Candidate, now: datetime) -> Outbound:
    """The offer and the rendered message: everything that can fail before the provider is called.
    The coupons of the steps the context read (`item.coupons`) are not read again; the job's
    recommendations and their catalog items (`run.recommended`) were picked once per job."""
    job, program, r, deps = run.job, run.program, item.recipient, run.deps
    coupon = _incentive(run, item, now)
    message = Message(
        profile=item.profile,
        channel=item.channel,
        campaign_id=job.campaign_id,
        step=job.step,
        arm=r.arm,
        episode=r.episode,
        locale=resolve_locale(item.profile.locale, program.default_locale),
        address=item.address,
    )
    draft = Draft(message, item.template, item.address, item.key, r.segment)
    signer = Signer(deps.unsubscribe_key, deps.public_base_url)
    return compose(draft, program, deps.recommender, signer, coupon, now, run.recommended).outbound


def deliver(run: JobRun, item: Candidate, now: datetime, message: Outbound, also: tuple[str, ...] = ()) -> None:
    """One provider call; its outcome goes into the job's log (written at the next flush). `also`:
    the caps besides the channel's the claim took a slot of (given back with it on a throttle)."""
    try:
        message_id = run.deps.channels[item.channel].send(message)
    except AccountPaused as exc:
        # Not this message's fault: give the claim back, pause the channel, let the message wait.
        release(run, item, now, also)
        if run.deps.pauses is not None:
            pause_for_account(run.deps.pauses, item.channel, exc.code, exc.lifts, now)
        run.paused_channels.add(item.channel)
        run.tally.add(item.recipient, "channel_paused")
        run.hold(item.recipient, now + PAUSE_RECHECK, "channel_paused")
    except Throttled as exc:
        # Certainly not sent, and not foreseen by the pacer (another application on the account, a
        # quota read stale): the claim goes back and the rest of the job on the channel is paced out.
        release(run, item, now, also)
        run.tally.add(item.recipient, "throttled")
        logger.warning("provider throttled; the job's rest on the channel is deferred", extra={"code": exc.code})
        defer_after_throttle(run, item, now)
    except AddressGone as exc:
        # A dead push endpoint: suppressed, so the next step goes to the user's next channel.
        run.deps.suppression.suppress(address_key(item.channel, item.address), PUSH_ENDPOINT_GONE, "sns", now)
        _record(run, item, now, SendStatus.FAILED, ("failed", PUSH_ENDPOINT_GONE), error=exc.code)
    except Rejected as exc:
        logger.warning("provider rejected message", extra={"code": exc.code})
        logger.debug("provider rejected message for", extra={"user_id": item.recipient.user_id})
        _record(run, item, now, SendStatus.FAILED, ("failed",), error=exc.code)
    except Uncertain as exc:
        logger.warning("send outcome uncertain; stays claimed, never resent", extra={"code": exc.code})
        logger.debug("send outcome uncertain for", extra={"user_id": item.recipient.user_id})
        _record(run, item, now, SendStatus.UNCERTAIN, ("uncertain",), error=exc.code)
    else:
        _record(run, item, now, SendStatus.SENT, sent_counts(item.channel), message_id=message_id)


def _record(
    run: JobRun,
    item: Candidate,
    now: datetime,
    status: SendStatus,
    counts: tuple[str, ...],
    message_id: str | None = None,
    error: str | None = None,
) -> None:
    """The outcome into the job's log, with the counters its record adds to its cell (and the send
    counted under the program version the job ran)."""
    if run.program.version:
        counts = (*counts, program_counter(run.program.version))
    for name in counts:
        run.tally.add(item.recipient, name, in_cell=False)
    record = outcome(run, item, now, status, message_id=message_id, error=error, counts=counts)
    run.log.add_outcome(item.recipient, record)


def _incentive(run: JobRun, item: Candidate, now: datetime) -> IssuedCoupon | None:
    """The step's offer for this user: the coupon an earlier step issued (a reminder), a coupon within
    the campaign's budget (None when spent: the message goes without an offer), or a grant announced
    on the offers bus."""
    step = run.campaign.steps[run.job.step]
    variant = run.campaign.variant(item.recipient.arm)
    if variant is not None and not variant.incentives:
        return None
    earlier = _reminded_coupon(run, item, step, now)
    if earlier is not None:
        return earlier
    if step.incentive is not None and _below_value(run, item, step.incentive):
        run.tally.add(item.recipient, "incentive_below_value")
        return None
    if isinstance(step.incentive, CouponIncentive):
        return _coupon(run, item, step.incentive, now)
    if isinstance(step.incentive, OfferIncentive):
        _grant(run, item, step.incentive, now)
    return None


def _below_value(run: JobRun, item: Candidate, incentive: CouponIncentive | OfferIncentive) -> bool:
    """Whether the user's expected value at assignment is known and under the incentive's minimum."""
    assignment = item.profile.assignment
    if incentive.min_expected_value is None or assignment is None:
        return False
    if assignment.campaign_id != run.campaign.id or assignment.expected_value_minor is None:
        return False
    return assignment.expected_value_minor < minor_units(
        incentive.min_expected_value, run.program.segments.base_currency
    )


def _reminded_coupon(run: JobRun, item: Candidate, step: Step, now: datetime) -> IssuedCoupon | None:
    """The still valid coupon of the earlier step this one repeats, if it repeats one."""
    if step.coupon_from_step is None:
        return None
    r = item.recipient
    earlier = (
        item.coupons.get(step.coupon_from_step)
        if step.coupon_from_step in run.context.coupon_steps_read
        else run.deps.coupons.issued(r.user_id, run.job.campaign_id, step.coupon_from_step, r.episode)
    )
    return earlier if earlier is not None and earlier.expires_at > now else None


def _coupon(run: JobRun, item: Candidate, incentive: CouponIncentive, now: datetime) -> IssuedCoupon | None:
    """The step's coupon: the one issued before this claim was released, or a new one within budget."""
    job, r, tally = run.job, item.recipient, run.tally
    if job.step in item.coupons:
        earlier_issue = item.coupons[job.step]
        _count_issued(run, item, earlier_issue)  # issued before this claim was released: the same coupon
        if not earlier_issue.announced:
            run.log.coupons.append((r, earlier_issue))
        return earlier_issue
    coupon = run.deps.coupons.issue(
        r.user_id,
        job.campaign_id,
        job.step,
        r.episode,
        coupon_value_minor(incentive, r.segment),
        incentive.currency,
        coupon_expiry(incentive, now),
        run.campaign.coupon_budget,
        now,
        pointer_absent=job.step in run.context.coupon_steps_read,
    )
    if coupon is None:
        tally.add(r, "offer_budget_spent")
    else:
        _count_issued(run, item, coupon)
    if coupon is not None and not coupon.announced:
        run.log.coupons.append((r, coupon))  # CouponIssued on the offers bus with the next flush
    return coupon


def _count_issued(run: JobRun, item: Candidate, coupon: IssuedCoupon) -> None:
    """The coupon and its value, in the recipient's cell (the report's cost per reactivated user)."""
    run.tally.add(item.recipient, COUPON_ISSUED)
    run.tally.add_value(item.recipient, coupon_value_counter(coupon.currency), coupon.value_minor)


def _grant(run: JobRun, item: Candidate, incentive: OfferIncentive, now: datetime) -> None:
    """An offer another system fulfils, announced on the offers bus (none where there is no bus)."""
    offers, r = run.deps.offers, item.recipient
    if offers is None:
        return
    try:
        offers.grant(r.user_id, run.job.campaign_id, run.job.step, r.episode, incentive, now)
        run.tally.add(r, "offer_granted")
    except OfferNotPublished:
        run.tally.add(r, "offer_unpublished")
        logger.warning("offer recorded but not yet announced", extra={"campaign_id": run.job.campaign_id})
        logger.debug("offer not announced for", extra={"user_id": r.user_id})
