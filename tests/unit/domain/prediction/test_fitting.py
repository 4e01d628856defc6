"""The maximum-likelihood fits: BG/NBD against the paper's CDNOW estimates, Gamma-Gamma against the
parameters it was simulated from, and the statuses of samples the fits cannot use."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import numpy as np
import pytest

from tests.unit.domain.prediction.samples import simulate_bgnbd, simulate_spend
from winback.domain.prediction.bgnbd import BgNbdParams, PurchaseHistory
from winback.domain.prediction.fitting import (
    LOG_BOUND,
    MIN_REPEAT_BUYERS,
    MIN_SPEND_REPEAT_BUYERS,
    _maximize,
    _outcome,
    bgnbd_log_likelihood,
    fit_bgnbd,
    fit_gamma_gamma,
    gamma_gamma_log_likelihood,
)
from winback.domain.prediction.gamma_gamma import GammaGammaParams, SpendHistory
from winback.domain.prediction.models import FitStatus

NOW = datetime(2026, 3, 1, tzinfo=UTC)


def test_cdnow_fit_gives_the_papers_estimates_to_the_printed_precision(cdnow: list[PurchaseHistory]) -> None:
    fit = fit_bgnbd(cdnow, NOW, time_unit="weeks")
    assert fit.status is FitStatus.FITTED and fit.params is not None and fit.log_likelihood is not None
    p = fit.params
    assert (round(p.r, 3), round(p.alpha, 3), round(p.a, 3), round(p.b, 3)) == (0.243, 4.414, 0.793, 2.426)
    assert round(fit.log_likelihood, 1) == -9582.4
    assert (fit.sample_size, fit.repeat_buyers, fit.time_unit, fit.detail) == (2357, 946, "weeks", "")
    assert fit.fitted_at == NOW


def test_cdnow_log_likelihood_at_the_papers_estimates(cdnow: list[PurchaseHistory]) -> None:
    assert bgnbd_log_likelihood(BgNbdParams(0.243, 4.414, 0.793, 2.426), cdnow) == pytest.approx(-9582.4, abs=0.05)


def test_cdnow_fit_histogram(cdnow: list[PurchaseHistory]) -> None:
    fit = fit_bgnbd(cdnow, NOW, time_unit="weeks")
    gof = fit.goodness_of_fit
    assert gof is not None
    # customers with 0, 1, ..., 6 and 7 or more repeat purchases in the 39 weeks
    assert gof.observed == (1411, 439, 214, 100, 62, 38, 29, 64)
    assert sum(gof.expected) == pytest.approx(2357, rel=1e-9)
    assert gof.expected[0] == pytest.approx(1408, abs=1)  # the paper's figure: predicted close to actual
    assert gof.degrees_of_freedom == 3
    assert gof.chi_square == pytest.approx(
        sum((o - e) ** 2 / e for o, e in zip(gof.observed, gof.expected, strict=True)), rel=1e-12
    )
    assert gof.chi_square < 7.81  # below the 95% point of chi-square with 3 degrees of freedom


def test_cdnow_standard_errors_are_reported(cdnow: list[PurchaseHistory]) -> None:
    errors = fit_bgnbd(cdnow, NOW, time_unit="weeks").log_param_std_errors
    assert errors is not None and len(errors) == 4
    assert all(0 < e < 0.5 for e in errors)


def test_the_fit_does_not_depend_on_the_time_unit(cdnow: list[PurchaseHistory]) -> None:
    in_days = [PurchaseHistory(h.frequency, h.recency * 7, h.age * 7) for h in cdnow]
    weeks, days = fit_bgnbd(cdnow, NOW, "weeks").params, fit_bgnbd(in_days, NOW).params
    assert weeks is not None and days is not None
    assert days.alpha == pytest.approx(weeks.alpha * 7, rel=1e-5)
    assert (days.r, days.a, days.b) == pytest.approx((weeks.r, weeks.a, weeks.b), rel=1e-5)


def test_a_fit_recovers_the_parameters_it_was_simulated_from() -> None:
    true = BgNbdParams(0.8, 20.0, 1.2, 3.5)  # days
    ages = list(np.random.default_rng(11).uniform(60.0, 400.0, 4000))
    fit = fit_bgnbd(simulate_bgnbd(true, ages, seed=12), NOW)
    assert fit.params is not None and fit.log_param_std_errors is not None
    fitted = (fit.params.r, fit.params.alpha, fit.params.a, fit.params.b)
    truth = (0.8, 20.0, 1.2, 3.5)
    for name, got, want, error in zip(("r", "alpha", "a", "b"), fitted, truth, fit.log_param_std_errors, strict=True):
        assert abs(math.log(got / want)) < 3 * error, name


def test_nobody_bought_twice() -> None:
    fit = fit_bgnbd([PurchaseHistory(0, 0.0, float(age)) for age in range(1, 500)], NOW)
    assert fit.status is FitStatus.NO_REPEAT_BUYERS and fit.params is None and not fit.usable
    assert fit.sample_size == 499


def test_too_few_repeat_buyers() -> None:
    few = [PurchaseHistory(1, 5.0, 30.0)] * (MIN_REPEAT_BUYERS - 1) + [PurchaseHistory(0, 0.0, 30.0)] * 1000
    fit = fit_bgnbd(few, NOW)
    assert fit.status is FitStatus.TOO_SMALL and fit.params is None
    assert f"{MIN_REPEAT_BUYERS - 1} repeat buyers" in fit.detail
    assert fit_bgnbd([], NOW).status is FitStatus.TOO_SMALL


def test_a_nearly_homogeneous_dropout_probability_is_fitted() -> None:
    """Everyone with nearly the same dropout probability: a and b come out large together (a flat ridge
    of the likelihood, where the optimizer needs its restart); the fit is usable and finds the mean."""
    true = BgNbdParams(0.8, 20.0, 3e6, 7e6)
    ages = list(np.random.default_rng(13).uniform(60.0, 400.0, 3000))
    fit = fit_bgnbd(simulate_bgnbd(true, ages, seed=14), NOW)
    assert fit.usable and fit.params is not None
    assert fit.params.a > 1e3 and fit.params.b > 1e3
    assert fit.params.a / (fit.params.a + fit.params.b) == pytest.approx(0.3, abs=0.03)


def test_a_likelihood_still_rising_at_a_bound_is_a_fit_at_the_edge() -> None:
    """An objective that keeps falling as the second parameter grows: the optimizer stops at the bound,
    the projected gradient leaves that component out, and the outcome names the parameter."""

    def objective(log_params: np.ndarray) -> tuple[float, np.ndarray]:
        first, second = log_params
        value = (first - 1.0) ** 2 + math.exp(-second)
        return value, np.array([2 * (first - 1.0), -math.exp(-second)])

    optimum = _maximize(objective, np.zeros(2), n=1000)
    assert optimum.converged and optimum.at_bounds == (1,)
    assert optimum.log_params[1] == pytest.approx(LOG_BOUND)
    assert _outcome(optimum, ("p", "q")) == (True, "at the edge of the parameter space (likelihood flat beyond it): q")


# Gamma-Gamma

TRUE_SPEND = GammaGammaParams(p=6.25, q=3.74, v=15.44)  # Fader & Hardie's CDNOW estimates


def test_gamma_gamma_recovers_the_parameters_it_was_simulated_from() -> None:
    frequencies = [int(x) + 1 for x in np.random.default_rng(21).poisson(1.5, 5000)]
    fit = fit_gamma_gamma(simulate_spend(TRUE_SPEND, frequencies, seed=22), NOW)
    assert fit.status is FitStatus.FITTED and fit.params is not None and fit.log_param_std_errors is not None
    fitted = (fit.params.p, fit.params.q, fit.params.v)
    for name, got, want, error in zip("pqv", fitted, (6.25, 3.74, 15.44), fit.log_param_std_errors, strict=True):
        assert abs(math.log(got / want)) < 3 * error, name  # p and v trade off; their ratio is what shows
    assert fit.params.mean_spend == pytest.approx(TRUE_SPEND.mean_spend, rel=0.05)
    assert fit.ks_distance is not None and fit.ks_distance < 0.03
    assert fit.spend_frequency_correlation is not None and abs(fit.spend_frequency_correlation) < 0.05
    assert fit.sample_size == 5000


def test_gamma_gamma_ignores_customers_without_a_repeat_purchase() -> None:
    frequencies = [int(x) for x in np.random.default_rng(23).poisson(1.0, 3000)]
    histories = simulate_spend(TRUE_SPEND, frequencies, seed=24)
    buyers = [h for h in histories if h.frequency > 0]
    fit = fit_gamma_gamma(histories, NOW)
    assert fit.sample_size == len(buyers) < len(histories)
    assert fit.params is not None and fit.log_likelihood is not None
    assert fit.log_likelihood == pytest.approx(gamma_gamma_log_likelihood(fit.params, buyers), rel=1e-12)


def test_gamma_gamma_statuses() -> None:
    assert fit_gamma_gamma([SpendHistory(0, 0.0)] * 100, NOW).status is FitStatus.NO_REPEAT_BUYERS
    few = [SpendHistory(2, 10.0 + i) for i in range(MIN_SPEND_REPEAT_BUYERS - 1)]
    assert fit_gamma_gamma(few, NOW).status is FitStatus.TOO_SMALL


def test_gamma_gamma_without_a_finite_mean_fails() -> None:
    """Mean spends with a tail so heavy that q < 1: the population's mean spend would be infinite."""
    rng = np.random.default_rng(5)
    heavy = [SpendHistory(1, float(m)) for m in rng.pareto(0.6, 2000) + 1.0]
    fit = fit_gamma_gamma(heavy, NOW)
    assert fit.status is FitStatus.FAILED and fit.params is None
    assert "<= 1" in fit.detail
