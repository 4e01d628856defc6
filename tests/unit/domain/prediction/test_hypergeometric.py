"""The pure-Python 2F1 against scipy's, over a grid that includes a heavy buyer's and a long age's parameters."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from scipy.special import gammaln, logsumexp
from scipy.special import hyp2f1 as scipy_hyp2f1

from winback.domain.prediction import hypergeometric
from winback.domain.prediction.hypergeometric import hyp2f1, log_hyp2f1, series

R, ALPHA, A, B = 0.243, 4.414, 0.793, 2.426  # CDNOW's BG/NBD estimates, in weeks


GENERIC = list(
    itertools.product(
        (0.1, 0.5, 2.4, 10.0, 100.0),
        (0.2, 1.0, 3.0, 50.0),
        (0.3, 1.5, 5.0, 200.0),
        (0.0, 0.1, 0.5, 0.9, 0.99),
    )
)
# What eq. (10) asks for: 2F1(r + x, b + x; a + b + x - 1; t / (alpha + T + t)), x up to 10,000,
# ages T from a week to 20 years (in weeks), horizons t from a week to a year.
BGNBD = [
    (R + x, B + x, A + B + x - 1, t / (ALPHA + age + t))
    for x in (0, 1, 5, 50, 1000, 10_000)
    for age in (1.0, 39.0, 520.0, 1040.0)
    for t in (1.0, 4.0, 52.0)
]


def _scipy_log(a: float, b: float, c: float, z: float) -> float:
    """ln 2F1 from scipy: its hyp2f1, or where that overflows, the series summed term by term in logs
    with gammaln and logsumexp (all terms are positive for a, b, c > 0); nan if 200,000 terms fall short."""
    direct = float(scipy_hyp2f1(a, b, c, z))
    if math.isfinite(direct):
        return math.log(direct)
    k = np.arange(200_000, dtype=np.float64)
    log_terms = (
        gammaln(a + k) - gammaln(a) + gammaln(b + k) - gammaln(b) - gammaln(c + k) + gammaln(c) - gammaln(k + 1)
    ) + k * math.log(z)
    total = float(logsumexp(log_terms))
    return total if log_terms[-1] < total - 50 else math.nan


def _compare(grid: list[tuple[float, float, float, float]]) -> tuple[int, list[tuple[float, ...]], int]:
    """(cases compared, cases answered wrongly, cases refused as too slow to converge)."""
    compared, refused = 0, 0
    wrong: list[tuple[float, ...]] = []
    for a, b, c, z in grid:
        reference = _scipy_log(a, b, c, z)
        if not math.isfinite(reference):
            continue
        compared += 1
        try:
            mine = log_hyp2f1(a, b, c, z)
        except ArithmeticError:
            refused += 1
            continue
        if abs(mine - reference) > 1e-11 * max(1.0, abs(reference)):
            wrong.append((a, b, c, z, mine, reference))
    return compared, wrong, refused


def test_log_hyp2f1_matches_scipy_on_bgnbds_arguments() -> None:
    compared, wrong, refused = _compare(BGNBD)
    assert (compared, wrong, refused) == (len(BGNBD), [], 0)


def test_log_hyp2f1_matches_scipy_over_a_generic_grid() -> None:
    compared, wrong, refused = _compare(GENERIC)
    assert (compared, wrong, refused) == (len(GENERIC), [], 0)


def test_a_heavy_buyers_value_is_beyond_a_float_but_its_log_is_finite() -> None:
    x = 10_000
    z = 52.0 / (ALPHA + 39.0 + 52.0)
    assert math.isinf(float(scipy_hyp2f1(R + x, B + x, A + B + x - 1, z)))
    assert math.isinf(hyp2f1(R + x, B + x, A + B + x - 1, z))
    log_value = log_hyp2f1(R + x, B + x, A + B + x - 1, z)
    # Euler: (1 - z)^(c - a - b) dominates; its log alone is (a - 1 - r - x) ln(1 - z)
    assert log_value == pytest.approx((A - 1 - R - x) * math.log1p(-z), rel=1e-3)


def test_closed_forms() -> None:
    z = 0.37
    assert hyp2f1(1.0, 1.0, 2.0, z) == pytest.approx(-math.log1p(-z) / z, rel=1e-14)
    assert hyp2f1(2.5, 3.0, 3.0, z) == pytest.approx((1 - z) ** -2.5, rel=1e-14)  # 2F1(a, b; b; z) = (1 - z)^-a
    assert hyp2f1(0.3, 0.7, 1.1, 0.0) == 1.0


def test_a_series_with_a_non_positive_integer_upper_parameter_is_a_polynomial() -> None:
    sign, log_value = series((-2.0, 1.0), (1.0, 1.0), 0.5)  # 1 - 2(0.5) + 1(0.25)
    assert sign * math.exp(log_value) == pytest.approx(0.25, rel=1e-14)


def test_slow_convergence_is_an_error_not_a_guess(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(hypergeometric, "MAX_TERMS", 1000)
    with pytest.raises(ArithmeticError, match="did not converge"):
        log_hyp2f1(0.5, 0.5, 1.5, 0.999)  # about 35 / (1 - z) = 35,000 terms


@pytest.mark.parametrize(("a", "b", "c", "z"), [(0.0, 1.0, 1.0, 0.5), (1.0, 1.0, -1.0, 0.5), (1.0, 1.0, 1.0, 1.0)])
def test_outside_the_domain_is_refused(a: float, b: float, c: float, z: float) -> None:
    with pytest.raises(ValueError):
        log_hyp2f1(a, b, c, z)


def test_series_refuses_a_pole() -> None:
    with pytest.raises(ValueError, match="negative integer"):
        series((1.0, 1.0), (-3.0, 1.0), 0.5)
