"""Compose: one message as the sender hands it to its channel, from the message, its template and
its offer: the template variables (content.py), the rendering, the links and the tags.

The sender composes every message here (deliver.prepare, after the offer is settled), and so does
the operator's preview and test send (winback_dev.preview): there is one rendering of a message.
Composing reads nothing and writes nothing but what the recommender may read.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from winback.content.rendering import render
from winback.domain.journey.engagement import episode_tag, user_tag
from winback.models.outbound import Outbound
from winback.services.send.content import variables

if TYPE_CHECKING:
    from winback.config.program import Program
    from winback.domain.audience.recommendations import Recommender
    from winback.models.coupons import IssuedCoupon
    from winback.services.send.content import JobRecommendations, Message


@dataclass(frozen=True)
class Signer:
    """What a message's links are signed with and where they lead: the unsubscribe key (unsubscribe,
    reason and preference-page links) and the stack's public base URL."""

    key: bytes
    base_url: str


@dataclass(frozen=True)
class Draft:
    """A message to compose: who and what (the Message), the template, the address and send key the
    channel gets, and the segment its email is tagged with."""

    message: Message
    template: str
    address: str
    key: str
    segment: str


def email_tags(draft: Draft) -> dict[str, str]:
    """What SES event publishing hands back to feedback: the experiment cell, the user and, with
    campaign and step, the send key (SES's `Send` event tells the sweeper the email went out)."""
    m = draft.message
    return {
        "campaign": m.campaign_id,
        "step": str(m.step),
        "arm": m.arm,
        "segment": draft.segment,
        "user": user_tag(m.profile.user_id),  # feedback finds the profile an open or click belongs to
        "episode": episode_tag(m.episode),
    }


@dataclass(frozen=True)
class Composed:
    """The channel's message, and the variables its template was rendered with (links, coupon,
    recommendations: what a preview shows beside the rendering)."""

    outbound: Outbound
    variables: Mapping[str, Any]


def compose(
    draft: Draft,
    program: Program,
    recommender: Recommender,
    signer: Signer,
    coupon: IssuedCoupon | None,
    now: datetime,
    recommended: JobRecommendations | None = None,
) -> Composed:
    """The channel's message: rendered from the template in the message's locale, with its links."""
    m = draft.message
    values = variables(m, draft.template, program, recommender, coupon, signer.key, signer.base_url, now, recommended)
    outbound = Outbound(
        channel=m.channel,
        user_id=m.profile.user_id,
        address=draft.address,
        key=draft.key,
        content=render(draft.template, m.channel, m.locale, values),
        campaign_id=m.campaign_id,
        step=m.step,
        cta_url=str(values["cta_url"]),
        unsubscribe_url=str(values["unsubscribe_url"]),
        tags=email_tags(draft) if m.channel == "email" else {},
    )
    return Composed(outbound, values)
