"""An email in Chromium, as the sender renders it: the real `send_job` and its rendering code, over the
in-memory world, with the stack's signing key and this server's address, so the footer's links lead
to the real pages. Then the whole loop: open the email, follow its preference link, pause, and the
next send (the real send handler, on moto) holds the message.

EMAIL_SOURCES maps a name to a function that renders one email (HTML) for a user: "sender" (the
send stage itself) and "preview" (`winback preview --user ID`, over the stack, with the same
composition); every test below runs on both. A new way of rendering an email is one more entry.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from tests.browser.checks import EMAIL_RULES, check_page
from tests.browser.conftest import Site, Visit
from tests.integration.helpers import dormant_profile, sent_emails
from winback.adapters.deferral_store import DeferralStore
from winback.config.loader import load_program
from winback.models.jobs import SendJob
from winback.models.profile import Profile
from winback.services.send import send_job
from winback_dev.handlers import handler
from winback_dev.lambda_events import FakeContext, sqs_event, sqs_record
from winback_dev.memory.clock import ManualClock
from winback_dev.memory.world import MemoryWorld
from winback_dev.preview import PreviewRequest, build_preview, live_sources

NOW = datetime.now(UTC)
LAST_ORDER = NOW - timedelta(days=100)
CAMPAIGN = "dormant-offer"


def _job(user_id: str) -> SendJob:
    recipient = {"user_id": user_id, "episode": LAST_ORDER.isoformat(), "arm": "coupon", "segment": "at_risk"}
    return SendJob.model_validate(
        {"run_id": "r", "campaign_id": CAMPAIGN, "step": 0, "tier": "dormant", "recipients": [recipient]}
    )


def sender_rendering(site: Site, profile: Profile) -> str:
    """The HTML part of the email `send_job` sends `profile` (campaign dormant-offer, step 0)."""
    world = MemoryWorld(ManualClock(NOW))
    world.profiles[profile.user_id] = profile
    deps = dataclasses.replace(world.deps(), unsubscribe_key=site.unsubscribe_key, public_base_url=site.base_url)
    send_job(_job(profile.user_id), load_program(), deps)
    [message] = world.channels["email"].sent
    return message.content.html


def preview_rendering(site: Site, profile: Profile) -> str:
    """The HTML `winback preview dormant-offer --step 0 --variant coupon --user ID` writes, read from
    the stack (the profile is stored there), its links signed with the stack's key for this server."""
    request = PreviewRequest(CAMPAIGN, 0, variant="coupon", user_id=profile.user_id, channels=("email",))
    email = build_preview(request, live_sources()).rendering("email")
    assert email is not None and email.outbound.content.html is not None
    return email.outbound.content.html


EMAIL_SOURCES: dict[str, Callable[[Site, Profile], str]] = {"sender": sender_rendering, "preview": preview_rendering}


@pytest.mark.parametrize("locale", ["en", "zh-CN"])
@pytest.mark.parametrize("source", sorted(EMAIL_SOURCES))
def test_the_email_and_its_preference_link(site: Site, visit: Visit, source: str, locale: str) -> None:
    user_id = f"email-{source}-{locale.lower()}"
    profile = dormant_profile(user_id, LAST_ORDER, locale=locale)
    page = visit.page
    page.set_content(EMAIL_SOURCES[source](site, profile))
    check_page(visit, f"email-{source}-{locale}", EMAIL_RULES)
    assert visit.requests == []  # no image, font or style from anywhere (this user has no catalog images)
    link = {"en": "Message preferences", "zh-CN": "消息偏好设置"}[locale]
    with page.expect_navigation():
        page.get_by_role("link", name=link).click()
    assert page.url.startswith(f"{site.base_url}/preferences?token=")
    pause = {"en": "Pause everything for 90 days", "zh-CN": "暂停全部消息 90 天"}[locale]
    with page.expect_navigation():
        page.get_by_role("button", name=pause).click()
    assert page.get_by_role("heading", level=1).inner_text() == {"en": "Saved", "zh-CN": "已保存"}[locale]
    # The next send: the real handler on the stack holds the message until the pause ends.
    before = len(sent_emails())
    body = _job(user_id).model_dump_json()
    reply = handler("send")(sqs_event([sqs_record(body, "arn:aws:sqs:us-east-1:123456789012:send")]), FakeContext())
    assert json.loads(json.dumps(reply)) == {"batchItemFailures": []}
    assert len(sent_emails()) == before
    held = DeferralStore(site.table("DeferralTable")).due(NOW + timedelta(days=91), 100)
    assert any(d.kind == "user_paused" and user_id in d.body for d in held)
