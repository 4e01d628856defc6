"""Each guard of the send service, on in-memory fakes (no moto): the real `send_job` over ports.

Each test names the guard it proves; without that guard the message would go out (or be lost)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from tests.fakes.send import MemoryWorld
from tests.unit.services.send.conftest import EPISODE, LAST_ORDER, NOW, job, profile
from winback.config.program import Program
from winback.domain.measurement.arms import in_program_control
from winback.models.profile import Profile
from winback.models.send_state import SendState, send_key
from winback.services.send import send_job

KEY = send_key("dormant-offer", 0, EPISODE)


def test_a_dormant_user_is_sent_once_with_outcome_coupon_and_next_step(world: MemoryWorld, program: Program) -> None:
    world.profiles["u1"] = profile("u1")
    tally = send_job(job("u1"), program, world.deps())
    assert tally["sent"] == 1 and world.sent() == ["u1"]
    message = world.channels["email"].sent[0]
    assert message.unsubscribe_url.startswith("https://api.example.com/unsubscribe?token=")
    assert message.tags["campaign"] == "dormant-offer" and message.tags["arm"] == "coupon"
    assert world.messaging.outcomes[("u1", KEY)].status == "sent"
    assert world.coupons.issued("u1", "dormant-offer", 0, EPISODE) is not None
    [follow] = world.deferrals.of_kind("next_step")
    assert follow.step == 1 and [r.user_id for r in follow.recipients] == ["u1"]
    # Guard: the ledger (claim.py): the same job again sends nothing.
    assert send_job(job("u1"), program, world.deps())["already_sent"] == 1
    assert world.sent() == ["u1"]


def test_paused_campaign_defers_the_whole_job(world: MemoryWorld, program: Program) -> None:
    """Guard: run.py's `campaign_paused` gate; without it the job would send."""
    world.profiles["u1"] = profile("u1")
    world.messaging.paused_campaigns.add("dormant-offer")
    tally = send_job(job("u1"), program, world.deps())
    assert tally["paused"] == 1 and world.sent() == []
    [parked] = world.deferrals.jobs.values()
    assert parked.kind == "paused" and parked.due == NOW + timedelta(hours=1)


def test_past_the_steps_deadline_the_job_is_dropped(world: MemoryWorld, program: Program) -> None:
    """Guard: run.py's `not_after` gate."""
    world.profiles["u1"] = profile("u1")
    tally = send_job(job("u1", not_after=NOW - timedelta(minutes=1)), program, world.deps())
    assert tally["dropped"] == 1 and world.sent() == []


def test_a_user_who_came_back_leaves_the_journey(world: MemoryWorld, program: Program) -> None:
    """Guard: guards.py's episode check (an order after the episode began)."""
    back = NOW - timedelta(days=2)
    world.profiles["u1"] = profile("u1", last_event_at={"order": back}, last_seen_at=back)
    assert send_job(job("u1"), program, world.deps())["active_again"] == 1
    assert world.sent() == []


def test_already_sent_in_the_ledger_is_not_sent_again(world: MemoryWorld, program: Program) -> None:
    """Guard: guards.py's ledger check, before anything is claimed."""
    world.profiles["u1"] = profile("u1")
    world.messaging.states["u1"] = SendState(version=1, ledger={KEY: int(NOW.timestamp()) - 60})
    assert send_job(job("u1"), program, world.deps())["already_sent"] == 1
    assert world.sent() == [] and world.messaging.claims == 0


def test_answer_privacy_stops_the_journey_and_bad_experience_gets_the_apology(
    world: MemoryWorld, program: Program
) -> None:
    """Guard: guards.py's answer routing (domain/journey/reasons.route)."""
    world.profiles["u1"] = profile("u1")
    world.profiles["u2"] = profile("u2")
    answered = (NOW - timedelta(days=1)).isoformat()
    world.messaging.answers[("u1", "dormant-offer", EPISODE)] = {"reason": "privacy", "answered_at": answered}
    world.messaging.answers[("u2", "dormant-offer", EPISODE)] = {"reason": "bad_experience", "answered_at": answered}
    tally = send_job(job("u1", "u2"), program, world.deps())
    assert tally["journey_stopped"] == 1 and world.sent() == ["u2"]
    assert world.messaging.outcomes[("u2", KEY)].template == "apology"


def _assigned(user_id: str, reason: str, **fields: Any) -> Profile:
    assignment = {
        "campaign_id": "dormant-offer",
        "arm": "coupon",
        "segment": "all",
        "tier": "dormant",
        "episode": EPISODE,
        "assigned_at": NOW - timedelta(hours=1),
        "inferred_reason": reason,
    }
    return profile(user_id, assignment=assignment, **fields)


def test_an_inferred_bad_experience_gets_the_apology_and_an_answer_overrides_the_inference(
    world: MemoryWorld, program: Program
) -> None:
    """Guard: guards.py's `_inferred` (a reason read from behaviour routes like an answer)."""
    world.profiles["u1"] = _assigned("u1", "bad_experience")
    world.profiles["u2"] = _assigned("u2", "bad_experience")
    answered = (NOW - timedelta(days=1)).isoformat()
    world.messaging.answers[("u2", "dormant-offer", EPISODE)] = {"reason": "competitor", "answered_at": answered}
    send_job(job("u1", "u2"), program, world.deps())
    assert world.messaging.outcomes[("u1", KEY)].template == "apology"
    assert world.messaging.outcomes[("u2", KEY)].template == "offer"


def test_an_inferred_fatigue_allows_one_message_in_the_journey(world: MemoryWorld, program: Program) -> None:
    """Guard: guards.py's `_inferred` with the whole journey counted (JOURNEY_START)."""
    world.profiles["u1"] = _assigned("u1", "too_many_messages")
    world.profiles["u2"] = _assigned("u2", "unknown")
    earlier = int((NOW - timedelta(minutes=30)).timestamp())
    for user_id in ("u1", "u2"):
        world.messaging.states[user_id] = SendState(version=1, ledger={send_key("dormant-offer", 0, EPISODE): earlier})
    tally = send_job(job("u1", "u2", step=1), program, world.deps())
    assert tally["journey_stopped"] == 1 and world.sent() == ["u2"]


def test_an_inference_of_another_journey_does_not_route(world: MemoryWorld, program: Program) -> None:
    """Guard: `_inferred` reads only the assignment of this campaign and episode."""
    stale = _assigned("u1", "bad_experience")
    assert stale.assignment is not None
    world.profiles["u1"] = stale.model_copy(update={"assignment": stale.assignment.model_copy(update={"episode": "x"})})
    send_job(job("u1"), program, world.deps())
    assert world.messaging.outcomes[("u1", KEY)].template != "apology"


def test_a_suppressed_email_falls_back_to_the_next_channel(world: MemoryWorld, program: Program) -> None:
    """Guard: guards.py's suppression fallback: the next reachable channel, not the suppressed one."""
    world.profiles["u1"] = profile("u1", phone="+14155550100", consent={"email": True, "sms": True})
    world.suppression.addresses.add("email#u1@mail.example.com")
    assert send_job(job("u1"), program, world.deps())["sent_sms"] == 1
    assert world.sent("email") == [] and world.sent("sms") == ["u1"]
    world.suppression.addresses.add("sms#+14155550100")
    world.profiles["u2"] = profile("u2", email="u2@x.example", phone="+14155550101", consent={"sms": True})
    world.suppression.addresses.add("sms#+14155550101")
    assert send_job(job("u2"), program, world.deps())["suppressed"] == 1


def test_quiet_hours_in_the_users_zone_defer_to_the_morning(world: MemoryWorld, program: Program) -> None:
    """Guard: guards.py's quiet hours (SMS 21:00-08:00): 15:00 UTC is midnight in Tokyo."""
    world.profiles["u1"] = profile(
        "u1", email=None, phone="+81312345678", consent={"sms": True}, time_zone="Asia/Tokyo"
    )
    tally = send_job(job("u1"), program, world.deps())
    assert tally["quiet_hours"] == 1 and tally["deferred"] == 1 and world.sent("sms") == []
    [parked] = world.deferrals.jobs.values()
    assert parked.kind == "quiet_hours" and parked.due == NOW + timedelta(hours=8)


def test_a_full_cap_defers_until_the_oldest_slot_leaves_the_window(world: MemoryWorld, program: Program) -> None:
    """Guard: claim.py's frequency cap (email: 2 per 7 days), read before the conditional claim."""
    world.profiles["u1"] = profile("u1")
    first, second = int((NOW - timedelta(days=3)).timestamp()), int((NOW - timedelta(days=1)).timestamp())
    world.messaging.states["u1"] = SendState(version=1, caps={"email": {"other#0#e": first, "other#1#e": second}})
    tally = send_job(job("u1"), program, world.deps())
    assert tally["capped"] == 1 and world.sent() == [] and world.messaging.claims == 0
    [parked] = world.deferrals.jobs.values()
    assert parked.kind == "capped" and parked.due.timestamp() == first + 7 * 86_400 + 1


def test_engagement_branch_skips_a_user_who_opened_and_moves_them_on(world: MemoryWorld, program: Program) -> None:
    """Guard: guards.py's `when` branch (lost-question step 1 goes to those who did not open step 0)."""
    step0 = send_key("lost-question", 0, EPISODE)
    sent_at = NOW - timedelta(days=2)
    for user in ("opened", "silent"):
        world.messaging.states[user] = SendState(version=1, ledger={step0: int(sent_at.timestamp())})
    world.profiles["opened"] = profile("opened", engagement={"last_open_at": sent_at + timedelta(hours=1)})
    world.profiles["silent"] = profile("silent")
    tally = send_job(job("opened", "silent", campaign="lost-question", step=1), program, world.deps())
    assert tally["branch_skipped"] == 1 and world.sent() == ["silent"]
    # Both go on to step 2: the one sent after its delay, the one skipped without sending.
    follows = world.deferrals.of_kind("next_step")
    assert {j.step for j in follows} == {2}
    assert sorted(r.user_id for j in follows for r in j.recipients) == ["opened", "silent"]


def test_email_sunset_stops_campaign_email_to_the_unengaged(world: MemoryWorld, program: Program) -> None:
    """Guard: guards.py's email sunset (5 campaign emails without an open or click)."""
    unengaged = {"emails_since": 5, "unengaged_since": LAST_ORDER + timedelta(days=1)}
    world.profiles["u1"] = profile("u1", engagement=unengaged)
    world.profiles["u2"] = profile(
        "u2", engagement=unengaged, push_endpoint="arn:aws:sns:e", consent={"email": True, "push": True}
    )
    tally = send_job(job("u1", "u2"), program, world.deps())
    assert tally["email_unengaged"] == 2 and world.sent("email") == [] and world.sent("push") == ["u2"]


def test_the_program_control_group_is_never_messaged(world: MemoryWorld, program: Program) -> None:
    """Guard: guards.py's program-control check (a job written before the share grew, or by hand)."""
    experiments = program.experiments.model_copy(update={"program_control_percent": 50})
    program = program.model_copy(update={"experiments": experiments})
    users = [f"u{i}" for i in range(20)]
    for user_id in users:
        world.profiles[user_id] = profile(user_id)
    control = [u for u in users if in_program_control(u, 50)]
    assert 0 < len(control) < len(users)
    tally = send_job(job(*users), program, world.deps())
    assert tally["program_control"] == len(control)
    assert sorted(world.sent()) == sorted(set(users) - set(control))
