"""Adaptive allocation on moto: the stats step decides lapsing-nudge's split from the experiment
counters and stores it (with the population stats, and as a history item), the scan assigns new users
by it with the holdout unchanged, and the report shows P(best), the winner and the allocation over time."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from tests.integration.conftest import Stack
from tests.integration.helpers import dormant_profile, get_profile, invoke_scan, sample_event
from winback.adapters.messaging_store import MessagingStore
from winback.adapters.population_stats_store import PopulationStatsStore
from winback.config.campaigns import HOLDOUT
from winback.config.loader import load_program
from winback.config.settings import get_settings
from winback.domain.measurement.arms import assign

CAMPAIGN = "lapsing-nudge"
STATS_AT = datetime.fromisoformat(sample_event("stats_schedule.json")["time"])
AS_OF = STATS_AT + timedelta(hours=2)


def _messaging() -> MessagingStore:
    return MessagingStore(get_settings().messaging_table)


def _counts(nostalgic: tuple[int, int], question: tuple[int, int]) -> None:
    messaging = _messaging()
    for arm, (assigned, reactivated) in (("nostalgic", nostalgic), ("question", question)):
        messaging.add_cell(CAMPAIGN, None, arm, "hibernating", {"assigned": assigned, "reactivated": reactivated})
    messaging.add_cell(CAMPAIGN, None, HOLDOUT, "hibernating", {"assigned": 30, "reactivated": 2})


def _stats(stack: Stack, at: datetime = STATS_AT) -> dict[str, Any]:
    summary: dict[str, Any] = stack.invoke("stats", {**sample_event("stats_schedule.json"), "time": at.isoformat()})
    return summary


def _scan(stack: Stack) -> None:
    invoke_scan(stack, "run-adaptive", AS_OF)


def test_the_stats_step_decides_the_split_and_the_scan_follows_it(stack: Stack) -> None:
    _counts(nostalgic=(150, 10), question=(150, 40))
    summary = _stats(stack)
    stored = PopulationStatsStore(get_settings().messaging_table).load()
    assert stored is not None
    decision = stored.allocations[CAMPAIGN]
    assert summary["allocations"][CAMPAIGN] == decision.weights
    assert decision.adapting and decision.winner == "question"
    assert decision.weights["question"] > 0.9 and decision.weights["nostalgic"] >= 0.05
    assert (decision.assigned, decision.reactivated) == (
        {"nostalgic": 150, "question": 150},
        {"nostalgic": 10, "question": 40},
    )
    assert [a.day for a in _messaging().allocations(CAMPAIGN)] == [STATS_AT.date()]

    program = load_program(get_settings().program_path)
    campaign = program.campaign(CAMPAIGN)
    holdout = program.holdout_percent(campaign)
    users = [f"n{i}" for i in range(60)]
    for user_id in users:
        dormant_profile(user_id, AS_OF - timedelta(days=45))
    _scan(stack)
    arms: dict[str, str] = {}
    for user_id in users:
        profile = get_profile(user_id)
        assert profile is not None and profile.assignment is not None
        arms[user_id] = profile.assignment.arm
    for user_id, arm in arms.items():
        assert arm == assign(campaign, user_id, holdout, decision.weights)
        assert (arm == HOLDOUT) == (assign(campaign, user_id, holdout) == HOLDOUT)  # the holdout did not move
    treated = [a for a in arms.values() if a != HOLDOUT]
    assert treated.count("question") > 0.8 * len(treated)


def test_without_a_decision_the_scan_uses_the_static_split(stack: Stack) -> None:
    program = load_program(get_settings().program_path)
    campaign = program.campaign(CAMPAIGN)
    users = [f"s{i}" for i in range(30)]
    for user_id in users:
        dormant_profile(user_id, AS_OF - timedelta(days=45))
    _scan(stack)
    for user_id in users:
        profile = get_profile(user_id)
        assert profile is not None and profile.assignment is not None
        assert profile.assignment.arm == assign(campaign, user_id, program.holdout_percent(campaign))


def test_the_report_shows_p_best_the_winner_and_the_allocation_over_time(stack: Stack) -> None:
    _counts(nostalgic=(20, 1), question=(20, 5))
    first = STATS_AT
    _stats(stack, first)  # below the minimum per arm: equal
    _counts(nostalgic=(130, 9), question=(130, 35))
    _stats(stack, first + timedelta(days=3))
    _stats(stack, first + timedelta(days=3))  # a rerun of the day overwrites its item
    reply = stack.runner.http("GET", f"/campaigns/{CAMPAIGN}/report", {}, iam=True)
    assert reply["statusCode"] == 200
    adaptive = json.loads(reply["body"])["adaptive"]
    assert adaptive["winner_probability"] == 0.95 and adaptive["min_per_arm"] == 50
    assert adaptive["winner"] == "question" and adaptive["p_best"]["question"] >= 0.95
    history = adaptive["allocation_over_time"]
    assert [h["day"] for h in history] == [first.date().isoformat(), (first + timedelta(days=3)).date().isoformat()]
    assert history[0]["weights"] == {"nostalgic": 0.5, "question": 0.5} and not history[0]["adapting"]
    assert history[1]["weights"]["question"] > 0.9


def test_a_fixed_campaign_has_no_adaptive_section_and_no_decision(stack: Stack) -> None:
    summary = _stats(stack)
    assert set(summary["allocations"]) == {CAMPAIGN}
    reply = stack.runner.http("GET", "/campaigns/dormant-offer/report", {}, iam=True)
    assert json.loads(reply["body"])["adaptive"] is None
    assert _messaging().allocations("dormant-offer") == []
