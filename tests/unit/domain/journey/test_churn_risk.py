"""The predicted tier churn_risk (domain/journey/dormancy.py, services/scan/job.py's tier_of): a repeat
buyer whose P(alive) fell under the threshold enters it before the first fixed tier; a buyer whose
usual gap is long does not at the same gap; one-time buyers and a missing fit leave the fixed tiers
alone. Guards: the P(alive) threshold, min_orders, the usable-fit check in scorer_for."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from winback.config.dormancy import CHURN_RISK, ChurnRisk, Dormancy, Tier
from winback.config.segments import SegmentsConfig
from winback.domain.audience.scoring import Scorer, purchase_history, scorer_for
from winback.domain.journey.dormancy import churn_risk_tier, dormancy_tier
from winback.domain.prediction.bgnbd import BgNbdParams
from winback.domain.prediction.models import BgNbdFit, FitStatus
from winback.models.population import PopulationStats
from winback.models.profile import Profile

NOW = datetime(2026, 12, 7, 6, 0, tzinfo=UTC)
# CDNOW's BG/NBD fit (Fader, Hardie & Lee 2005: r 0.243, alpha 4.414 weeks, a 0.793, b 2.426), in days.
CDNOW_DAYS = BgNbdParams(r=0.243, alpha=4.414 * 7, a=0.793, b=2.426)
RULES = Dormancy(
    signal="order",
    tiers=(Tier(name="lapsing", after_days=30), Tier(name="dormant", after_days=90)),
    churn_risk=ChurnRisk(p_alive_below=0.7),
)
SCORER = Scorer(CDNOW_DAYS, None, SegmentsConfig())


def buyer(orders: int, every_days: float, quiet_days: float) -> Profile:
    """`orders` orders `every_days` apart, the last `quiet_days` ago."""
    last = NOW - timedelta(days=quiet_days)
    first = last - timedelta(days=every_days * (orders - 1))
    return Profile(
        user_id=f"u-{orders}-{every_days}",
        first_seen_at=first,
        first_order_at=first,
        last_seen_at=last,
        last_event_at={"order": last},
        orders=orders,
        spend_minor={"USD": 5_000 * orders},
    )


def tier(profile: Profile, rules: Dormancy = RULES, scorer: Scorer | None = SCORER) -> str | None:
    fixed = dormancy_tier(profile, rules, NOW)
    if fixed is not None:
        return fixed.name
    p_alive = scorer.p_alive(profile, NOW) if scorer is not None else None
    found = churn_risk_tier(profile, rules, p_alive)
    return found.name if found else None


def test_a_weekly_buyer_who_stops_is_at_churn_risk_before_the_first_fixed_tier() -> None:
    weekly = buyer(orders=12, every_days=7, quiet_days=25)
    assert SCORER.p_alive(weekly, NOW) == pytest.approx(0.6008, abs=1e-3)
    assert tier(weekly) == CHURN_RISK  # 25 days quiet: lapsing (30 days) has not fired yet


def test_a_twice_a_year_buyer_at_the_same_gap_is_not() -> None:
    twice_a_year = buyer(orders=4, every_days=182, quiet_days=25)
    assert SCORER.p_alive(twice_a_year, NOW) == pytest.approx(0.8294, abs=1e-3)
    assert tier(twice_a_year) is None


def test_a_weekly_buyer_a_few_days_quiet_is_not_yet() -> None:
    assert tier(buyer(orders=12, every_days=7, quiet_days=10)) is None


def test_the_fixed_tiers_still_apply_past_their_thresholds() -> None:
    assert tier(buyer(orders=12, every_days=7, quiet_days=40)) == "lapsing"


def test_a_one_time_buyer_is_never_at_churn_risk() -> None:
    # BG/NBD: P(alive) = 1 for x = 0 whatever the gap; min_orders keeps the rule explicit.
    once = buyer(orders=1, every_days=7, quiet_days=29)
    assert SCORER.p_alive(once, NOW) == 1.0
    assert tier(once) is None
    assert churn_risk_tier(once, RULES, 0.0) is None


def test_without_a_model_or_without_the_rule_only_the_fixed_tiers_apply() -> None:
    weekly = buyer(orders=12, every_days=7, quiet_days=25)
    assert tier(weekly, scorer=None) is None
    assert tier(weekly, rules=RULES.model_copy(update={"churn_risk": None})) is None


def test_only_a_usable_fit_gives_a_scorer() -> None:
    stats = PopulationStats(computed_at=NOW, sample_size=10, population_estimate=10, base_currency="USD")
    assert scorer_for(stats, SegmentsConfig()) is None
    too_small = BgNbdFit(FitStatus.TOO_SMALL, NOW, 10, 3, detail="3 repeat buyers")
    assert scorer_for(stats.model_copy(update={"bgnbd": too_small}), SegmentsConfig()) is None
    fitted = BgNbdFit(FitStatus.FITTED, NOW, 500, 200, params=CDNOW_DAYS, log_likelihood=-1.0)
    scorer = scorer_for(stats.model_copy(update={"bgnbd": fitted}), SegmentsConfig())
    assert scorer is not None and scorer.bgnbd == CDNOW_DAYS and scorer.gamma_gamma is None


def test_a_profile_from_before_first_orders_were_recorded_starts_at_its_first_event() -> None:
    weekly = buyer(orders=12, every_days=7, quiet_days=25).model_copy(update={"first_order_at": None})
    history = purchase_history(weekly, NOW)
    assert history is not None and history.age == pytest.approx(102)


def test_a_program_may_target_churn_risk_only_when_it_is_configured() -> None:
    assert CHURN_RISK in RULES.tier_names()
    assert CHURN_RISK not in RULES.model_copy(update={"churn_risk": None}).tier_names()
    with pytest.raises(ValueError, match="predicted tier"):
        Dormancy(tiers=(Tier(name=CHURN_RISK, after_days=10),))
