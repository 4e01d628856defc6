"""BG/NBD's closed forms: P(alive) by hand, expected purchases against two independent computations
(scipy's hyp2f1 in eq. (10), and the expectation integrated numerically over the dropout probability),
P(X(t) = x) against eq. (8) with scipy, and the properties that must hold for any customer."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.integrate import quad
from scipy.special import betaln, gammaln
from scipy.special import hyp2f1 as scipy_hyp2f1

from winback.domain.prediction.bgnbd import (
    BgNbdParams,
    PurchaseHistory,
    expected_purchases,
    p_alive,
    purchase_count_distribution,
    purchase_count_probability,
)

CDNOW = BgNbdParams(r=0.243, alpha=4.414, a=0.793, b=2.426)  # the paper's estimates, in weeks


# P(alive | x, t_x, T) = 1 / (1 + [x > 0] a / (b + x - 1) ((alpha + T) / (alpha + t_x))^(r + x))


def test_p_alive_without_a_repeat_purchase_is_one() -> None:
    # x = 0: the indicator is 0, so P(alive) = 1 / (1 + 0) = 1, whatever the age.
    assert p_alive(CDNOW, PurchaseHistory(0, 0.0, 38.86)) == 1.0
    assert p_alive(CDNOW, PurchaseHistory(0, 0.0, 5000.0)) == 1.0


def test_p_alive_of_the_papers_first_customer() -> None:
    # x = 2, t_x = 30.43, T = 38.86 (the first row of the CDNOW summary):
    # a / (b + x - 1) = 0.793 / 3.426 = 0.231465
    # (alpha + T) / (alpha + t_x) = 43.274 / 34.844 = 1.241935; to the power r + x = 2.243: 1.625781
    # odds of having dropped out = 0.231465 * 1.625781 = 0.376314; P(alive) = 1 / 1.376314 = 0.726579
    odds = (0.793 / (2.426 + 2 - 1)) * ((4.414 + 38.86) / (4.414 + 30.43)) ** (0.243 + 2)
    assert odds == pytest.approx(0.376314, abs=1e-6)
    assert p_alive(CDNOW, PurchaseHistory(2, 30.43, 38.86)) == pytest.approx(1 / (1 + odds), rel=1e-12)
    assert p_alive(CDNOW, PurchaseHistory(2, 30.43, 38.86)) == pytest.approx(0.726579, abs=1e-6)


def test_p_alive_of_one_early_repeat_purchase_long_ago() -> None:
    # x = 1, t_x = 1.71, T = 38.86 (the second row): a / b = 0.793 / 2.426 = 0.326876;
    # (43.274 / 6.124)^1.243 = 7.066296^1.243 = 11.365; odds 3.7148; P(alive) = 1 / 4.7148 = 0.2121
    odds = (0.793 / 2.426) * ((4.414 + 38.86) / (4.414 + 1.71)) ** 1.243
    assert p_alive(CDNOW, PurchaseHistory(1, 1.71, 38.86)) == pytest.approx(1 / (1 + odds), rel=1e-12)
    assert p_alive(CDNOW, PurchaseHistory(1, 1.71, 38.86)) == pytest.approx(0.2121, abs=1e-4)


def test_p_alive_right_after_a_purchase_is_b_plus_x_minus_1_over_a_plus_b_plus_x_minus_1() -> None:
    # t_x = T: the power term is 1, odds = a / (b + x - 1), P(alive) = (b + x - 1) / (a + b + x - 1)
    x = 4
    assert p_alive(CDNOW, PurchaseHistory(x, 20.0, 20.0)) == pytest.approx(
        (2.426 + x - 1) / (0.793 + 2.426 + x - 1), rel=1e-12
    )


# Expected purchases in (T, T + t], eq. (10)


def _eq10_with_scipy(params: BgNbdParams, h: PurchaseHistory, t: float) -> float:
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    x, age = h.frequency, h.age
    hyp = float(scipy_hyp2f1(r + x, b + x, a + b + x - 1, t / (alpha + age + t)))
    bracket = 1 - ((alpha + age) / (alpha + age + t)) ** (r + x) * hyp
    return p_alive(params, h) * (a + b + x - 1) / (a - 1) * float(bracket)


def _integrated(params: BgNbdParams, h: PurchaseHistory, t: float) -> float:
    """P(alive) * E_p[(1 - ((alpha + T) / (alpha + T + p t))^(r + x)) / p], p ~ Beta(a, b + x): while
    alive, a customer with rate lambda and dropout p buys (1 - e^(-lambda p t)) / p times in t on average,
    and given the history lambda ~ Gamma(r + x, alpha + T), p ~ Beta(a, b + x)."""
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    s, b_x, u = r + h.frequency, b + h.frequency, t / (alpha + h.age)

    def integrand(p: float) -> float:
        bought = -math.expm1(-s * math.log1p(p * u))
        return bought * math.exp((a - 2) * math.log(p) + (b_x - 1) * math.log1p(-p) - float(betaln(a, b_x)))

    value, _ = quad(integrand, 0.0, 1.0, limit=500, epsabs=0.0, epsrel=1e-12, points=[a / (a + b_x)])
    return p_alive(params, h) * float(value)


HISTORIES = [
    PurchaseHistory(x, round(share * age, 2) if x else 0.0, age)
    for x in (0, 1, 2, 7, 30, 200)
    for share in (0.2, 0.9, 1.0)
    for age in (1.0, 38.86, 400.0)
]


@pytest.mark.parametrize("t", [1.0, 39.0, 52.0])
@pytest.mark.parametrize("params", [CDNOW, BgNbdParams(2.0, 30.0, 1.5, 5.0), BgNbdParams(0.5, 2.0, 3.0, 0.7)])
def test_expected_purchases_match_eq10_and_the_integral(params: BgNbdParams, t: float) -> None:
    for h in HISTORIES:
        mine = expected_purchases(params, h, t)
        assert mine == pytest.approx(_eq10_with_scipy(params, h, t), rel=1e-9, abs=1e-12), h
        assert mine == pytest.approx(_integrated(params, h, t), rel=1e-8, abs=1e-12), h


def test_the_papers_example_customer() -> None:
    # FHL 2005 section 5: x = 2, t_x = 30.43, T = 38.86 is expected to buy 1.226 times in the next 39 weeks.
    assert expected_purchases(CDNOW, PurchaseHistory(2, 30.43, 38.86), 39.0) == pytest.approx(1.226, abs=5e-4)


def test_a_equal_to_one_is_the_limit_of_its_neighbours() -> None:
    # (a + b + x - 1) / (a - 1) is 0/0 at a = 1 in eq. (10); the computation has no such division.
    h = PurchaseHistory(3, 20.0, 38.86)
    at_one = expected_purchases(BgNbdParams(0.243, 4.414, 1.0, 2.426), h, 39.0)
    below = expected_purchases(BgNbdParams(0.243, 4.414, 1.0 - 1e-7, 2.426), h, 39.0)
    above = expected_purchases(BgNbdParams(0.243, 4.414, 1.0 + 1e-7, 2.426), h, 39.0)
    assert at_one == pytest.approx((below + above) / 2, rel=1e-9)
    assert at_one == pytest.approx(_integrated(BgNbdParams(0.243, 4.414, 1.0, 2.426), h, 39.0), rel=1e-9)


def test_a_nearly_homogeneous_dropout_probability() -> None:
    # a and b in the hundreds of thousands: what small samples fit; the direct series is the short one.
    params = BgNbdParams(0.31, 31.6, 563_086.0, 2_575_651.8)
    for h in (PurchaseHistory(3, 100.0, 400.0), PurchaseHistory(0, 0.0, 39.0)):
        assert expected_purchases(params, h, 365.0) == pytest.approx(_eq10_with_scipy(params, h, 365.0), rel=1e-9)


def test_no_horizon_no_purchases() -> None:
    assert expected_purchases(CDNOW, PurchaseHistory(2, 30.43, 38.86), 0.0) == 0.0


# P(X(t) = x), eq. (8)


def _eq8_with_scipy(params: BgNbdParams, x: int, t: float) -> float:
    r, alpha, a, b = params.r, params.alpha, params.a, params.b

    def nbd(j: int) -> float:
        return math.exp(
            gammaln(r + j)
            - gammaln(r)
            - gammaln(j + 1)
            + r * math.log(alpha / (alpha + t))
            + j * math.log(t / (alpha + t))
        )

    first = math.exp(betaln(a, b + x) - betaln(a, b)) * nbd(x)
    if x == 0:
        return first
    return first + math.exp(betaln(a + 1, b + x - 1) - betaln(a, b)) * (1 - math.fsum(nbd(j) for j in range(x)))


@pytest.mark.parametrize("t", [0.5, 38.86, 500.0])
def test_purchase_count_probability_matches_eq8(t: float) -> None:
    for x in range(12):
        assert purchase_count_probability(CDNOW, x, t) == pytest.approx(
            _eq8_with_scipy(CDNOW, x, t), rel=1e-9, abs=1e-15
        )


@pytest.mark.parametrize("t", [0.5, 38.86])
def test_purchase_counts_add_up_to_one(t: float) -> None:
    assert math.fsum(purchase_count_probability(CDNOW, x, t) for x in range(600)) == pytest.approx(1.0, abs=1e-9)


@pytest.mark.parametrize("t", [0.5, 38.86, 500.0])
def test_the_histogram_agrees_with_the_single_counts(t: float) -> None:
    bins = purchase_count_distribution(CDNOW, t, 8)
    assert bins[:7] == pytest.approx([purchase_count_probability(CDNOW, x, t) for x in range(7)], rel=1e-12, abs=1e-16)
    assert math.fsum(bins) == pytest.approx(1.0, abs=1e-12)


def test_over_no_time_nobody_buys() -> None:
    assert purchase_count_probability(CDNOW, 0, 0.0) == 1.0
    assert purchase_count_probability(CDNOW, 3, 0.0) == 0.0


# Properties for any customer

# alpha from one day: with a day's alpha, a brand-new customer's 365-day horizon already takes the
# series tens of thousands of terms (z = 365 / 366); see hypergeometric.MAX_TERMS.
PARAMS = st.builds(
    BgNbdParams,
    r=st.floats(0.01, 20.0),
    alpha=st.floats(1.0, 500.0),
    a=st.floats(0.05, 50.0),
    b=st.floats(0.05, 50.0),
)


@st.composite
def histories(draw: st.DrawFn, max_frequency: int = 10_000) -> PurchaseHistory:
    age = draw(st.floats(0.0, 20 * 365.0))
    x = draw(st.integers(0, max_frequency))
    recency = 0.0 if x == 0 else draw(st.floats(0.0, 1.0)) * age
    return PurchaseHistory(x, recency, age)


@given(PARAMS, histories())
def test_p_alive_is_a_probability(params: BgNbdParams, h: PurchaseHistory) -> None:
    assert 0.0 <= p_alive(params, h) <= 1.0


@given(PARAMS, histories(), st.floats(0.0, 3650.0))
def test_p_alive_does_not_rise_with_age_for_the_same_purchases(
    params: BgNbdParams, h: PurchaseHistory, more: float
) -> None:
    older = PurchaseHistory(h.frequency, h.recency, h.age + more)
    assert p_alive(params, older) <= p_alive(params, h)


@given(PARAMS, histories(), st.floats(0.0, 365.0))
def test_expected_purchases_are_finite_and_not_negative(params: BgNbdParams, h: PurchaseHistory, t: float) -> None:
    value = expected_purchases(params, h, t)
    assert math.isfinite(value)
    assert value >= 0.0


@given(PARAMS, histories(), st.floats(1.0, 365.0))
def test_expected_purchases_grow_with_the_horizon(params: BgNbdParams, h: PurchaseHistory, t: float) -> None:
    assert expected_purchases(params, h, t) <= expected_purchases(params, h, 2 * t) * (1 + 1e-9) + 1e-12


def test_a_heavy_buyer_of_twenty_years() -> None:
    h = PurchaseHistory(10_000, 7299.0, 7300.0)  # 10,000 repeat purchases over 20 years, the last yesterday
    value = expected_purchases(CDNOW, h, 365.0)
    # about P(alive) times the rate so far (10,000 / 7300 a day) over a year, give or take dropout
    assert 0.5 * 500 < value < 500.0 * 1.1


@pytest.mark.parametrize(
    ("frequency", "recency", "age"), [(-1, 0.0, 1.0), (1, 2.0, 1.0), (0, 1.0, 2.0), (1, -1.0, 2.0), (1, 1.0, math.inf)]
)
def test_an_impossible_history_is_refused(frequency: int, recency: float, age: float) -> None:
    with pytest.raises(ValueError):
        PurchaseHistory(frequency, recency, age)


@pytest.mark.parametrize("bad", [0.0, -1.0, math.nan, math.inf])
def test_parameters_must_be_positive_numbers(bad: float) -> None:
    with pytest.raises(ValueError, match="alpha"):
        BgNbdParams(0.2, bad, 1.0, 1.0)
