"""Treated vs control reactivation: lift with confidence intervals, significance and sample sizes (pure, stdlib).

- Absolute lift (treated rate - control rate) uses Newcombe's hybrid score interval (method 10 in
  R. G. Newcombe, "Interval estimation for the difference between independent proportions: comparison
  of eleven methods", Statistics in Medicine 17:873-890, 1998), built from the two Wilson score
  intervals. Unlike the Wald interval it stays inside [-1, 1] and keeps its coverage at small counts
  and at rates near 0, which is where win-back reactivation rates live.
- Relative lift (treated rate / control rate - 1) uses the Katz log interval for a risk ratio
  (D. Katz et al., Biometrics 34:469-474, 1978); it needs a nonzero count on both sides.
- The p-value is the two-sided pooled two-proportion z-test.
- Sample sizes use the usual two-proportion formula (Fleiss, without continuity correction).

An empty arm never raises: whatever cannot be computed is None.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist

_NORMAL = NormalDist()


@dataclass(frozen=True)
class Lift:
    """Treated vs control: rates, absolute and relative lift with intervals, z-test.

    The field order is the report's JSON order (`models/report.Comparison` is a Lift)."""

    confidence: float
    treated_n: int
    treated_x: int
    control_n: int
    control_x: int
    treated_rate: float | None
    control_rate: float | None
    abs_lift: float | None
    abs_low: float | None
    abs_high: float | None
    rel_lift: float | None
    rel_low: float | None
    rel_high: float | None
    z: float | None
    p_value: float | None
    significant: bool


def _z_two_sided(confidence: float) -> float:
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be between 0 and 1, got {confidence}")
    return _NORMAL.inv_cdf(1.0 - (1.0 - confidence) / 2.0)


def _check_counts(n: int, x: int, side: str) -> None:
    if n < 0 or x < 0 or x > n:
        raise ValueError(f"{side}: need 0 <= successes <= n, got {x} of {n}")


def wilson_interval(n: int, x: int, z: float) -> tuple[float, float]:
    """Wilson score interval for x successes out of n > 0 trials."""
    p = x / n
    z2 = z * z
    denominator = n + z2
    centre = (x + z2 / 2.0) / denominator
    half = z * math.sqrt(x * (n - x) / n + z2 / 4.0) / denominator
    # Rounding can push an end a hair past the observed rate at x == 0 or x == n.
    return max(0.0, min(centre - half, p)), min(1.0, max(centre + half, p))


def _katz(treated_n: int, treated_x: int, control_n: int, control_x: int, z: float) -> tuple[float, float]:
    ratio = (treated_x / treated_n) / (control_x / control_n)
    se = math.sqrt(1.0 / treated_x - 1.0 / treated_n + 1.0 / control_x - 1.0 / control_n)
    return ratio * math.exp(-z * se) - 1.0, ratio * math.exp(z * se) - 1.0


def _pooled_z(treated_n: int, treated_x: int, control_n: int, control_x: int) -> float | None:
    pooled = (treated_x + control_x) / (treated_n + control_n)
    se = math.sqrt(pooled * (1.0 - pooled) * (1.0 / treated_n + 1.0 / control_n))
    if se == 0.0:  # both arms all-zero or all-one: the statistic is 0/0
        return None
    return (treated_x / treated_n - control_x / control_n) / se


def compare(treated_n: int, treated_x: int, control_n: int, control_x: int, confidence: float = 0.95) -> Lift:
    """Compare treated_x of treated_n with control_x of control_n (e.g. reactivated of assigned)."""
    _check_counts(treated_n, treated_x, "treated")
    _check_counts(control_n, control_x, "control")
    z_crit = _z_two_sided(confidence)
    treated_rate = treated_x / treated_n if treated_n else None
    control_rate = control_x / control_n if control_n else None
    abs_lift = abs_low = abs_high = rel_lift = rel_low = rel_high = z = p_value = None
    if treated_rate is not None and control_rate is not None:
        t_low, t_high = wilson_interval(treated_n, treated_x, z_crit)
        c_low, c_high = wilson_interval(control_n, control_x, z_crit)
        abs_lift = treated_rate - control_rate
        abs_low = abs_lift - math.hypot(treated_rate - t_low, c_high - control_rate)
        abs_high = abs_lift + math.hypot(t_high - treated_rate, control_rate - c_low)
        if control_x > 0:
            rel_lift = treated_rate / control_rate - 1.0
            if treated_x > 0:
                rel_low, rel_high = _katz(treated_n, treated_x, control_n, control_x, z_crit)
        z = _pooled_z(treated_n, treated_x, control_n, control_x)
        if z is not None:
            p_value = 2.0 * (1.0 - _NORMAL.cdf(abs(z)))
    significant = abs_low is not None and abs_high is not None and (abs_low > 0.0 or abs_high < 0.0)
    return Lift(
        treated_n=treated_n,
        treated_x=treated_x,
        control_n=control_n,
        control_x=control_x,
        confidence=confidence,
        treated_rate=treated_rate,
        control_rate=control_rate,
        abs_lift=abs_lift,
        abs_low=abs_low,
        abs_high=abs_high,
        rel_lift=rel_lift,
        rel_low=rel_low,
        rel_high=rel_high,
        z=z,
        p_value=p_value,
        significant=significant,
    )


def sample_size_per_arm(
    base_rate: float, min_detectable_abs: float, confidence: float = 0.95, power: float = 0.8
) -> int:
    """Users per arm for a two-sided test at `confidence` to detect base_rate -> base_rate + min_detectable_abs
    with probability `power` (equal arms, no continuity correction)."""
    other = base_rate + min_detectable_abs
    if not 0.0 <= base_rate <= 1.0 or not 0.0 <= other <= 1.0:
        raise ValueError(f"rates must lie in [0, 1], got {base_rate} and {other}")
    if min_detectable_abs == 0.0:
        raise ValueError("min_detectable_abs must not be 0")
    if not 0.0 < power < 1.0:
        raise ValueError(f"power must be between 0 and 1, got {power}")
    z_alpha = _z_two_sided(confidence)
    z_beta = _NORMAL.inv_cdf(power)
    mean = (base_rate + other) / 2.0
    spread = z_alpha * math.sqrt(2.0 * mean * (1.0 - mean)) + z_beta * math.sqrt(
        base_rate * (1.0 - base_rate) + other * (1.0 - other)
    )
    return math.ceil(spread * spread / (min_detectable_abs * min_detectable_abs))


def still_needed(
    lift: Lift,
    treated_n: int,
    control_n: int,
    min_detectable_rel: float = 0.1,
    confidence: float = 0.95,
    power: float = 0.8,
) -> int | None:
    """Additional users per arm before the experiment can decide; 0 once the result is significant.

    The effect to detect is the larger of the observed absolute lift and min_detectable_rel times the
    control rate. None when that cannot be estimated: no control users yet, or a control rate of 0
    with no observed lift (any effect size would be a guess).
    """
    if lift.significant:
        return 0
    base = lift.control_rate
    if base is None:
        return None
    observed = lift.abs_lift if lift.abs_lift is not None else 0.0
    effect = max(abs(observed), min_detectable_rel * base)
    if effect == 0.0:
        return None
    direction = -1.0 if observed < 0.0 else 1.0
    if not 0.0 <= base + direction * effect <= 1.0:
        direction = -direction
    if not 0.0 <= base + direction * effect <= 1.0:
        return None  # an effect larger than either side's room: nothing to detect
    needed = sample_size_per_arm(base, direction * effect, confidence, power)
    return max(0, needed - min(treated_n, control_n))
