"""The whole program against its program-wide control group: incremental reactivation and revenue
(pure, stdlib).

Every campaign is a stratum: its treated users (every variant arm) against its users in the
program-wide control group (the same share of every campaign's audience, by a hash of the user).
Pooling the raw counts would let the campaign mix differ between the two sides (each campaign keeps
its own holdout out of the treated side); the stratified difference does not:

  lift = sum_c w_c (p_t,c - p_k,c),   w_c = (n_t,c + n_k,c) / N   (N over the strata with both sides)
  incremental reactivations = sum_c n_t,c (p_t,c - p_k,c)

Each stratum's variance is p(1-p)/n per side with Agresti-Caffo's adjusted rates (x+1)/(n+2), so a
side with no reactivations yet does not claim a zero variance (A. Agresti and B. Caffo, "Simple and
effective confidence intervals for proportions and differences of proportions result from adding
two successes and two failures", The American Statistician 54:280-288, 2000); the interval is the
normal one around the estimate.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import NormalDist


@dataclass(frozen=True)
class Stratum:
    """One campaign's reactivated of assigned, treated and in the program-wide control group."""

    campaign_id: str
    treated_n: int
    treated_x: int
    control_n: int
    control_x: int


@dataclass(frozen=True)
class ProgramLift:
    """The treated vs the program-wide control group, stratified by campaign. None: no stratum has
    both sides yet."""

    confidence: float
    treated_n: int
    treated_x: int
    control_n: int
    control_x: int
    abs_lift: float | None
    abs_low: float | None
    abs_high: float | None
    incremental: float | None
    incremental_low: float | None
    incremental_high: float | None
    significant: bool
    without_control: tuple[str, ...]


def _adjusted_variance(n: int, x: int) -> float:
    p = (x + 1) / (n + 2)
    return p * (1 - p) / n


def program_lift(strata: Sequence[Stratum], confidence: float = 0.95) -> ProgramLift:
    """The stratified lift of the program over its control group (module docstring)."""
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be between 0 and 1, got {confidence}")
    used = [s for s in strata if s.treated_n > 0 and s.control_n > 0]
    total = sum(s.treated_n + s.control_n for s in used)
    lift = variance = incremental = incremental_variance = 0.0
    for s in used:
        diff = s.treated_x / s.treated_n - s.control_x / s.control_n
        var = _adjusted_variance(s.treated_n, s.treated_x) + _adjusted_variance(s.control_n, s.control_x)
        weight = (s.treated_n + s.control_n) / total
        lift += weight * diff
        variance += weight * weight * var
        incremental += s.treated_n * diff
        incremental_variance += s.treated_n * s.treated_n * var
    z = NormalDist().inv_cdf(1.0 - (1.0 - confidence) / 2.0)
    half, incremental_half = z * math.sqrt(variance), z * math.sqrt(incremental_variance)
    has = bool(used)
    low, high = (lift - half, lift + half) if has else (None, None)
    return ProgramLift(
        confidence=confidence,
        treated_n=sum(s.treated_n for s in strata),
        treated_x=sum(s.treated_x for s in strata),
        control_n=sum(s.control_n for s in strata),
        control_x=sum(s.control_x for s in strata),
        abs_lift=lift if has else None,
        abs_low=low,
        abs_high=high,
        incremental=incremental if has else None,
        incremental_low=incremental - incremental_half if has else None,
        incremental_high=incremental + incremental_half if has else None,
        significant=low is not None and high is not None and (low > 0.0 or high < 0.0),
        without_control=tuple(s.campaign_id for s in strata if s.treated_n > 0 and s.control_n == 0),
    )


@dataclass(frozen=True)
class RevenueStratum:
    """One campaign's revenue per assigned user in one currency: per side, users assigned, the sum of
    their attributed revenue and the sum of its squares (minor units)."""

    campaign_id: str
    currency: str
    treated_n: int
    treated_sum: int
    treated_squares: int
    control_n: int
    control_sum: int
    control_squares: int


@dataclass(frozen=True)
class RevenueLift:
    """Incremental revenue the program caused in one currency, stratified by campaign (minor units)."""

    currency: str
    confidence: float
    per_user: float
    per_user_low: float
    per_user_high: float
    incremental: float
    incremental_low: float
    incremental_high: float
    significant: bool


def _difference(s: RevenueStratum) -> tuple[float, float]:
    """Revenue per user treated minus control, and the variance of that difference from the two
    sides' pooled variance: with a small control group where few buy, the control side's own variance
    is mostly noise, and Welch's interval (each side's own variance) then covers a zero effect only
    about 90% of the time in the tests' simulation; pooled, about 95%. When the treatment does change
    the spread, the pooled figure leans on the larger (treated) side: wider, never narrower."""
    treated_ss = max(s.treated_squares - s.treated_sum * s.treated_sum / s.treated_n, 0.0)
    control_ss = max(s.control_squares - s.control_sum * s.control_sum / s.control_n, 0.0)
    pooled = (treated_ss + control_ss) / max(s.treated_n + s.control_n - 2, 1)
    diff = s.treated_sum / s.treated_n - s.control_sum / s.control_n
    return diff, pooled * (1 / s.treated_n + 1 / s.control_n)


def revenue_lift(strata: Sequence[RevenueStratum], confidence: float = 0.95) -> list[RevenueLift]:
    """Per currency: revenue per assigned user treated minus control (weighted as `program_lift`
    weights its strata) and the revenue it adds over every treated user, each with its normal interval
    (revenue is a mean of per-user totals, not a rate: `_difference`)."""
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be between 0 and 1, got {confidence}")
    z = NormalDist().inv_cdf(1.0 - (1.0 - confidence) / 2.0)
    out = []
    for currency in sorted({s.currency for s in strata}):
        used = [s for s in strata if s.currency == currency and s.treated_n > 0 and s.control_n > 0]
        if not used:
            continue
        total = sum(s.treated_n + s.control_n for s in used)
        per_user = per_user_var = incremental = incremental_var = 0.0
        for s in used:
            diff, var = _difference(s)
            weight = (s.treated_n + s.control_n) / total
            per_user += weight * diff
            per_user_var += weight * weight * var
            incremental += s.treated_n * diff
            incremental_var += s.treated_n * s.treated_n * var
        half, incremental_half = z * math.sqrt(per_user_var), z * math.sqrt(incremental_var)
        out.append(
            RevenueLift(
                currency=currency,
                confidence=confidence,
                per_user=per_user,
                per_user_low=per_user - half,
                per_user_high=per_user + half,
                incremental=incremental,
                incremental_low=incremental - incremental_half,
                incremental_high=incremental + incremental_half,
                significant=per_user - half > 0.0 or per_user + half < 0.0,
            )
        )
    return out
