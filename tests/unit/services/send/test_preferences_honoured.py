"""The preference page's choices, honoured by the next send (the real `send_job` over in-memory ports).

Each test names the guard it proves; without that guard the message would go out."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.fakes.send import MemoryWorld
from tests.unit.services.send.conftest import EPISODE, NOW, job, profile
from winback.config.program import Program
from winback.domain.journey.preferences import choose
from winback.domain.links.preference_links import verify_preference_token
from winback.models.preferences import OwnCap, Preferences
from winback.models.send_state import Claim, SendState
from winback.services.send import send_job
from winback_dev.memory.world import UNSUBSCRIBE_KEY

FEWER = OwnCap(max_messages=1, window_days=14)


def test_a_paused_user_is_held_until_the_pause_ends(world: MemoryWorld, program: Program) -> None:
    """Guard: guards.py's `_paused_by_user` (the message waits; nothing is claimed)."""
    until = NOW + timedelta(days=30)
    world.profiles["u1"] = profile("u1", preferences=Preferences(paused_until=until))
    tally = send_job(job("u1"), program, world.deps())
    assert tally["user_paused"] == 1 and world.sent() == [] and world.messaging.claims == 0
    [parked] = world.deferrals.jobs.values()
    assert parked.kind == "user_paused" and parked.due == until


def test_a_pause_past_the_steps_deadline_drops_the_message(world: MemoryWorld, program: Program) -> None:
    """Guard: JobRun.hold's deadline (a pause longer than the step may wait)."""
    world.profiles["u1"] = profile("u1", preferences=Preferences(paused_until=NOW + timedelta(days=90)))
    tally = send_job(job("u1", not_after=NOW + timedelta(days=5)), program, world.deps())
    assert tally["dropped"] == 1 and world.sent() == [] and not world.deferrals.jobs


def test_a_pause_that_ended_no_longer_holds(world: MemoryWorld, program: Program) -> None:
    world.profiles["u1"] = profile("u1", preferences=Preferences(paused_until=NOW - timedelta(minutes=1)))
    assert send_job(job("u1"), program, world.deps())["sent"] == 1


def test_a_channel_turned_off_is_skipped_for_the_next(world: MemoryWorld, program: Program) -> None:
    """Guard: targeting.reachable_channels' `channel_allowed` (email off: SMS is next)."""
    consent = {"email": True, "sms": True}
    world.profiles["u1"] = profile(
        "u1", phone="+14155550100", consent=consent, preferences=Preferences(channels_off=["email"])
    )
    world.profiles["u2"] = profile("u2", preferences=Preferences(channels_off=["email"]))
    tally = send_job(job("u1", "u2"), program, world.deps())
    assert world.sent("email") == [] and world.sent("sms") == ["u1"]
    assert tally["no_channel"] == 1


def test_fewer_holds_a_message_the_programs_caps_would_let_through(world: MemoryWorld, program: Program) -> None:
    """Guard: claim.py's `own_cap_room_at`. The program allows 2 emails a week; a user who chose "fewer"
    (1 in 14 days) and got an SMS from another campaign 3 days ago waits 11 days."""
    world.profiles["u1"] = profile("u1", preferences=Preferences(cap=FEWER))
    sms_at = int((NOW - timedelta(days=3)).timestamp())
    world.messaging.states["u1"] = SendState(
        version=1, ledger={f"lapsing-nudge#0#{EPISODE}": sms_at}, caps={"sms": {f"lapsing-nudge#0#{EPISODE}": sms_at}}
    )
    tally = send_job(job("u1"), program, world.deps())
    assert tally["capped"] == 1 and world.sent() == [] and world.messaging.claims == 0
    [parked] = world.deferrals.jobs.values()
    assert parked.kind == "capped" and parked.due.timestamp() == sms_at + 14 * 86_400 + 1
    # Without the choice the same history lets the email go.
    world.profiles["u2"] = profile("u2")
    world.messaging.states["u2"] = SendState(version=1, ledger={f"lapsing-nudge#0#{EPISODE}": sms_at})
    assert send_job(job("u2"), program, world.deps())["sent"] == 1


def test_fewer_holds_under_a_claim_retry(world: MemoryWorld, program: Program) -> None:
    """Guard: the own cap is re-checked on the state re-read after a lost claim race (claim.py's loop):
    another job claimed a message for the user between the context read and this claim."""
    world.profiles["u1"] = profile("u1", preferences=Preferences(cap=FEWER))
    original = world.messaging.claim
    raced = {"done": False}

    def claim_after_a_rival(user_id: str, key: str, channel: str, state: SendState, *args: Any) -> Claim:
        if not raced["done"]:
            raced["done"] = True
            rival = int((NOW - timedelta(minutes=1)).timestamp())
            world.messaging.states[user_id] = SendState(version=state.version + 1, ledger={"rival#0#e": rival})
        return original(user_id, key, channel, state, *args)

    world.messaging.claim = claim_after_a_rival  # type: ignore[method-assign,assignment]
    tally = send_job(job("u1"), program, world.deps())
    assert tally["capped"] == 1 and world.sent() == []


def test_unsubscribing_from_all_stops_every_channel(world: MemoryWorld, program: Program) -> None:
    """Guard: has_consent (unsubscribe_all withdraws consent on every channel)."""
    user = profile("u1", phone="+14155550100", consent={"email": True, "sms": True})
    left = choose(user, "unsubscribe_all", NOW, FEWER)
    assert left is not None
    world.profiles["u1"] = left
    assert send_job(job("u1"), program, world.deps())["no_channel"] == 1
    assert world.sent("email") == [] and world.sent("sms") == []


def test_every_email_links_to_the_preference_page_of_its_user_campaign_and_arm(
    world: MemoryWorld, program: Program
) -> None:
    """The layouts' footer: a signed link to /preferences for this message (services/send/content.py)."""
    world.profiles["u1"] = profile("u1")
    send_job(job("u1"), program, world.deps())
    [message] = world.channels["email"].sent
    html, text = message.content.html, message.content.text
    url = next(part.split('"')[0] for part in html.split('href="') if "/preferences?" in part)
    assert url.replace("&amp;", "&") in text
    token = parse_qs(urlsplit(url.replace("&amp;", "&")).query)["token"][0]
    claim = verify_preference_token(UNSUBSCRIBE_KEY, token, NOW)
    assert (claim.user_id, claim.campaign_id, claim.arm, claim.episode, claim.channel) == (
        "u1",
        "dormant-offer",
        "coupon",
        EPISODE,
        "email",
    )
