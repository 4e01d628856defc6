"""Scan as an experiment: deterministic arms, a holdout that is recorded but never messaged, counters
that add up, and sunset (cooling off after a failed journey, suppression after too many)."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime, timedelta
from itertools import count
from pathlib import Path
from typing import Any

import pytest

from tests.integration.conftest import Stack
from tests.integration.helpers import (
    dormant_profile,
    get_profile,
    invoke_scan,
    queue_bodies,
    suppression_item,
    use_program,
)
from winback.adapters.activity_store import ActivityStore
from winback.adapters.messaging_store import MessagingStore
from winback.config.campaigns import HOLDOUT, PROGRAM_CONTROL
from winback.config.loader import load_program
from winback.config.program import Program
from winback.config.settings import get_settings
from winback.domain.measurement.arms import assign, in_program_control
from winback.models.profile import Profile

AS_OF = datetime(2026, 11, 25, 3, 0, tzinfo=UTC)
LAPSING_ORDER = AS_OF - timedelta(days=45)
DORMANT_ORDER = AS_OF - timedelta(days=100)
CAMPAIGN = "lapsing-nudge"


def _program() -> Program:
    return load_program(get_settings().program_path)


def _arm(campaign_id: str, user_id: str) -> str:
    program = _program()
    campaign = program.campaign(campaign_id)
    return assign(campaign, user_id, program.holdout_percent(campaign))


def _users(prefix: str, held_out: bool, n: int, campaign_id: str = CAMPAIGN) -> list[str]:
    """The first `n` user ids `<prefix><i>` that land in the holdout (or not) of the campaign."""
    found: list[str] = []
    for i in count():
        user_id = f"{prefix}{i}"
        if (_arm(campaign_id, user_id) == HOLDOUT) == held_out:
            found.append(user_id)
            if len(found) == n:
                return found
    raise AssertionError("unreachable")


def _scan(stack: Stack, run_id: str = "run-exp") -> None:
    invoke_scan(stack, run_id, AS_OF)


def _recipients(stack: Stack) -> dict[str, dict[str, Any]]:
    """Every recipient of the send jobs scan enqueued, by user id, with its job's campaign."""
    found: dict[str, dict[str, Any]] = {}
    for body in queue_bodies(stack.table("SendQueue")):
        job = json.loads(body)
        for recipient in job["recipients"]:
            assert recipient["user_id"] not in found, "a user was packed into two send jobs"
            found[recipient["user_id"]] = {**recipient, "campaign_id": job["campaign_id"]}
    return found


def _profile(user_id: str) -> Profile:
    profile = get_profile(user_id)
    assert profile is not None
    return profile


def _previous_journey(days_ago: int, reactivated: bool = False) -> dict[str, Any]:
    """An assignment to a treated arm of lapsing-nudge made `days_ago` before the scan."""
    assigned_at = AS_OF - timedelta(days=days_ago)
    journey: dict[str, Any] = {
        "campaign_id": CAMPAIGN,
        "arm": "nostalgic",
        "segment": "hibernating",
        "tier": "lapsing",
        "episode": (assigned_at - timedelta(days=30)).isoformat(),
        "assigned_at": assigned_at,
    }
    if reactivated:
        journey["reactivated_at"] = assigned_at + timedelta(days=2)
    return journey


def test_held_out_users_are_recorded_but_get_no_send_job_and_arms_follow_assign(stack: Stack) -> None:
    held_out = _users("h", True, 3)
    treated = _users("t", False, 12)
    for user_id in held_out + treated:
        dormant_profile(user_id, LAPSING_ORDER)
    _scan(stack)
    recipients = _recipients(stack)
    assert sorted(recipients) == sorted(treated)
    for user_id in held_out:
        assignment = _profile(user_id).assignment
        assert assignment is not None
        assert (assignment.campaign_id, assignment.arm, assignment.assigned_at) == (CAMPAIGN, HOLDOUT, AS_OF)
    for user_id in treated:
        assignment = _profile(user_id).assignment
        assert assignment is not None and assignment.arm == _arm(CAMPAIGN, user_id) != HOLDOUT
        recipient = recipients[user_id]
        assert recipient["campaign_id"] == CAMPAIGN
        assert (recipient["arm"], recipient["segment"]) == (assignment.arm, assignment.segment)
    assert {recipients[u]["arm"] for u in treated} == {"nostalgic", "question"}  # both variants are in play


def test_assigned_counters_per_arm_add_up_to_the_users_scanned_into_tiers(stack: Stack) -> None:
    lapsing = [f"l{i}" for i in range(30)]
    lost = [f"x{i}" for i in range(4)]
    for user_id in lapsing:
        dormant_profile(user_id, LAPSING_ORDER)
    for user_id in lost:
        dormant_profile(user_id, AS_OF - timedelta(days=300))
    for i in range(3):
        dormant_profile(f"active{i}", AS_OF - timedelta(days=2))
    _scan(stack, run_id="run-count")

    messaging = MessagingStore(get_settings().messaging_table)
    counted: Counter[tuple[str, str]] = Counter()
    for campaign in _program().campaigns:
        for cell in messaging.cells(campaign.id):
            if cell.step is None:
                counted[(campaign.id, cell.arm)] += cell.counts.get("assigned", 0)
    expected = Counter(
        [(CAMPAIGN, _arm(CAMPAIGN, u)) for u in lapsing] + [("lost-question", _arm("lost-question", u)) for u in lost]
    )
    assert +counted == expected
    figures = messaging.run_figures("run-count")
    assert sum(counted.values()) == figures["tier_lapsing"] + figures["tier_lost"] == 34
    assert figures["held_out"] == counted[(CAMPAIGN, HOLDOUT)] + counted[("lost-question", HOLDOUT)]


def test_a_retried_scan_gives_every_user_the_same_arm(stack: Stack) -> None:
    users = [f"r{i}" for i in range(20)]
    originals = {u: dormant_profile(u, LAPSING_ORDER) for u in users}
    _scan(stack)
    first = {u: _profile(u).assignment for u in users}
    store = ActivityStore(get_settings().activity_table)
    for user_id, original in originals.items():
        # A retry: the profile as it was before the scan marked its tier.
        current = _profile(user_id)
        assert current.tier == "lapsing"
        restored = original.model_copy(update={"version": current.version + 1})
        assert store.put(restored, expected_version=current.version)
        assert _profile(user_id).tier is None and _profile(user_id).assignment is None
    queue_bodies(stack.table("SendQueue"))  # drop the first scan's jobs
    _scan(stack)
    again = {u: _profile(u).assignment for u in users}
    assert {u: (a.arm, a.segment) for u, a in again.items() if a} == {
        u: (a.arm, a.segment) for u, a in first.items() if a
    }
    assert len(again) == len(users)
    assert sorted(_recipients(stack)) == sorted(u for u, a in first.items() if a and a.arm != HOLDOUT)


def test_a_user_past_the_failed_journey_limit_is_sunset(stack: Stack) -> None:
    sunset, carried_on = _users("s", False, 2, "dormant-offer")
    dormant_profile(
        sunset,
        DORMANT_ORDER,
        phone="+14155550123",
        consent={"email": True, "sms": True},
        tier="lapsing",
        assignment=_previous_journey(60),
        journeys={"failed": 2},
    )
    dormant_profile(carried_on, DORMANT_ORDER, tier="lapsing", assignment=_previous_journey(60), journeys={"failed": 1})
    _scan(stack, run_id="run-sunset")

    for address in (f"email#{sunset}@mail.example.com", "sms#+14155550123"):
        item = suppression_item(address)
        assert item is not None and item["reason"]["S"] == "sunset"
    assert suppression_item(f"email#{carried_on}@mail.example.com") is None
    recipients = _recipients(stack)
    assert sunset not in recipients and carried_on in recipients
    profile = _profile(sunset)
    assert profile.tier == "dormant" and profile.journeys.failed == 3
    assert _profile(carried_on).journeys.failed == 2
    assert MessagingStore(get_settings().messaging_table).run_figures("run-sunset")["sunset"] == 1


def test_a_user_whose_last_journey_failed_recently_is_cooling_off(stack: Stack) -> None:
    cooling, rested = _users("c", False, 2, "dormant-offer")
    dormant_profile(cooling, DORMANT_ORDER, tier="lapsing", assignment=_previous_journey(10))
    dormant_profile(rested, DORMANT_ORDER, tier="lapsing", assignment=_previous_journey(40))
    _scan(stack, run_id="run-cooling")

    recipients = _recipients(stack)
    assert cooling not in recipients and rested in recipients
    profile = _profile(cooling)
    assert profile.tier == "lapsing"  # not marked: the next scan after the cooldown picks the user up
    assert profile.assignment is not None and profile.assignment.assigned_at == AS_OF - timedelta(days=10)
    assert profile.journeys.failed == 0
    assert suppression_item(f"email#{cooling}@mail.example.com") is None
    figures = MessagingStore(get_settings().messaging_table).run_figures("run-cooling")
    assert figures["cooling_off"] == 1


def test_a_user_who_came_back_last_time_gets_a_new_journey_and_a_clean_record(stack: Stack) -> None:
    [user_id] = _users("b", False, 1)
    dormant_profile(user_id, LAPSING_ORDER, assignment=_previous_journey(100, reactivated=True), journeys={"failed": 2})
    _scan(stack)

    assert user_id in _recipients(stack)
    profile = _profile(user_id)
    assert profile.journeys.failed == 0
    assert profile.assignment is not None
    assert profile.assignment.assigned_at == AS_OF and profile.assignment.reactivated_at is None
    assert profile.assignment.episode == LAPSING_ORDER.isoformat()


def test_inferred_reasons_are_counted_in_the_assigned_cells(stack: Stack) -> None:
    """Guard: scan's _mark adds `inferred_<reason>` beside `assigned` (the report's side-by-side view)."""
    for i in range(6):
        dormant_profile(f"e{i}", LAPSING_ORDER, last_event_at={"order": LAPSING_ORDER, "error": LAPSING_ORDER})
    for i in range(4):
        dormant_profile(f"q{i}", LAPSING_ORDER)
    _scan(stack, run_id="run-inferred")
    inferred: Counter[str] = Counter()
    for cell in MessagingStore(get_settings().messaging_table).cells(CAMPAIGN):
        if cell.step is None:
            inferred.update({k: v for k, v in cell.counts.items() if k.startswith("inferred_")})
    assert inferred == Counter({"inferred_bad_experience": 6, "inferred_unknown": 4})


def test_the_program_control_group_gets_no_send_job_and_is_counted_in_its_own_cell(
    stack: Stack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Guard: the scan's program-control arm, through the deployed scan function."""
    use_program(tmp_path, monkeypatch, experiments={"program_control_percent": 10})
    users = [f"p{i}" for i in range(60)]
    for user_id in users:
        dormant_profile(user_id, LAPSING_ORDER)
    _scan(stack, run_id="run-control")
    control = {u for u in users if in_program_control(u, 10)}
    assert control
    assert not control & set(_recipients(stack))
    for user_id in control:
        assignment = _profile(user_id).assignment
        assert assignment is not None and assignment.arm == PROGRAM_CONTROL
    cells = MessagingStore(get_settings().messaging_table).cells(CAMPAIGN)
    assert sum(c.counts.get("assigned", 0) for c in cells if c.arm == PROGRAM_CONTROL) == len(control)
