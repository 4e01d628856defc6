"""Hypergeometric series in pure Python, for 0 <= z < 1: the Gaussian 2F1(a, b; c; z) and the
series sum_k (u1)_k (u2)_k / ((l1)_k (l2)_k) z^k that BG/NBD's expectations are made of.

Terms follow from their ratio, the sum is kept as a float times exp(scale) so that it neither
overflows (2F1(r + x, b + x; a + b + x - 1; z) of a heavy buyer is astronomically large) nor needs a
log per term, and summing stops on a proven bound of the tail, not on a small-looking term:
once every u_i + k and l_i + k is positive, each factor (u_i + j) / (l_i + j) moves monotonically
towards 1 as j grows, so every later term ratio is at most rho = z * prod_i max(1, (u_i + k) / (l_i + k)),
and the terms still to come add up to at most |term_k| * rho / (1 - rho).

Speed: the ratio tends to z, so a series whose parameters do not cut it short needs about
ln(1e15) / (1 - z) = 35 / (1 - z) terms. `log_hyp2f1` uses Euler's transformation
2F1(a, b; c; z) = (1 - z)^(c - a - b) 2F1(c - a, c - b; c; z) when it makes the terms smaller (heavy
buyers: a few terms instead of thousands); what remains slow is a light buyer's long horizon
(z near 1), which is bounded by MAX_TERMS and raises ArithmeticError past it rather than answer
something unproven.
"""

from __future__ import annotations

import math

TOLERANCE = 1e-15  # relative bound on the tail left out
MAX_TERMS = 200_000  # about z = 1 - 1.8e-4: 35 / (1 - z) terms are needed as z nears 1
_RESCALE = 1e200


def _rescaled(total: float, term: float, scale: float) -> tuple[float, float, float]:
    factor = max(abs(total), abs(term))
    return total / factor, term / factor, scale + math.log(factor)


def series(upper: tuple[float, float], lower: tuple[float, float], z: float) -> tuple[float, float]:
    """sum_{k>=0} (u1)_k (u2)_k / ((l1)_k (l2)_k) * z^k, as (sign, log of the absolute value).

    Put 1 in `lower` for the k! of a 2F1. No lower parameter may be 0 or a negative integer.
    Raises ArithmeticError when MAX_TERMS terms do not reach the tolerance."""
    (u1, u2), (l1, l2) = sorted(upper), sorted(lower)  # large with large: the tightest tail bound
    if any(low <= 0 and low == math.floor(low) for low in lower):
        raise ValueError("a lower parameter is 0 or a negative integer: the series is undefined")
    if not 0.0 <= z < 1.0:
        raise ValueError(f"z must be in [0, 1), got {z!r}")
    bounded_from = max(0, math.floor(-min(u1, u2, l1, l2)) + 1)  # from there on every parameter + k > 0
    total, term, scale = 1.0, 1.0, 0.0
    for k in range(1, MAX_TERMS + 1):  # term k from term k - 1
        term *= z * (u1 + k - 1) * (u2 + k - 1) / ((l1 + k - 1) * (l2 + k - 1))
        total += term
        if not (-_RESCALE < total < _RESCALE and -_RESCALE < term < _RESCALE):
            total, term, scale = _rescaled(total, term, scale)
        if term == 0.0:
            break
        if k >= bounded_from:  # every later ratio is at most rho (module docstring)
            f1, f2 = (u1 + k) / (l1 + k), (u2 + k) / (l2 + k)
            rho = z * (f1 if f1 > 1.0 else 1.0) * (f2 if f2 > 1.0 else 1.0)
            if rho < 1.0 and abs(term) * rho <= TOLERANCE * abs(total) * (1.0 - rho):
                break
    else:
        raise ArithmeticError(f"hypergeometric series at z={z!r} did not converge in {MAX_TERMS} terms")
    if total == 0.0:
        return 0.0, -math.inf
    return math.copysign(1.0, total), scale + math.log(abs(total))


def _euler_is_smaller(a: float, b: float, c: float) -> bool:
    """Whether Euler's transformation has smaller early terms (the first term ratio, without z)."""
    return abs((c - a) * (c - b)) < abs(a * b) and c - a > -1.0 and c - b > -1.0


def log_hyp2f1(a: float, b: float, c: float, z: float) -> float:
    """ln 2F1(a, b; c; z) for a, b, c > 0 and 0 <= z < 1 (where 2F1 is positive)."""
    if not (a > 0 and b > 0 and c > 0):
        raise ValueError(f"log_hyp2f1 takes a, b, c > 0, got {a!r}, {b!r}, {c!r}")
    if not 0.0 <= z < 1.0:
        raise ValueError(f"z must be in [0, 1), got {z!r}")
    if z == 0.0:
        return 0.0
    if _euler_is_smaller(a, b, c):
        sign, log_sum = series((c - a, c - b), (c, 1.0), z)
        if sign > 0:
            return (c - a - b) * math.log1p(-z) + log_sum
    _, log_sum = series((a, b), (c, 1.0), z)
    return log_sum


def hyp2f1(a: float, b: float, c: float, z: float) -> float:
    """2F1(a, b; c; z) for a, b, c > 0 and 0 <= z < 1; inf where the value overflows a float."""
    log_value = log_hyp2f1(a, b, c, z)
    return math.exp(log_value) if log_value < 709.0 else math.inf
