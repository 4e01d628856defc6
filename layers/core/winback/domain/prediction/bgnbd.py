"""BG/NBD (Fader, Hardie & Lee 2005, "Counting Your Customers the Easy Way", Marketing Science 24(2)),
scored in closed form with the standard library.

While alive, a customer buys as a Poisson process of rate lambda ~ Gamma(r, alpha); right after each
repeat purchase they drop out for good with probability p ~ Beta(a, b). A customer's history is x
repeat purchases (the first purchase does not count), the time t_x of the last one and their age T,
both measured from the first purchase, in the model's time unit.

One consequence worth knowing where this is used: dropping out only happens right after a repeat
purchase, so a customer with none (x = 0) is alive with probability 1 under BG/NBD, however long ago
they bought. P(alive) says nothing about one-time buyers; other rules must cover them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from winback.domain.prediction.hypergeometric import series


@dataclass(frozen=True, slots=True)
class BgNbdParams:
    r: float
    alpha: float
    a: float
    b: float

    def __post_init__(self) -> None:
        for name in ("r", "alpha", "a", "b"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value > 0):
                raise ValueError(f"BG/NBD parameter {name} must be a positive number, got {value!r}")


@dataclass(frozen=True, slots=True)
class PurchaseHistory:
    """x repeat purchases, the last at t_x, at age T (both from the first purchase, in the model's unit)."""

    frequency: int
    recency: float
    age: float

    def __post_init__(self) -> None:
        if self.frequency < 0:
            raise ValueError(f"frequency must be >= 0, got {self.frequency!r}")
        if not 0.0 <= self.recency <= self.age < math.inf:
            raise ValueError(f"need 0 <= recency <= age, got recency={self.recency!r}, age={self.age!r}")
        if self.frequency == 0 and self.recency != 0.0:
            raise ValueError(f"recency is 0 without a repeat purchase, got {self.recency!r}")


def _log_odds_dead(params: BgNbdParams, history: PurchaseHistory) -> float:
    """ln of P(dropped out after the last purchase) / P(alive), for x > 0."""
    x = history.frequency
    gap = (history.age - history.recency) / (params.alpha + history.recency)
    return math.log(params.a) - math.log(params.b + x - 1) + (params.r + x) * math.log1p(gap)


def p_alive(params: BgNbdParams, history: PurchaseHistory) -> float:
    """P(alive at T | x, t_x, T) = 1 / (1 + [x > 0] a / (b + x - 1) ((alpha + T) / (alpha + t_x))^(r + x))."""
    if history.frequency == 0:
        return 1.0
    log_odds = _log_odds_dead(params, history)
    if log_odds > 0:
        odds_alive = math.exp(-log_odds)
        return odds_alive / (1.0 + odds_alive)
    return 1.0 / (1.0 + math.exp(log_odds))


def _value_over_c(params: BgNbdParams, x: int, u: float) -> float:
    """[1 - (1 - z)^(r+x) 2F1(r + x, b + x; c; z)] * c / (a - 1), c = a + b + x - 1, z = u / (1 + u).

    Two forms of the same number, whichever has the smaller terms. Euler's transformation turns the
    bracket into 1 - (1 - z)^(a-1) 2F1(e, a - 1; c; z) with e = a + b - 1 - r, whose series starts
    1 + (a - 1) H(z): dividing by a - 1 by hand gives c {[1 - (1 - z)^(a-1)] / (a - 1) - (1 - z)^(a-1) H(z)},
    H(z) = (e z / c) sum_j (e + 1)_j (a)_j / ((c + 1)_j (2)_j) z^j, with no singularity at a = 1 or c = 0
    and small terms for heavy buyers (c grows with x, e does not). Its terms grow like a z / j, though:
    for a large a (a nearly homogeneous dropout probability) the direct series, whose terms shrink
    like (r + x)(b + x) / c, is the short one, and a - 1 is then far from 0."""
    a, b, r = params.a, params.b, params.r
    c = a + b + x - 1
    log_y = -math.log1p(u)  # ln(1 - z)
    z = u / (1.0 + u)
    if a > 2.0 and (a - 1) * (c - r - x) > (r + x) * (b + x):
        _, log_sum = series((r + x, b + x), (c, 1.0), z)  # positive terms
        return -math.expm1((r + x) * log_y + log_sum) * c / (a - 1)
    e = a + b - 1 - r
    k = (a - 1) * log_y
    first = -log_y if k == 0.0 else -math.expm1(k) / (a - 1)
    sign, log_sum = series((e + 1, a), (c + 1, 2.0), z)
    return c * first - e * z * sign * math.exp(k + log_sum)  # the second term is c (1 - z)^(a-1) H(z)


def expected_purchases(params: BgNbdParams, history: PurchaseHistory, horizon: float) -> float:
    """E[purchases in (T, T + t] | x, t_x, T], FHL 2005 eq. (10), for t = horizon >= 0.

    Equal to P(alive) * (a + b + x - 1) / (a - 1) * [1 - ((alpha + T) / (alpha + T + t))^(r + x)
    2F1(r + x, b + x; a + b + x - 1; t / (alpha + T + t))], computed as `_value_over_c` explains.
    Raises ArithmeticError when the series cannot converge (z within 2e-4 of 1: a horizon thousands
    of times alpha + T)."""
    if not (horizon >= 0 and math.isfinite(horizon)):
        raise ValueError(f"horizon must be a finite number >= 0, got {horizon!r}")
    if horizon == 0:
        return 0.0
    alive = p_alive(params, history)
    if alive == 0.0:
        return 0.0
    u = horizon / (params.alpha + history.age)
    return max(alive * _value_over_c(params, history.frequency, u), 0.0)


def _log_nbd(r: float, log_q0: float, log_q: float, j: int) -> float:
    """ln P(N = j) for the negative binomial of a new customer's purchases while alive."""
    return math.lgamma(r + j) - math.lgamma(r) - math.lgamma(j + 1) + r * log_q0 + j * log_q


def _nbd_tail(r: float, log_q0: float, log_q: float, x: int) -> float:
    """P(N >= x) for that negative binomial: summed upwards beyond its mean, 1 - P(N < x) below it."""
    q = math.exp(log_q)
    if x * math.exp(log_q0) > r * q:  # x above the mean r q / q0
        sign, log_sum = series((r + x, 1.0), (x + 1, 1.0), q)
        return sign * math.exp(_log_nbd(r, log_q0, log_q, x) + log_sum)
    return max(0.0, 1.0 - math.fsum(math.exp(_log_nbd(r, log_q0, log_q, j)) for j in range(x)))


def _log_beta(p: float, q: float) -> float:
    return math.lgamma(p) + math.lgamma(q) - math.lgamma(p + q)


def purchase_count_probability(params: BgNbdParams, count: int, period: float) -> float:
    """P(X(t) = x), FHL 2005 eq. (8): a new customer makes exactly `count` repeat purchases in (0, t].

    B(a, b + x) / B(a, b) * NBD(x) + [x > 0] B(a + 1, b + x - 1) / B(a, b) * P(NBD >= x)."""
    if count < 0 or not (period >= 0 and math.isfinite(period)):
        raise ValueError(f"need count >= 0 and a finite period >= 0, got {count!r}, {period!r}")
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    if period == 0:
        return 1.0 if count == 0 else 0.0
    log_q0 = math.log(alpha / (alpha + period))
    log_q = math.log(period / (alpha + period))
    log_b = _log_beta(a, b)
    alive = math.exp(_log_beta(a, b + count) - log_b + _log_nbd(r, log_q0, log_q, count))
    if count == 0:
        return alive
    dropped = math.exp(_log_beta(a + 1, b + count - 1) - log_b) * _nbd_tail(r, log_q0, log_q, count)
    return alive + dropped


def purchase_count_distribution(params: BgNbdParams, period: float, bins: int) -> tuple[float, ...]:
    """P(X(t) = 0), ..., P(X(t) = bins - 2) and P(X(t) >= bins - 1): the fit histogram's bins.

    Eq. (8) again, its gamma and beta functions carried from one count to the next by their
    recurrences, so that the histogram over many ages stays cheap."""
    if bins < 2 or not (period > 0 and math.isfinite(period)):
        raise ValueError(f"need bins >= 2 and a finite period > 0, got {bins!r}, {period!r}")
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    q = period / (alpha + period)
    nbd = math.exp(r * math.log(alpha / (alpha + period)))  # P(N = 0)
    below = 0.0  # P(N < x)
    beta_ratio = 1.0  # B(a, b + x) / B(a, b)
    head = []
    for x in range(bins - 1):
        probability = beta_ratio * nbd
        if x > 0:
            probability += beta_ratio * a / (b + x - 1) * max(0.0, 1.0 - below)
        head.append(probability)
        below += nbd
        nbd *= (r + x) / (x + 1) * q
        beta_ratio *= (b + x) / (a + b + x)
    return (*head, max(0.0, 1.0 - math.fsum(head)))
