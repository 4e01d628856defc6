"""The program-level cap (`frequency_caps.all`) over every channel, on fakes; its config validation."""

from __future__ import annotations

from datetime import timedelta

import pytest
from pydantic import ValidationError

from tests.fakes.send import MemoryWorld
from tests.unit.services.send.conftest import EPISODE, NOW, job, profile
from winback.config.guards import FrequencyCap
from winback.config.program import Program
from winback.models.delivery import Throttled
from winback.models.send_state import SendState, send_key
from winback.services.send import send_job

KEY = send_key("dormant-offer", 0, EPISODE)


def _with_total_cap(program: Program, max_messages: int) -> Program:
    caps = {**program.frequency_caps, "all": FrequencyCap(max_messages=max_messages, window_days=7)}
    return program.model_copy(update={"frequency_caps": caps})


def test_a_message_on_another_channel_fills_the_program_cap(world: MemoryWorld, program: Program) -> None:
    """Guard: claim.py checks the `all` cap besides the channel's; the email cap alone has room."""
    world.profiles["u1"] = profile("u1")
    sms_at = int((NOW - timedelta(days=2)).timestamp())
    world.messaging.states["u1"] = SendState(
        version=1, ledger={"other#0#e": sms_at}, caps={"sms": {"other#0#e": sms_at}, "all": {"other#0#e": sms_at}}
    )
    tally = send_job(job("u1"), _with_total_cap(program, 1), world.deps())
    assert tally["capped"] == 1 and world.sent() == [] and world.messaging.claims == 0
    [parked] = world.deferrals.jobs.values()
    assert parked.kind == "capped" and parked.due.timestamp() == sms_at + 7 * 86_400 + 1
    # The same state without the program cap: the email goes (its own cap, 2 in 7 days, has room).
    assert send_job(job("u1"), program, world.deps())["sent"] == 1


def test_the_program_slot_is_taken_with_the_claim_and_given_back_with_it(world: MemoryWorld, program: Program) -> None:
    """Guard: the `all` slot is part of the claim's write (MessagingStore.claim `also`) and of its release."""
    world.profiles["u1"] = profile("u1")
    capped = _with_total_cap(program, 3)
    world.channels["email"].fail = lambda _: Throttled("TooManyRequestsException")
    assert send_job(job("u1"), capped, world.deps())["throttled"] == 1
    assert world.messaging.states["u1"].caps["all"] == {}
    world.channels["email"].fail = None
    send_job(job("u1"), capped, world.deps())
    state = world.messaging.states["u1"]
    assert set(state.caps["all"]) == {KEY} and set(state.caps["email"]) == {KEY}


def test_program_cap_config_is_validated_naming_the_field(program: Program) -> None:
    data = program.model_dump(mode="json")
    data["frequency_caps"]["everything"] = {"max_messages": 3, "window_days": 7}
    with pytest.raises(ValidationError, match=r"frequency_caps\.everything"):
        Program.model_validate(data)
    data["frequency_caps"].pop("everything")
    data["frequency_caps"]["all"] = {"max_messages": 2, "window_days": 7}
    # push allows 3 in 7 days: more than the program cap ever lets through.
    with pytest.raises(ValidationError, match=r"frequency_caps\.push allows 3"):
        Program.model_validate(data)
    data["frequency_caps"]["all"] = {"max_messages": 5, "window_days": 7}
    assert Program.model_validate(data).frequency_caps["all"].max_messages == 5
