"""domain/measurement/program_lift.py `revenue_lift`: the revenue the whole program caused, with its
interval, from the per-side sums and sums of squares the experiment cells keep."""

from __future__ import annotations

import math
import random
import statistics

import pytest

from winback.domain.measurement.program_lift import RevenueStratum, revenue_lift

# (users, share who buy without a message, holdout share) of three campaigns
CAMPAIGNS = (("lapsing", 3000, 0.12, 0.10), ("dormant", 2000, 0.05, 0.20), ("lost", 1000, 0.02, 0.05))
CONTROL_SHARE = 0.05


def _spend(rng: random.Random, buy_rate: float) -> int:
    """A user's attributed revenue in cents: most buy nothing, buyers spend a long-tailed amount."""
    return round(rng.lognormvariate(8.3, 0.8)) if rng.random() < buy_rate else 0


def _simulate(
    rng: random.Random, effect: float, scale: int = 1
) -> tuple[list[RevenueStratum], dict[str, tuple[list[int], list[int]]]]:
    """Each campaign's users split into control, holdout and treated; treated buy at rate + effect.
    Returns the strata as the cells keep them, and each campaign's per-user amounts."""
    strata, raw = [], {}
    for name, users, rate, holdout in CAMPAIGNS:
        treated: list[int] = []
        control: list[int] = []
        for _ in range(users * scale):
            if rng.random() < CONTROL_SHARE:
                control.append(_spend(rng, rate))
            elif rng.random() >= holdout:  # the campaign's own holdout is in neither side
                treated.append(_spend(rng, rate + effect))
        raw[name] = (treated, control)
        strata.append(
            RevenueStratum(
                name,
                "USD",
                len(treated),
                sum(treated),
                sum(v * v for v in treated),
                len(control),
                sum(control),
                sum(v * v for v in control),
            )
        )
    return strata, raw


def test_the_interval_from_sums_of_squares_equals_the_pooled_one_on_the_per_user_amounts() -> None:
    """An independent computation: the two-sample pooled standard error from the raw per-user amounts
    (statistics.variance), stratified with the same weights."""
    strata, raw = _simulate(random.Random(3), effect=0.04)
    (found,) = revenue_lift(strata)
    total = sum(len(t) + len(k) for t, k in raw.values())
    estimate = variance = 0.0
    for treated, control in raw.values():
        weight = (len(treated) + len(control)) / total
        estimate += weight * (statistics.fmean(treated) - statistics.fmean(control))
        nt, nk = len(treated), len(control)
        pooled = ((nt - 1) * statistics.variance(treated) + (nk - 1) * statistics.variance(control)) / (nt + nk - 2)
        variance += weight**2 * pooled * (1 / nt + 1 / nk)
    half = 1.959964 * math.sqrt(variance)
    assert found.per_user == pytest.approx(estimate)
    assert found.per_user_low == pytest.approx(estimate - half, rel=1e-5)
    assert found.per_user_high == pytest.approx(estimate + half, rel=1e-5)


def test_no_effect_intervals_cover_0_about_95_percent_of_the_time() -> None:
    rng = random.Random(11)
    runs = 200
    covered = 0
    for _ in range(runs):
        (found,) = revenue_lift(_simulate(rng, effect=0.0)[0])
        covered += found.incremental_low <= 0.0 <= found.incremental_high
    assert 0.91 <= covered / runs <= 0.99


def test_a_real_effect_is_found_and_its_incremental_revenue_is_near_the_truth() -> None:
    strata, _ = _simulate(random.Random(5), effect=0.08, scale=5)
    (found,) = revenue_lift(strata)
    treated = sum(s.treated_n for s in strata)
    mean_spend = math.exp(8.3 + 0.8**2 / 2)
    assert found.significant and found.incremental_low > 0.0
    assert found.incremental == pytest.approx(0.08 * mean_spend * treated, rel=0.35)


def test_each_currency_is_its_own_figure_and_a_campaign_without_control_adds_nothing() -> None:
    strata = [
        RevenueStratum("a", "USD", 10, 1000, 200_000, 10, 500, 50_000),
        RevenueStratum("a", "CNY", 10, 3000, 1_800_000, 10, 0, 0),
        RevenueStratum("b", "USD", 50, 99_999, 10**9, 0, 0, 0),
    ]
    usd, cny = sorted(revenue_lift(strata), key=lambda r: r.currency, reverse=True)
    assert (usd.currency, cny.currency) == ("USD", "CNY")
    assert usd.per_user == pytest.approx(50.0) and usd.incremental == pytest.approx(500.0)
    assert cny.per_user == pytest.approx(300.0)
