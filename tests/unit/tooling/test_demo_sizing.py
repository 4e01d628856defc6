"""The demo's holdouts, sized by the report's users needed per arm (winback_dev/demo_sizing.py), and
the demo's program (churn_risk on, lapsing-nudge taking it, the sized holdouts) passing validation.

Guards: the dilution by reach in needed_per_arm, the floor and cap in holdout_percent, the first
campaign per user in dry_run, the program-wide control share in size_holdouts."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml

from winback.config.dormancy import CHURN_RISK
from winback.config.loader import load_program
from winback.domain.audience.segmentation import Segment
from winback.models.profile import Profile
from winback.runtime.deps import reset
from winback_dev.demo import _use_demo_program, _write_holdouts
from winback_dev.demo_sizing import (
    MAX_HOLDOUT_PERCENT,
    Expected,
    HoldoutSize,
    dry_run,
    holdout_percent,
    needed_per_arm,
    return_within,
    size_holdouts,
)
from winback_dev.demo_world import BASE_DAILY_RETURN, MESSAGED_DAILY_RETURN
from winback_dev.validate_program import validate_program

NOW = datetime(2026, 11, 16, 3, 0, tzinfo=UTC)


def test_return_within_the_window_by_hand() -> None:
    # 1 - 0.996^14 = 1 - exp(14 ln 0.996) = 1 - exp(-0.0561124) = 0.0545670
    assert return_within(0.004, 14) == pytest.approx(0.0545670, abs=1e-6)
    # 1 - 0.97^14 = 1 - exp(-0.4264285) = 0.3471637
    assert return_within(0.03, 14) == pytest.approx(0.3471637, abs=1e-6)


def test_users_needed_per_arm_for_the_demo_world_by_hand() -> None:
    """Fleiss without continuity correction, at 95% and power 90%, for 5.4567% -> 34.7164% (everyone reached):
    mean 0.2008654; 1.959964 sqrt(2 * 0.2008654 * 0.7991346) = 1.110563;
    1.281552 sqrt(0.0545670 * 0.9454330 + 0.3471637 * 0.6528363) = 1.281552 * 0.5274854 = 0.676000;
    (1.786563 / 0.2925967)^2 = 37.28 -> 38 per arm."""
    assert needed_per_arm(BASE_DAILY_RETURN, MESSAGED_DAILY_RETURN, 1.0, [14]) == 38


def test_users_the_messages_cannot_reach_dilute_the_effect() -> None:
    """Guard: reach. Half reached, the treated rate is 0.0545670 + 0.5 * 0.2925967 = 0.2008654:
    mean 0.1277162; 1.959964 sqrt(2 * 0.1277162 * 0.8722838) = 0.925155;
    1.281552 sqrt(0.0545670 * 0.9454330 + 0.2008654 * 0.7991346) = 1.281552 * 0.4605517 = 0.590221;
    (1.515376 / 0.1462984)^2 = 107.29 -> 108 per arm. Nobody reached: no effect to size for."""
    assert needed_per_arm(BASE_DAILY_RETURN, MESSAGED_DAILY_RETURN, 0.5, [14]) == 108
    assert needed_per_arm(BASE_DAILY_RETURN, MESSAGED_DAILY_RETURN, 0.0, [14]) is None


def test_users_taken_late_have_fewer_days_to_come_back() -> None:
    """Guard: each user's own window. One user with 14 days, one with 4 (taken on the last scan day):
    base (0.0545670 + 0.0158763) / 2 = 0.0352217 (1 - 0.996^4 = 0.0158763), messaged
    (0.3471637 + 0.1147072) / 2 = 0.2309355 (1 - 0.97^4 = 0.1147072): an effect of 0.1957138, not
    0.2925967; mean 0.1330786; (1.959964 sqrt(2 * 0.1330786 * 0.8669214) + 1.281552 sqrt(0.0339811 +
    0.1776040)) / 0.1957138 = (0.942060 + 0.589400) / 0.1957138 = 7.825 -> 61.23 -> 62 per arm."""
    assert needed_per_arm(BASE_DAILY_RETURN, MESSAGED_DAILY_RETURN, 1.0, [14, 4]) == 62


@pytest.mark.parametrize(
    ("users", "needed", "expected"),
    [
        (200, 38, 19.0),  # 38 / 200 = 19%
        (300, 38, 13.0),  # 12.67% -> the next whole percent
        (1000, 38, 10.0),  # 3.8%: the program's default is the floor
        (60, 38, MAX_HOLDOUT_PERCENT),  # 63%: capped, the treated arm keeps half
        (0, 38, 10.0),
        (500, None, 10.0),
    ],
)
def test_the_holdout_is_the_smallest_whole_percent_holding_the_users_needed(
    users: int, needed: int | None, expected: float
) -> None:
    """Guard: the floor and the cap."""
    assert holdout_percent(users, needed, floor=10.0) == expected


def _profile(user_id: str, quiet_days: float, email: bool) -> Profile:
    last = NOW - timedelta(days=quiet_days)
    contact = {"email": f"{user_id}@mail.example.com", "consent": {"email": True}} if email else {}
    return Profile.model_validate(
        {
            "user_id": user_id,
            "first_seen_at": last - timedelta(days=100),
            "first_order_at": last - timedelta(days=100),
            "last_seen_at": last,
            "last_event_at": {"order": last},
            "orders": 3,
            **contact,
        }
    )


def _segment(_profile: Profile, _at: datetime) -> Segment:
    return Segment(rfm="potential_loyalist", activity="low")


def test_the_dry_run_counts_each_user_once_in_the_first_campaign_that_takes_them() -> None:
    """Guard: the first campaign per user. u1 is lapsing from day 0 (lapsing-nudge); u2 crosses into
    lapsing on day 10 (lapsing-nudge); u3 is dormant (dormant-offer: not a VIP segment); u4 stays active;
    u5 is lapsing on day 0 and dormant on day 10: lapsing-nudge only. Reach: all but u2 have an email."""
    program = load_program()
    profiles = [
        _profile("u1", 40, True),
        _profile("u2", 25, False),
        _profile("u3", 120, True),
        _profile("u4", 1, True),
        _profile("u5", 85, True),
    ]
    days = [NOW + timedelta(days=d) for d in (0, 3, 10, 17)]
    expected = dry_run(profiles, program, _segment, None, days, NOW + timedelta(days=21))
    # Days left in the demo after the scan day that takes them: u1 and u5 on day 0 (21), u2 on day 10 (11).
    assert expected == {"lapsing-nudge": Expected(3, 2, (21, 21, 11)), "dormant-offer": Expected(1, 1, (21,))}


def test_each_campaign_gets_its_holdout_outside_the_program_control_group() -> None:
    """Guard: the control share. lapsing-nudge: 400 users, 90% outside the control group = 360, all
    reached: 38 needed -> 10.6% -> 11%. dormant-vip: 100 -> 90, 38 needed -> 42.2% -> 43%. lost-question:
    nobody reachable -> the program's default 10%. dormant-offer: 200 -> 180, half of them taken on the
    last scan day (4 days left): 62 needed (test_users_taken_late_have_fewer_days_to_come_back) ->
    34.4% -> 35%."""
    program = load_program()
    expected = {
        "lapsing-nudge": Expected(400, 400, ()),
        "dormant-vip": Expected(100, 100, (21,) * 100),
        "lost-question": Expected(50, 0, ()),
        "dormant-offer": Expected(200, 200, (21, 4) * 100),
    }
    sizes = {s.campaign_id: s for s in size_holdouts(expected, program, (0.004, 0.03), 0.10)}
    assert sizes["lapsing-nudge"] == HoldoutSize("lapsing-nudge", 360, 1.0, 38, 11.0)
    assert sizes["dormant-vip"] == HoldoutSize("dormant-vip", 90, 1.0, 38, 43.0)
    assert sizes["lost-question"] == HoldoutSize("lost-question", 45, 0.0, None, 10.0)
    assert sizes["dormant-offer"] == HoldoutSize("dormant-offer", 180, 1.0, 62, 35.0)
    # 43% of 90 = 38.7: the holdout holds 38; capped at 50% of 60 users, each arm has 30, under 38.
    assert sizes["dormant-vip"].smaller_arm == 38
    assert HoldoutSize("small", 60, 1.0, 38, 50.0).smaller_arm == 30


def test_the_demo_program_with_churn_risk_and_sized_holdouts_is_valid(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WINBACK_PROGRAM_PATH", "")  # restored after the test: _use_demo_program sets it
    try:
        _use_demo_program(tmp_path)
        sizes = size_holdouts(
            {"dormant-vip": Expected(100, 100, ())}, load_program(str(tmp_path / "program.yaml")), (0.004, 0.03), 0.1
        )
        _write_holdouts(sizes)
        path = tmp_path / "program.yaml"
        assert validate_program(path) == []
        program = load_program(str(path))
        assert program.dormancy.churn_risk is not None and program.dormancy.churn_risk.p_alive_below == 0.6
        assert CHURN_RISK in program.dormancy.tier_names()
        assert program.campaigns[0].id == "lapsing-nudge" and CHURN_RISK in program.campaigns[0].tiers
        assert {c.id: program.holdout_percent(c) for c in program.campaigns}["dormant-vip"] == 43.0
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        assert all(math.isfinite(c["holdout_percent"]) for c in raw["campaigns"])
    finally:
        reset()
