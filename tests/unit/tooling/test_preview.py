"""`winback preview` over the in-memory world: what it shows is what the sender sends (byte for byte),
its verdict is the guards', it writes nothing, and it lists every link the templates get."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest

from tests.fakes.send import ManualClock, MemoryWorld
from tests.unit.services.send.conftest import EPISODE, NOW, job, profile
from tests.unit.tooling.workbench_world import sources
from winback.config.program import Program
from winback.domain.audience.recommendations import Recommendation
from winback.models.profile import Assignment, Profile
from winback.services.send import send_job
from winback_dev.preview import PLACEHOLDER_CODE, PreviewError, PreviewRequest, build_preview


@pytest.fixture
def world() -> MemoryWorld:
    return MemoryWorld(ManualClock(NOW))


def assigned(arm: str = "coupon", campaign: str = "dormant-offer") -> Assignment:
    return Assignment(campaign_id=campaign, arm=arm, segment="all", tier="dormant", episode=EPISODE, assigned_at=NOW)


def test_the_preview_is_what_the_sender_sends(world: MemoryWorld, program: Program) -> None:
    """Guard: preview and sender compose through services/send/compose.py; any second renderer differs."""
    world.profiles["u1"] = profile("u1", assignment=assigned(), name="Ana")
    send_job(job("u1"), program, world.deps())
    [sent] = world.channels["email"].sent
    preview = build_preview(PreviewRequest("dormant-offer", 0, user_id="u1"), sources(world, program))
    email = preview.rendering("email")
    assert email is not None and email.outbound == sent  # content, links, tags, key: all of it
    assert preview.verdict == "not sent: this step already went to the user in this episode"
    assert preview.offer is not None and preview.offer["code"] in sent.content.text  # the coupon they hold


def test_before_the_send_the_offer_is_a_placeholder_and_nothing_is_written(
    world: MemoryWorld, program: Program
) -> None:
    world.profiles["u1"] = profile("u1", assignment=assigned())
    preview = build_preview(PreviewRequest("dormant-offer", 0, user_id="u1"), sources(world, program))
    assert preview.verdict == "would send on email now"
    assert preview.offer is not None and preview.offer["code"] == PLACEHOLDER_CODE
    email = preview.rendering("email")
    assert email is not None and PLACEHOLDER_CODE in email.outbound.content.html
    assert world.messaging.states == {} and world.messaging.cells == {} and world.messaging.claims == 0
    assert world.coupons.issued_coupons == {} and world.offers.granted == set()
    assert all(channel.sent == [] for channel in world.channels.values())


@pytest.mark.parametrize(
    ("fields", "verdict"),
    [
        ({"assignment": assigned(arm="holdout")}, "not sent: the user is in the holdout"),
        ({}, "not sent: the user is not assigned to any campaign"),
        ({"assignment": assigned(), "consent": {}}, "not sent: no channel of the step"),
        (
            {"assignment": assigned(), "consent": {"sms": True}, "phone": "+15555550100", "time_zone": "Asia/Shanghai"},
            "held until 2026-03-11 00:00 UTC (quiet_hours)",  # 08:00 in Shanghai
        ),
        (
            {"assignment": assigned(), "last_event_at": {"order": NOW - timedelta(days=1)}},
            "not sent: the user is active",
        ),
    ],
    ids=["holdout", "not-assigned", "no-channel", "quiet-hours", "came-back"],
)
def test_the_verdict_is_the_guards(world: MemoryWorld, program: Program, fields: dict[str, Any], verdict: str) -> None:
    world.profiles["u1"] = profile("u1", **fields)
    preview = build_preview(PreviewRequest("dormant-offer", 0, user_id="u1"), sources(world, program))
    assert preview.verdict.startswith(verdict)


def test_a_suppressed_address_moves_to_the_next_channel_then_stops(world: MemoryWorld, program: Program) -> None:
    world.profiles["u1"] = profile(
        "u1", assignment=assigned(), consent={"email": True, "sms": True}, phone="+15555550100"
    )
    world.suppression.addresses.add("email#u1@mail.example.com")
    request = PreviewRequest("dormant-offer", 0, user_id="u1")
    assert build_preview(request, sources(world, program)).verdict == "would send on sms now"
    world.suppression.addresses.add("sms#+15555550100")
    assert build_preview(request, sources(world, program)).verdict.startswith("not sent: the address of every channel")


def test_the_sample_gets_every_channel_of_the_step_and_its_checks(world: MemoryWorld, program: Program) -> None:
    preview = build_preview(PreviewRequest("dormant-offer", 0, locale="zh-CN"), sources(world, program))
    assert [r.channel for r in preview.renderings] == ["email", "sms", "push", "inbox"]
    assert preview.sample and preview.locale == "zh-CN" and preview.verdict == "would send on email now"
    sms = preview.rendering("sms")
    assert sms is not None and sms.sms is not None and sms.sms.encoding == "UCS-2"  # Chinese
    email = preview.rendering("email")
    assert email is not None and email.subject is not None and email.subject.width > 0
    assert set(email.links) == {"cta_url", "unsubscribe_url", "preferences_url"}  # every email's footer


def test_every_link_variable_is_listed(world: MemoryWorld, program: Program, monkeypatch: pytest.MonkeyPatch) -> None:
    """The hook for links the sender starts providing (the preference centre's): any `*_url` variable."""
    from winback.services.send.content import variables

    def with_preferences(*args: Any, **kwargs: Any) -> dict[str, Any]:
        return {**variables(*args, **kwargs), "preferences_url": "https://api.example.com/preferences?token=t"}

    monkeypatch.setattr("winback.services.send.compose.variables", with_preferences)
    preview = build_preview(PreviewRequest("lost-question", 0), sources(world, program))
    email = preview.rendering("email")
    assert email is not None and email.links["preferences_url"].endswith("/preferences?token=t")
    assert "reason_urls.competitor" in email.links  # the question email's six reason links


@pytest.mark.parametrize(
    ("request_", "message"),
    [
        (PreviewRequest("no-such", 0), "no campaign 'no-such'"),
        (PreviewRequest("dormant-offer", 3), "steps 0 to 2"),
        (PreviewRequest("dormant-offer", 0, variant="b"), "no variant 'b'"),
        (PreviewRequest("dormant-offer", 0, locale="ja"), "no locale 'ja'"),
        (PreviewRequest("dormant-offer", 0, user_id="nobody"), "no user 'nobody'"),
    ],
)
def test_what_does_not_exist_is_named(
    world: MemoryWorld, program: Program, request_: PreviewRequest, message: str
) -> None:
    with pytest.raises(PreviewError, match=message):
        build_preview(request_, sources(world, program))


def test_a_reminder_shows_the_coupon_the_earlier_step_issued(world: MemoryWorld, program: Program) -> None:
    world.profiles["u1"] = profile("u1", assignment=assigned(), consent={"email": True})
    send_job(job("u1"), program, world.deps())
    [issued] = world.coupons.issued_coupons.values()
    world.clock.advance(timedelta(days=10))
    preview = build_preview(PreviewRequest("dormant-offer", 2, user_id="u1"), sources(world, program))
    assert preview.offer is not None and preview.offer["code"] == issued.code


class TwoPicks:
    def recommend(self, profile: Profile, count: int) -> list[Recommendation]:
        return [Recommendation("sku-1", "shoes", "popular"), Recommendation("sku-2", None, "popular")][:count]


def test_recommendations_are_the_senders_with_tracked_links(world: MemoryWorld, program: Program) -> None:
    preview = build_preview(
        PreviewRequest("dormant-offer", 1), replace(sources(world, program), recommender=TwoPicks())
    )
    assert [r["item_id"] for r in preview.recommendations] == ["sku-1", "sku-2"]
    assert "utm_campaign=dormant-offer" in preview.recommendations[0]["url"]
    email = preview.rendering("email")
    assert email is not None and "https://shop.example.com/p/sku-1?utm_source=winback" in email.outbound.content.html


def test_the_verdict_honours_the_preference_page_as_the_sender_does(world: MemoryWorld, program: Program) -> None:
    """Guard: guard_view.capped's and _verdict's `own_cap_room_at` (the claim checks the user's own cap,
    which `screen` does not): without it the preview says "would send" while the sender holds."""
    from winback.models.preferences import OwnCap, Preferences
    from winback.models.send_state import SendState

    sms_at = int((NOW - timedelta(days=3)).timestamp())
    fewer = Preferences(cap=OwnCap(max_messages=1, window_days=14))
    world.profiles["u1"] = profile("u1", assignment=assigned(), preferences=fewer)
    world.messaging.states["u1"] = SendState(version=1, ledger={f"lapsing-nudge#0#{EPISODE}": sms_at})
    world.profiles["u2"] = profile(
        "u2", assignment=assigned(), preferences=Preferences(paused_until=NOW + timedelta(days=30))
    )
    verdicts = {
        u: build_preview(PreviewRequest("dormant-offer", 0, user_id=u), sources(world, program)).verdict
        for u in ("u1", "u2")
    }
    assert verdicts["u1"] == "held: the user's own cap (fewer messages, on the preference page) is full"
    assert verdicts["u2"].startswith("held until") and verdicts["u2"].endswith("(user_paused)")
    tally = send_job(job("u1", "u2"), program, world.deps())  # the sender agrees
    assert tally["capped"] == 1 and tally["user_paused"] == 1 and world.sent() == []
