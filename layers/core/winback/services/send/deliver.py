"""Deliver: prepare the message (offer, render: everything that can fail before the provider), then
one provider call through the channel, its answer classified (sent, failed, uncertain, throttled; an
account-level answer pauses the channel; a dead push endpoint is suppressed)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from winback.adapters.channels import AccountPaused, AddressGone, Rejected, Throttled, Uncertain
from winback.adapters.messaging_store import FAILED, SENT, UNCERTAIN
from winback.adapters.offer_bus import OfferNotPublished
from winback.adapters.sms_lookup import sms_sent_item
from winback.config.incentives import CouponIncentive, OfferIncentive
from winback.content.locales import resolve_locale
from winback.content.rendering import render
from winback.domain.journey.addresses import address_key
from winback.domain.journey.coupons import coupon_expiry, coupon_value_minor
from winback.domain.journey.engagement import user_tag
from winback.models.outbound import Outbound
from winback.runtime.observability import logger
from winback.services.channel_pause import pause_for_account
from winback.services.send.guards import PAUSE_RECHECK
from winback.services.send.record import outcome_record
from winback.services.send_content import Message, variables

if TYPE_CHECKING:
    from winback.adapters.coupon_store import IssuedCoupon
    from winback.config.campaigns import Campaign
    from winback.config.program import Program
    from winback.models.jobs import SendJob
    from winback.services.send.guards import Candidate
    from winback.services.send.ports import SendDeps
    from winback.services.send.record import Plan, Tally
    from winback.services.send_content import JobRecommendations

PUSH_ENDPOINT_GONE = "push_endpoint_disabled"  # suppression reason: SNS disabled or deleted the endpoint


class SendThrottled(Exception):
    """The provider throttled (certainly not sent); the job goes back to the queue."""


def prepare(
    item: Candidate,
    job: SendJob,
    campaign: Campaign,
    program: Program,
    deps: SendDeps,
    plan: Plan,
    tally: Tally,
    now: datetime,
    coupons_read: frozenset[int] = frozenset(),
    recommended: JobRecommendations | None = None,
) -> Outbound:
    """The offer and the rendered message: everything that can fail before the provider is called.
    `coupons_read`: the steps whose coupons the context read (`item.coupons`), not read again;
    `recommended`: the job's recommendations and their catalog items, picked once per job."""
    coupon = _incentive(item, job, campaign, deps, plan, tally, now, coupons_read)
    message = Message(
        profile=item.profile,
        channel=item.channel,
        campaign_id=job.campaign_id,
        step=job.step,
        arm=item.recipient.arm,
        episode=item.recipient.episode,
        locale=resolve_locale(item.profile.locale, program.default_locale),
    )
    values = variables(
        message,
        item.template,
        program,
        deps.recommender,
        coupon,
        deps.unsubscribe_key,
        deps.public_base_url,
        now,
        recommended,
    )
    r = item.recipient
    return Outbound(
        channel=item.channel,
        user_id=r.user_id,
        address=item.address,
        key=item.key,
        content=render(item.template, item.channel, message.locale, values),
        campaign_id=job.campaign_id,
        step=job.step,
        cta_url=str(values["cta_url"]),
        unsubscribe_url=str(values["unsubscribe_url"]),
        tags={
            "campaign": job.campaign_id,
            "step": str(job.step),
            "arm": r.arm,
            "segment": r.segment,
            "user": user_tag(r.user_id),  # feedback finds the profile an open or click belongs to
        }
        if item.channel == "email"
        else {},
    )


def deliver(
    item: Candidate,
    job: SendJob,
    deps: SendDeps,
    plan: Plan,
    tally: Tally,
    now: datetime,
    message: Outbound,
    also: tuple[str, ...] = (),
) -> None:
    """One provider call; its outcome goes into `plan` (written at the next flush). `also`: the
    caps besides the channel's the claim took a slot of (given back with it on a throttle)."""
    user_id = item.recipient.user_id
    record = outcome_record(job, item.recipient, item.key, item.channel, item.template, now)
    try:
        message_id = deps.channels[item.channel].send(message)
    except AccountPaused as exc:
        # Not this message's fault: give the claim back, pause the channel, let the message wait.
        deps.messaging.release(user_id, item.key, item.channel, also)
        if deps.pauses is not None:
            pause_for_account(deps.pauses, item.channel, exc.code, exc.lifts, now)
        plan.paused_channels.add(item.channel)
        tally.add(item.recipient, "channel_paused")
        plan.hold(job, item.recipient, now + PAUSE_RECHECK, "channel_paused", tally)
        return
    except Throttled as exc:
        deps.messaging.release(user_id, item.key, item.channel, also)
        tally.add(item.recipient, "throttled")
        raise SendThrottled(exc.code) from exc
    except AddressGone as exc:
        # A dead push endpoint: suppressed, so the next step goes to the user's next channel.
        deps.suppression.suppress(address_key(item.channel, item.address), PUSH_ENDPOINT_GONE, "sns", now)
        tally.add(item.recipient, "failed")
        tally.add(item.recipient, PUSH_ENDPOINT_GONE)
        plan.outcomes.append({**record, "status": FAILED, "error": exc.code})
        return
    except Rejected as exc:
        tally.add(item.recipient, "failed")
        logger.warning("provider rejected message", extra={"code": exc.code})
        logger.debug("provider rejected message for", extra={"user_id": user_id})
        plan.outcomes.append({**record, "status": FAILED, "error": exc.code})
        return
    except Uncertain as exc:
        tally.add(item.recipient, "uncertain")
        logger.warning("send outcome uncertain; stays claimed, never resent", extra={"code": exc.code})
        logger.debug("send outcome uncertain for", extra={"user_id": user_id})
        plan.outcomes.append({**record, "status": UNCERTAIN, "error": exc.code})
        return
    tally.add(item.recipient, "sent")
    tally.add(item.recipient, f"sent_{item.channel}")
    if item.channel == "email":
        plan.sent_email += 1
    if item.channel not in ("email", "sms"):
        # SES and SNS's SMS delivery-status logs report deliveries (feedback counts them); for push
        # and the inbox the provider's acceptance is the delivery.
        tally.add(item.recipient, "delivered")
    plan.sent.append(item.recipient)
    plan.outcomes.append({**record, "status": SENT, "message_id": message_id})
    if item.channel == "sms":
        plan.outcomes.append(sms_sent_item(message_id, record))  # written in the same batch


def _incentive(
    item: Candidate,
    job: SendJob,
    campaign: Campaign,
    deps: SendDeps,
    plan: Plan,
    tally: Tally,
    now: datetime,
    coupons_read: frozenset[int],
) -> IssuedCoupon | None:
    """The step's offer for this user: a coupon within the campaign's budget (None when spent: the
    message goes without an offer), or a grant announced on the offers bus."""
    step = campaign.steps[job.step]
    incentive = step.incentive
    variant = campaign.variant(item.recipient.arm)
    r = item.recipient
    if variant is not None and not variant.incentives:
        return None
    if step.coupon_from_step is not None:
        earlier = (
            item.coupons.get(step.coupon_from_step)
            if step.coupon_from_step in coupons_read
            else deps.coupons.issued(r.user_id, job.campaign_id, step.coupon_from_step, r.episode)
        )
        if earlier is not None and earlier.expires_at > now:
            return earlier
    if incentive is None:
        return None
    if isinstance(incentive, CouponIncentive):
        if job.step in item.coupons:
            tally.add(r, "coupon_issued")  # issued before this claim was released: the same coupon
            earlier_issue = item.coupons[job.step]
            if not earlier_issue.announced:
                plan.coupons.append((r, earlier_issue))
            return earlier_issue
        coupon = deps.coupons.issue(
            r.user_id,
            job.campaign_id,
            job.step,
            r.episode,
            coupon_value_minor(incentive, r.segment),
            incentive.currency,
            coupon_expiry(incentive, now),
            campaign.coupon_budget,
            now,
            pointer_absent=job.step in coupons_read,
        )
        tally.add(r, "coupon_issued" if coupon is not None else "offer_budget_spent")
        if coupon is not None and not coupon.announced:
            plan.coupons.append((r, coupon))  # CouponIssued on the offers bus with the next flush
        return coupon
    if isinstance(incentive, OfferIncentive) and deps.offers is not None:
        try:
            deps.offers.grant(r.user_id, job.campaign_id, job.step, r.episode, incentive, now)
            tally.add(r, "offer_granted")
        except OfferNotPublished:
            tally.add(r, "offer_unpublished")
            logger.warning("offer recorded but not yet announced", extra={"campaign_id": job.campaign_id})
            logger.debug("offer not announced for", extra={"user_id": r.user_id})
    return None
