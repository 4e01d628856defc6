"""`winback preview`: a campaign step exactly as the sender would send it, written nowhere.

For a stored user (`--user ID`) or a made-up one (`--sample`, the default), in an arm (`--variant`,
default: the user's own) and a locale (`--locale`, default: the user's), every channel of the step is
composed by the sender's own code (winback.services.send.compose: template variables, rendering,
tracked links, signed unsubscribe and reason links, recommendations, tags), and the sender's own
guards (services/send/guards.screen, over the user's stored context) say what would happen to that
user now: sent on which channel, held until when, or not sent and why.

Nothing is written. The offer is a placeholder (a code that is not one) unless the user already holds
the coupon the step would send again; no coupon is issued, no offer granted, no claim taken: the
ports that could write are absent (a call to one fails), and the CLI runs the command in
`read_only()`, where any AWS call that is not a read raises.

Links: every template variable named `*_url` or `*_urls` is listed, so a link the sender starts
providing (the preference centre's) shows here without a change to this module.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

from winback.config.campaigns import HOLDOUT, Campaign, ChannelName
from winback.config.incentives import CouponIncentive, OfferIncentive
from winback.content.locales import available_locales, resolve_locale
from winback.domain.audience.segmentation import RfmSegmenter
from winback.domain.journey.addresses import contact_address
from winback.domain.journey.coupons import coupon_expiry, coupon_value_minor
from winback.domain.journey.dormancy import dormant_since
from winback.domain.journey.preferences import own_cap_room_at
from winback.domain.measurement.arms import assign
from winback.models.coupons import IssuedCoupon
from winback.models.jobs import Recipient, SendJob
from winback.models.profile import Profile
from winback.models.send_context import SendContext
from winback.models.send_state import send_key
from winback.services.send.compose import Draft, Signer, compose
from winback.services.send.content import JobRecommendations, Message, coupon_variables, recommend_for_job
from winback.services.send.guards import Candidate, screen
from winback.services.send.job_run import JobRun, Tally
from winback_dev.command_errors import CommandError
from winback_dev.guard_view import capped, guard_deps
from winback_dev.message_checks import SubjectFit, subject_fit
from winback_dev.sms_segments import SmsParts, sms_parts

if TYPE_CHECKING:
    from winback.config.program import Program
    from winback.domain.audience.recommendations import Recommender
    from winback.domain.clock import Clock
    from winback.models.outbound import Outbound
    from winback.models.population import PopulationStats
    from winback.services.send.ports import Catalog, ContextLoader, Suppressions

SAMPLE_USER = "preview-sample"
# Looks like a code, is not one: no coupon is issued for a preview or a test send.
PLACEHOLDER_CODE = "WB-XXXX-XXXX-XXXX-XXXX"


class PreviewError(CommandError):
    """The request names a campaign, step, arm, user or locale that does not exist."""


class ProfileReader(Protocol):
    def get(self, user_id: str) -> Profile | None: ...


@dataclass(frozen=True)
class Sources:
    """What a preview reads: the program, the stores (reads only), the links' signer and the clock."""

    program: Program
    profiles: ProfileReader
    context: ContextLoader
    suppression: Suppressions
    recommender: Recommender
    signer: Signer
    clock: Clock
    catalog: Catalog | None = None
    stats: PopulationStats | None = None


@dataclass(frozen=True)
class PreviewRequest:
    campaign_id: str
    step: int
    variant: str | None = None
    user_id: str | None = None  # None: the sample user
    locale: str | None = None
    channels: tuple[ChannelName, ...] | None = None  # None: every channel of the step
    placeholder_offer: bool = False  # True: never a real coupon, even one the user holds (test sends)
    address: str | None = None  # the address every rendering goes to (a test send's); None: the user's


@dataclass(frozen=True)
class Rendering:
    """One channel's message, as its channel would get it, and what a preview flags in it."""

    channel: ChannelName
    outbound: Outbound
    links: dict[str, str]
    subject: SubjectFit | None = None  # email
    sms: SmsParts | None = None  # sms


@dataclass(frozen=True)
class Preview:
    campaign_id: str
    step: int
    template: str
    arm: str
    segment: str
    episode: str
    locale: str
    user: str
    sample: bool
    verdict: str
    offer: dict[str, str] | None  # as the templates show it: code, amount, expires
    offer_note: str
    recommendations: list[dict[str, Any]] = field(default_factory=list)
    renderings: list[Rendering] = field(default_factory=list)

    def rendering(self, channel: str) -> Rendering | None:
        return next((r for r in self.renderings if r.channel == channel), None)


def link_variables(values: Mapping[str, Any]) -> dict[str, str]:
    """Every link the templates were given: `*_url` variables, and each entry of `*_urls` ones."""
    found: dict[str, str] = {}
    for name, value in sorted(values.items()):
        if name.endswith("_url") and isinstance(value, str):
            found[name] = value
        elif name.endswith("_urls") and isinstance(value, Mapping):
            found.update({f"{name}.{key}": str(url) for key, url in value.items()})
    return found


# --- who: the user, their arm, segment and episode ---------------------------------------------------


def sample_profile(program: Program, campaign: Campaign, now: datetime, locale: str) -> Profile:
    """A made-up user in the campaign's first tier, reachable on every channel, with a little history."""
    tiers = {t.name: t.after_days for t in program.dormancy.tiers}
    quiet_days = min(tiers[name] for name in campaign.tiers) + 1
    last = now - timedelta(days=quiet_days)
    signal = "order" if program.dormancy.signal == "any" else program.dormancy.signal
    return Profile(
        user_id=SAMPLE_USER,
        first_seen_at=last - timedelta(days=365),
        last_seen_at=last,
        last_event_at={signal: last, "login": last},
        event_counts={"login": 12, "order": 3},
        orders=3,
        spend_minor={program.segments.base_currency: 12_900},
        name="Alex",
        email="sample@example.com",
        phone="+15555550123",
        push_endpoint="arn:aws:sns:us-east-1:123456789012:endpoint/APNS/winback/preview-sample",
        locale=locale,
        time_zone=program.default_time_zone,
        consent={"email": True, "sms": True, "push": True},
    )


def _locale(requested: str | None, profile_locale: str | None, program: Program) -> str:
    if requested is None:
        return resolve_locale(profile_locale, program.default_locale)
    locale = resolve_locale(requested, "")
    if not locale:
        raise PreviewError(f"no locale {requested!r}: the locales are {', '.join(available_locales())}")
    return locale


def _profile(request: PreviewRequest, sources: Sources, campaign: Campaign, now: datetime) -> Profile:
    if request.user_id is None:
        locale = _locale(request.locale, None, sources.program)
        return sample_profile(sources.program, campaign, now, locale)
    profile = sources.profiles.get(request.user_id)
    if profile is None:
        raise PreviewError(f"no user {request.user_id!r} in the activity table")
    return profile


def _arm(request: PreviewRequest, campaign: Campaign, profile: Profile, program: Program) -> str:
    if request.variant is not None:
        if campaign.variant(request.variant) is None:
            variants = ", ".join(v.id for v in campaign.variants)
            raise PreviewError(f"campaign {campaign.id} has no variant {request.variant!r} (it has {variants})")
        return request.variant
    if request.user_id is None:
        return campaign.variants[0].id
    a = profile.assignment
    if a is not None and a.campaign_id == campaign.id:
        return a.arm
    return assign(campaign, profile.user_id, program.holdout_percent(campaign))


def _recipient(request: PreviewRequest, campaign: Campaign, profile: Profile, sources: Sources) -> Recipient:
    """The user as a send job would carry them: their assignment in this campaign, or what the scan
    would assign them now."""
    program, now = sources.program, sources.clock.now()
    a = profile.assignment if profile.assignment and profile.assignment.campaign_id == campaign.id else None
    since = dormant_since(profile, program.dormancy)
    episode = a.episode if a is not None else (since or now).isoformat()
    segment = a.segment if a is not None else RfmSegmenter(program, sources.stats)(profile, now).rfm
    return Recipient(
        user_id=profile.user_id, episode=episode, arm=_arm(request, campaign, profile, program), segment=segment
    )


# --- what the sender would do: its guards over the stored context ------------------------------------


def coupon_steps(campaign: Campaign, step: int) -> set[int]:
    """The steps whose coupons a step may show: its own, and the one a reminder repeats."""
    spec = campaign.steps[step]
    steps = {step} if isinstance(spec.incentive, CouponIncentive) else set()
    return steps | ({spec.coupon_from_step} if spec.coupon_from_step is not None else set())


def _context(
    request: PreviewRequest, sources: Sources, job: SendJob, campaign: Campaign, profile: Profile
) -> SendContext:
    if request.user_id is None:
        return SendContext(profiles={profile.user_id: profile})
    return sources.context.load(job, coupon_steps(campaign, job.step), campaign.step_channels(job.step))


HELD = "held until {until:%Y-%m-%d %H:%M} UTC ({kind})"
NOT_SENT = {
    "missing_profile": "not sent: the user has no profile",
    "active_again": "not sent: the user is active again, so they left the journey",
    "already_sent": "not sent: this step already went to the user in this episode",
    "journey_stopped": 'not sent: their answer to "why did you leave" stops the journey',
    "branch_skipped": "skipped: the step's `when` does not hold for the user (the journey goes on)",
    "no_channel": "not sent: no channel of the step has both consent and an address",
    "suppressed": "not sent: the address of every channel the user has is suppressed",
}


def _verdict(run: JobRun, ready: list[Candidate], outside: str | None) -> str:
    """What the sender would do with the user now, in the guards' order."""
    if outside is not None:
        return outside
    if run.context.campaign_paused:
        return "held: the campaign is paused (winback resume CAMPAIGN)"
    if ready:
        candidate = ready[0]
        if own_cap_room_at(candidate.profile, candidate.state.ledger, run.now) is not None:
            return "held: the user's own cap (fewer messages, on the preference page) is full"
        if capped(candidate, run.program, run.now):
            return f"held: the frequency cap of {candidate.channel} is full"
        return f"would send on {candidate.channel} now"
    held = next(iter(run.log.held), None)
    if held is not None:
        until, kind = held
        return HELD.format(until=until.astimezone(UTC), kind=kind)
    reasons = [NOT_SENT[name] for name in run.tally.total if name in NOT_SENT]
    return reasons[0] if reasons else "not sent: " + ", ".join(sorted(run.tally.total))


def _outside(request: PreviewRequest, profile: Profile, recipient: Recipient, campaign: Campaign) -> str | None:
    """Why the user is in none of the campaign's send jobs (the guards never see them), if so."""
    if recipient.arm == HOLDOUT:
        return "not sent: the user is in the holdout (never messaged; shown as the first variant)"
    a = profile.assignment
    if request.user_id is not None and (a is None or a.campaign_id != campaign.id):
        where = f"assigned to {a.campaign_id}" if a is not None else "not assigned to any campaign"
        return f"not sent: the user is {where}, not in {campaign.id} (shown as the scan would assign them)"
    return None


# --- the offer ----------------------------------------------------------------------------------------


def _placeholder(
    incentive: CouponIncentive, recipient: Recipient, campaign_id: str, step: int, now: datetime
) -> IssuedCoupon:
    return IssuedCoupon(
        PLACEHOLDER_CODE,
        recipient.user_id,
        campaign_id,
        step,
        recipient.episode,
        coupon_value_minor(incentive, recipient.segment),
        incentive.currency,
        coupon_expiry(incentive, now),
    )


def _reminder(
    campaign: Campaign, step: int, recipient: Recipient, held: Mapping[int, IssuedCoupon], now: datetime
) -> tuple[IssuedCoupon | None, str]:
    source = campaign.steps[step].coupon_from_step
    assert source is not None
    earlier = held.get(source)
    if earlier is not None and earlier.expires_at > now:
        return earlier, f"the coupon step {source} issued to the user"
    incentive = campaign.steps[source].incentive
    assert isinstance(incentive, CouponIncentive)  # the program's validation guarantees it
    note = f"placeholder: the sender shows the coupon step {source} issued, while it is valid (none is issued here)"
    return _placeholder(incentive, recipient, campaign.id, source, now), note


def offer(
    campaign: Campaign, step: int, recipient: Recipient, held: Mapping[int, IssuedCoupon], now: datetime
) -> tuple[IssuedCoupon | None, str]:
    """The step's offer for the user as the sender would show it, from the coupons they `held` (by step);
    a placeholder where the sender would issue one. Nothing is issued or granted."""
    spec = campaign.steps[step]
    variant = campaign.variant(recipient.arm)
    if variant is not None and not variant.incentives:
        return None, f"none: arm {variant.id} gets the steps without their offers"
    if spec.coupon_from_step is not None:
        return _reminder(campaign, step, recipient, held, now)
    if isinstance(spec.incentive, CouponIncentive):
        if step in held:
            return held[step], "the coupon issued to the user before (sent again as it was)"
        note = "placeholder: a coupon is issued when the message is sent, within the campaign's budget"
        return _placeholder(spec.incentive, recipient, campaign.id, step, now), note
    if isinstance(spec.incentive, OfferIncentive):
        return (
            None,
            f"{spec.incentive.kind} {spec.incentive.value} announced on the offers bus: {spec.incentive.description}",
        )
    return None, "none"


# --- the renderings -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Composing:
    """What every channel's rendering shares."""

    sources: Sources
    campaign: Campaign
    step: int
    recipient: Recipient
    profile: Profile
    template: str
    locale: str
    coupon: IssuedCoupon | None
    recommended: JobRecommendations
    address: str | None


def _render(c: _Composing, channel: ChannelName) -> tuple[Rendering, Mapping[str, Any]]:
    program, now = c.sources.program, c.sources.clock.now()
    arm = c.recipient.arm if c.recipient.arm != HOLDOUT else c.campaign.variants[0].id
    message = Message(c.profile, channel, c.campaign.id, c.step, arm, c.recipient.episode, c.locale)
    address = c.address if c.address is not None else contact_address(channel, c.profile) or ""
    draft = Draft(
        message, c.template, address, send_key(c.campaign.id, c.step, c.recipient.episode), c.recipient.segment
    )
    composed = compose(draft, program, c.sources.recommender, c.sources.signer, c.coupon, now, c.recommended)
    content = composed.outbound.content
    rendering = Rendering(
        channel=channel,
        outbound=composed.outbound,
        links=link_variables(composed.variables),
        subject=subject_fit(content.subject) if channel == "email" else None,
        sms=sms_parts(content.text) if channel == "sms" else None,
    )
    return rendering, composed.variables


def _campaign(program: Program, request: PreviewRequest) -> Campaign:
    try:
        campaign = program.campaign(request.campaign_id)
    except KeyError:
        raise PreviewError(
            f"no campaign {request.campaign_id!r} (the program has {', '.join(c.id for c in program.campaigns)})"
        ) from None
    if not 0 <= request.step < len(campaign.steps):
        raise PreviewError(f"campaign {campaign.id} has steps 0 to {len(campaign.steps) - 1}, not {request.step}")
    return campaign


def build_preview(request: PreviewRequest, sources: Sources) -> Preview:
    """The step as the sender would send it to the user now, every channel of it; raises PreviewError."""
    program, now = sources.program, sources.clock.now()
    campaign = _campaign(program, request)
    profile = _profile(request, sources, campaign, now)
    recipient = _recipient(request, campaign, profile, sources)
    job = SendJob(
        run_id="preview", campaign_id=campaign.id, step=request.step, tier=campaign.tiers[0], recipients=[recipient]
    )
    context = _context(request, sources, job, campaign, profile)
    deps = guard_deps(sources.context, sources.suppression, sources.recommender, sources.clock, sources.signer)
    run = JobRun(job, campaign, program, deps, now, context, Tally())
    ready = screen(run)
    template = ready[0].template if ready else campaign.template_for(request.step, recipient.arm)
    held = {} if request.placeholder_offer else context.coupons.get(profile.user_id, {})
    coupon, note = offer(campaign, request.step, recipient, held, now)
    channels = request.channels or campaign.step_channels(request.step)
    recommended = recommend_for_job(
        ((profile, template, ch) for ch in channels), program, sources.recommender, sources.catalog
    )
    locale = _locale(request.locale, profile.locale, program)
    composing = _Composing(
        sources, campaign, request.step, recipient, profile, template, locale, coupon, recommended, request.address
    )
    rendered = [_render(composing, ch) for ch in channels]
    shown = next((v.get("recommendations") for _, v in rendered if v.get("recommendations")), None)
    return Preview(
        campaign_id=campaign.id,
        step=request.step,
        template=template,
        arm=recipient.arm,
        segment=recipient.segment,
        episode=recipient.episode,
        locale=locale,
        user=profile.user_id,
        sample=request.user_id is None,
        verdict=_verdict(run, ready, _outside(request, profile, recipient, campaign)),
        offer=coupon_variables(coupon, profile, program),
        offer_note=note,
        recommendations=list(shown or []),
        renderings=[r for r, _ in rendered],
    )


def live_sources(signer: Signer | None = None) -> Sources:
    """Sources over the stack the environment names (a deployed one after `--stack-name`); the links
    signed with the stack's unsubscribe key unless `signer` says otherwise."""
    from winback.runtime.deps import deps

    d = deps()
    return Sources(
        program=d.program,
        profiles=d.activity,
        context=d.send_context,
        suppression=d.suppression,
        recommender=d.recommender,
        signer=signer or Signer(d.unsubscribe_key, d.settings.public_base_url),
        clock=d.clock,
        catalog=d.catalog,
        stats=d.population_stats.load(),
    )
