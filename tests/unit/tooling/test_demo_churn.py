"""How much sooner churn_risk reached the demo's users than the fixed tier (winback_dev/demo_churn.py),
cross-checked by hand on a few users; and the population's regular buyers, for whom it fires.

Guards: the first firing per user kept in ChurnRiskLog.note, only churn_risk assignments counted,
the first fixed tier's threshold added to the last order in days_earlier."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest

from winback.config.dormancy import CHURN_RISK, ChurnRisk, Dormancy, Tier
from winback.config.segments import SegmentsConfig
from winback.domain.audience.scoring import Scorer
from winback.domain.journey.dormancy import churn_risk_tier, dormancy_tier
from winback.domain.prediction.bgnbd import BgNbdParams
from winback.domain.prediction.models import BgNbdFit, FitStatus
from winback.models.profile import Assignment, Profile
from winback_dev import population
from winback_dev.demo_churn import ChurnRiskLog, churn_risk_log, days_earlier, last_order_at
from winback_dev.population import REGULAR_EVERY_DAYS, REGULAR_QUIET_DAYS, generate, regular_count

START = datetime(2026, 11, 16, 3, 0, tzinfo=UTC)


def _assigned(at: datetime, tier: str = CHURN_RISK) -> Assignment:
    return Assignment(
        campaign_id="lapsing-nudge", arm="nostalgic", segment="loyal", tier=tier, episode="e1", assigned_at=at
    )


def test_days_earlier_by_hand() -> None:
    # Last order Nov 1 00:00; lapsing at 30 days: Dec 1 00:00. Fired Nov 20 03:00: 10 days 21 hours earlier.
    last = datetime(2026, 11, 1, 0, 0, tzinfo=UTC)
    assert days_earlier(datetime(2026, 11, 20, 3, 0, tzinfo=UTC), last, 30) == pytest.approx(10.875)
    # Fired after the threshold would have passed: negative (not counted as earlier).
    assert days_earlier(datetime(2026, 12, 2, 0, 0, tzinfo=UTC), last, 30) == pytest.approx(-1.0)


def test_three_users_by_hand() -> None:
    """a: last order Nov 5 03:00, fired Nov 16 03:00 (day 0): Dec 5 03:00 - Nov 16 03:00 = 19 days.
    b: last order Oct 26 03:00, fired Nov 19 03:00 (day 3): Nov 25 - Nov 19 = 6 days; noted again on
    day 10 with a later assignment, the first firing stands. c: last order Oct 30 15:00, fired Nov 26
    03:00 (day 10): Nov 29 15:00 - Nov 26 03:00 = 3.5 days. d: lapsing (a fixed tier), not counted.
    Median of 19, 6, 3.5: 6."""
    orders = {
        "a": datetime(2026, 11, 5, 3, tzinfo=UTC),
        "b": datetime(2026, 10, 26, 3, tzinfo=UTC),
        "c": datetime(2026, 10, 30, 15, tzinfo=UTC),
        "d": datetime(2026, 10, 1, 3, tzinfo=UTC),
    }
    log = ChurnRiskLog(30, orders)
    log.note({"a": _assigned(START), "d": _assigned(START, "lapsing")})
    log.note({"a": _assigned(START), "b": _assigned(START + timedelta(days=3))})
    log.note({"b": _assigned(START + timedelta(days=10)), "c": _assigned(START + timedelta(days=10))})
    assert sorted(log.earlier()) == pytest.approx([3.5, 6.0, 19.0])
    assert log.summary() == {"fit": {}, "reached": 3, "before_fixed_tier": 3, "median_days_earlier": 6.0}


def test_a_user_reached_no_earlier_is_not_counted_as_before() -> None:
    log = ChurnRiskLog(30, {"a": START - timedelta(days=31)})
    log.note({"a": _assigned(START)})
    assert log.summary() == {"fit": {}, "reached": 1, "before_fixed_tier": 0, "median_days_earlier": None}


def test_the_population_holds_regular_buyers_who_stopped_a_few_weeks_ago() -> None:
    users = generate(200, START)
    assert len(users) == 200
    regular = [u for u in users if u.segment == "regular"]
    assert len(regular) == regular_count(200) == 16
    for user in regular:
        times = sorted(datetime.fromisoformat(e["occurred_at"]) for e in user.events if e["type"] == "order")
        gaps = [(b - a).total_seconds() / 86_400 for a, b in itertools.pairwise(times)]
        every = min(REGULAR_EVERY_DAYS, key=lambda d: abs(d - sum(gaps) / len(gaps)))
        assert len(times) >= 6 and all(abs(g - every) <= 1.5 for g in gaps)
        quiet = (START - times[-1]).total_seconds() / 86_400
        assert REGULAR_QUIET_DAYS[0] <= quiet <= REGULAR_QUIET_DAYS[1]
    log = churn_risk_log(users, 30)
    assert log.last_orders[regular[0].user_id] == last_order_at(regular[0])


def test_the_ordinary_users_are_those_the_population_had_before(monkeypatch: pytest.MonkeyPatch) -> None:
    """The regular buyers replace the last users, from their own random stream: the others are unchanged."""
    users = generate(200, START)
    monkeypatch.setattr(population, "REGULAR_SHARE", 0.0)
    before = generate(200, START)
    assert [(u.user_id, u.segment, u.events) for u in users[:184]] == [
        (u.user_id, u.segment, u.events) for u in before[:184]
    ]


def test_a_regular_buyer_reaches_churn_risk_before_the_fixed_tier() -> None:
    """A weekly buyer (12 orders, 27 days quiet) under CDNOW's fit (in days: alpha 30.898): x = 11,
    t_x = 77, T = 104; ln odds(dead) = ln(0.793 / 12.426) + 11.243 ln(134.898 / 107.898)
    = -2.751750 + 2.510923 = -0.240827, P(alive) = 1 / (1 + 0.785985) = 0.55991: under the demo's 0.6
    while 30 days have not passed, so churn_risk holds them 3 days before lapsing would."""
    rules = Dormancy(
        signal="order", tiers=(Tier(name="lapsing", after_days=30),), churn_risk=ChurnRisk(p_alive_below=0.6)
    )
    scorer = Scorer(BgNbdParams(r=0.243, alpha=4.414 * 7, a=0.793, b=2.426), None, SegmentsConfig())
    last = START - timedelta(days=27)
    first = last - timedelta(days=7 * 11)
    profile = Profile(
        user_id="weekly",
        first_seen_at=first,
        first_order_at=first,
        last_seen_at=last,
        last_event_at={"order": last},
        orders=12,
    )
    assert dormancy_tier(profile, rules, START) is None
    p_alive = scorer.p_alive(profile, START)
    assert p_alive == pytest.approx(0.55991, abs=1e-4)
    assert churn_risk_tier(profile, rules, p_alive) is not None
    assert days_earlier(START, last, 30) == pytest.approx(3.0)


def test_the_summary_names_the_fit_churn_risk_scored_with() -> None:
    fit = BgNbdFit(FitStatus.FITTED, START, sample_size=1000, repeat_buyers=533)
    log = churn_risk_log([], 30, fit)
    assert log.summary()["fit"] == {"status": "fitted", "sample_size": 1000, "repeat_buyers": 533}
    assert churn_risk_log([], 30).summary()["fit"] == {}
