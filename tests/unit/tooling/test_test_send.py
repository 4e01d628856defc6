"""`winback test-send` over the in-memory world: only to the program's test_recipients, through the
real channel, marked as a test, and touching no ledger, cap, counter, coupon or offer."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.fakes.send import ManualClock, MemoryWorld
from tests.unit.services.send.conftest import NOW
from tests.unit.tooling.workbench_world import sources
from winback.config.program import Program
from winback.domain.links.claims import InvalidToken
from winback.domain.links.tokens import verify_token
from winback_dev.memory.world import PUBLIC_BASE_URL, UNSUBSCRIBE_KEY
from winback_dev.preview import PLACEHOLDER_CODE, PreviewRequest, Sources
from winback_dev.test_send import SendRefused, send_test_message, throwaway_signer


@pytest.fixture
def world() -> MemoryWorld:
    return MemoryWorld(ManualClock(NOW))


def _sources(world: MemoryWorld, program: Program) -> Sources:
    return sources(world, program, throwaway_signer(PUBLIC_BASE_URL))


def test_a_test_email_is_marked_and_touches_nothing(world: MemoryWorld, program: Program) -> None:
    """Guard: test_send.marked strips the counted tags; send_test_message never claims or issues."""
    sent = send_test_message(
        PreviewRequest("dormant-offer", 0), "QA@shop.example.com", _sources(world, program), world.channels
    )
    [message] = world.channels["email"].sent
    assert sent.channel == "email" and message.address == "QA@shop.example.com"
    assert message.content.subject.startswith("[TEST] ")
    assert dict(message.tags) == {"winback": "test"}  # no campaign, step, arm, segment or user: counted nowhere
    assert message.key.startswith("test#")
    assert PLACEHOLDER_CODE in message.content.text
    # Nothing claimed, counted, issued or granted.
    assert world.messaging.states == {} and world.messaging.claims == 0
    assert world.messaging.cells == {} and world.messaging.totals == {} and world.messaging.outcomes == {}
    assert world.coupons.issued_coupons == {} and world.coupons.spent == {}
    assert world.offers.granted == set() and world.deferrals.jobs == {}


def test_its_links_are_signed_with_a_key_kept_nowhere(world: MemoryWorld, program: Program) -> None:
    send_test_message(
        PreviewRequest("dormant-offer", 0), "qa@shop.example.com", _sources(world, program), world.channels
    )
    [message] = world.channels["email"].sent
    token = message.unsubscribe_url.split("token=")[1]
    with pytest.raises(InvalidToken):
        verify_token(UNSUBSCRIBE_KEY, token, NOW + timedelta(seconds=1))


def test_a_test_sms_starts_with_the_mark(world: MemoryWorld, program: Program) -> None:
    send_test_message(PreviewRequest("lapsing-nudge", 0), "+15555550100", _sources(world, program), world.channels)
    [message] = world.channels["sms"].sent
    assert message.content.text.startswith("[TEST] ") and message.tags == {}


@pytest.mark.parametrize(
    ("to", "step", "reason"),
    [
        ("someone@shop.example.com", 0, "not one of the program's test_recipients"),
        ("+15555550199", 0, "not one of the program's test_recipients"),
        ("not an address", 0, "not an email address"),
        ("+15555550100", 1, "sends on push, inbox, email, not sms"),  # dormant-offer's step 1 has no sms
    ],
)
def test_anything_else_is_refused_and_nothing_is_sent(
    world: MemoryWorld, program: Program, to: str, step: int, reason: str
) -> None:
    """Guard: send_test_message refuses an address outside test_recipients before composing anything."""
    with pytest.raises(SendRefused, match=reason):
        send_test_message(PreviewRequest("dormant-offer", step), to, _sources(world, program), world.channels)
    assert all(channel.sent == [] for channel in world.channels.values())


def test_a_suppressed_test_address_is_refused(world: MemoryWorld, program: Program) -> None:
    world.suppression.addresses.add("email#qa@shop.example.com")
    with pytest.raises(SendRefused, match="suppressed"):
        send_test_message(
            PreviewRequest("dormant-offer", 0), "qa@shop.example.com", _sources(world, program), world.channels
        )
    assert world.channels["email"].sent == []
