"""Adaptive allocation (domain/measurement/adaptive.py and arms.assign with the day's weights):
P(best) against an independent computation, the minimum per arm, the winner's threshold, the
holdout's exact share under any weights, and a seeded simulation that moves toward the better arm."""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate, stats

from winback.config.campaigns import HOLDOUT, Campaign
from winback.domain.measurement.adaptive import allocate, floored, p_best
from winback.domain.measurement.arms import assign, position

DAY = dt.date(2026, 12, 7)


def _campaign(**extra: Any) -> Campaign:
    return Campaign.model_validate(
        {
            "id": "nudge",
            "tiers": ["t"],
            "channels": ["email"],
            "steps": [{"template": "offer"}],
            "variants": [{"id": "a"}, {"id": "b"}],
            "allocation": "adaptive",
            **extra,
        }
    )


def _p_best_by_integration(counts: dict[str, tuple[int, int]]) -> dict[str, float]:
    """P(arm i has the highest rate) = ∫ f_i(x) ∏_{j≠i} F_j(x) dx with Beta(1+x, 1+n-x) posteriors
    (scipy's quadrature, independent of the Monte Carlo under test)."""
    posteriors = {arm: stats.beta(1 + x, 1 + n - x) for arm, (n, x) in counts.items()}
    out: dict[str, float] = {}
    for arm, own in posteriors.items():
        others = [p for other, p in posteriors.items() if other != arm]

        def density(x: float, own: Any = own, others: list[Any] = others) -> float:
            product = float(own.pdf(x))
            for other in others:
                product *= float(other.cdf(x))
            return product

        out[arm] = float(integrate.quad(density, 0, 1, limit=200)[0])
    return out


@pytest.mark.parametrize(
    "counts",
    [
        {"a": (100, 10), "b": (100, 20)},
        {"a": (40, 4), "b": (60, 7)},
        {"a": (0, 0), "b": (0, 0)},
        {"a": (500, 60), "b": (480, 62), "c": (90, 14)},
    ],
)
def test_p_best_matches_numerical_integration(counts: dict[str, tuple[int, int]]) -> None:
    expected = _p_best_by_integration(counts)
    estimated = p_best(counts, seed=1)
    for arm in counts:
        # 20,000 draws: the standard error is at most 0.0035.
        assert estimated[arm] == pytest.approx(expected[arm], abs=0.015)
    assert sum(estimated.values()) == pytest.approx(1)


def test_p_best_for_two_arms_matches_the_closed_form() -> None:
    """Evan Miller's closed form of P(p_B > p_A) for Beta posteriors with integer parameters."""
    from math import exp, lgamma, log

    def log_beta(a: float, b: float) -> float:
        return lgamma(a) + lgamma(b) - lgamma(a + b)

    (n_a, x_a), (n_b, x_b) = (120, 12), (110, 19)
    alpha_a, beta_a, alpha_b, beta_b = 1 + x_a, 1 + n_a - x_a, 1 + x_b, 1 + n_b - x_b
    closed = sum(
        exp(
            log_beta(alpha_a + i, beta_a + beta_b)
            - log(beta_b + i)
            - log_beta(1 + i, beta_b)
            - log_beta(alpha_a, beta_a)
        )
        for i in range(alpha_b)
    )
    assert p_best({"a": (n_a, x_a), "b": (n_b, x_b)}, seed=3)["b"] == pytest.approx(closed, abs=0.015)


def test_below_the_minimum_per_arm_the_split_is_equal() -> None:
    """Guard: allocate() keeps equal weights until every variant has adaptive_min_per_arm users."""
    campaign = _campaign(adaptive_min_per_arm=100)
    early = allocate(campaign, {"a": 99, "b": 400}, {"a": 2, "b": 120}, DAY)
    assert not early.adapting and early.weights == {"a": 0.5, "b": 0.5} and early.winner is None
    assert early.p_best["b"] > 0.99  # P(best) is still computed and shown
    ready = allocate(campaign, {"a": 100, "b": 400}, {"a": 2, "b": 120}, DAY)
    assert ready.adapting and ready.weights["b"] > 0.9


def test_weights_are_p_best_above_a_floor_and_sum_to_one() -> None:
    campaign = _campaign(adaptive_min_per_arm=10, adaptive_floor_percent=5)
    decision = allocate(campaign, {"a": 300, "b": 300}, {"a": 10, "b": 90}, DAY)
    assert decision.weights["a"] == pytest.approx(0.05, abs=1e-3)  # P(best) ≈ 0: the floor keeps it learning
    assert sum(decision.weights.values()) == pytest.approx(1)
    assert floored({"a": 0.25, "b": 0.75}, 0.1) == pytest.approx({"a": 0.3, "b": 0.7})


@settings(max_examples=30, deadline=None)
@given(
    assigned=st.tuples(st.integers(20, 400), st.integers(20, 400)),
    rates=st.tuples(st.floats(0, 1), st.floats(0, 1)),
    probability=st.sampled_from([0.8, 0.9, 0.95, 0.99]),
)
def test_a_winner_is_declared_only_at_the_configured_probability(
    assigned: tuple[int, int], rates: tuple[float, float], probability: float
) -> None:
    """Guard: allocate() names a winner only when its P(best) ≥ winner_probability (and the minimum is met)."""
    campaign = _campaign(adaptive_min_per_arm=20, winner_probability=probability)
    reactivated = {arm: round(n * r) for arm, n, r in zip("ab", assigned, rates, strict=True)}
    decision = allocate(campaign, dict(zip("ab", assigned, strict=True)), reactivated, DAY)
    best = max(decision.p_best, key=lambda arm: decision.p_best[arm])
    if decision.p_best[best] >= probability:
        assert decision.winner == best
    else:
        assert decision.winner is None


def test_the_same_counts_on_the_same_day_decide_the_same() -> None:
    campaign = _campaign(adaptive_min_per_arm=10)
    counts = ({"a": 80, "b": 90}, {"a": 9, "b": 14})
    assert allocate(campaign, *counts, DAY) == allocate(campaign, *counts, DAY)


@settings(max_examples=200, deadline=None)
@given(
    user_id=st.text(min_size=1, max_size=40),
    weights=st.dictionaries(st.sampled_from(["a", "b"]), st.floats(0, 1), min_size=1),
    holdout=st.floats(0, 50),
)
def test_the_holdout_does_not_depend_on_the_days_weights(
    user_id: str, weights: dict[str, float], holdout: float
) -> None:
    """Guard: assign() decides the holdout from the user's position before any weight, so its share
    stays exactly holdout_percent however the variants' shares move."""
    campaign = _campaign()
    arm = assign(campaign, user_id, holdout, weights)
    assert (arm == HOLDOUT) == (position(campaign.id, user_id) < holdout / 100)
    assert (arm == HOLDOUT) == (assign(campaign, user_id, holdout) == HOLDOUT)
    assert arm == assign(campaign, user_id, holdout, weights)  # deterministic for a user and a decision


def test_the_treated_range_is_split_by_the_days_weights() -> None:
    campaign = _campaign()
    arms = Counter(assign(campaign, f"user-{i}", 10, {"a": 0.2, "b": 0.8}) for i in range(40_000))
    assert arms[HOLDOUT] / 40_000 == pytest.approx(0.10, abs=0.01)
    assert arms["a"] / 40_000 == pytest.approx(0.18, abs=0.01)
    assert arms["b"] / 40_000 == pytest.approx(0.72, abs=0.01)


def test_a_seeded_simulation_moves_the_allocation_toward_the_better_arm() -> None:
    """Days of new users, each day's split decided from the counts so far: the better arm ("b",
    20% vs 10%) ends with most of the new users, a winner is declared, and the holdout keeps its share."""
    campaign = _campaign(adaptive_min_per_arm=100, winner_probability=0.95)
    rate = {"a": 0.10, "b": 0.20}
    rng = random.Random(42)
    assigned: Counter[str] = Counter()
    reactivated: Counter[str] = Counter()
    shares: list[float] = []
    everyone: Counter[str] = Counter()
    for day in range(12):
        decision = allocate(campaign, assigned, reactivated, DAY + dt.timedelta(days=day))
        shares.append(decision.weights["b"])
        for i in range(300):
            arm = assign(campaign, f"d{day}-u{i}", 10, decision.weights)
            everyone[arm] += 1
            if arm != HOLDOUT:
                assigned[arm] += 1
                reactivated[arm] += rng.random() < rate[arm]
    assert shares[0] == 0.5  # no one assigned yet: equal
    assert shares[-1] > 0.9 > 0.5
    assert decision.winner == "b"
    assert everyone["b"] > 2 * everyone["a"]
    assert everyone[HOLDOUT] / sum(everyone.values()) == pytest.approx(0.10, abs=0.015)
