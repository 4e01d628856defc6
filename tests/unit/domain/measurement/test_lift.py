"""domain/measurement/lift.py: intervals, z-test and sample sizes against published values and seeded simulations."""

from __future__ import annotations

import math
import random

import pytest

from winback.domain.measurement.lift import Lift, compare, sample_size_per_arm, still_needed


def binomial(rng: random.Random, n: int, rate: float) -> int:
    return sum(rng.random() < rate for _ in range(n))


# Newcombe (1998), Statistics in Medicine 17:873-890, Table II, method 10 (hybrid score), 95%.
@pytest.mark.parametrize(
    ("treated", "control", "low", "high"),
    [
        ((70, 56), (80, 48), 0.0524, 0.3339),
        ((10, 9), (10, 3), 0.1705, 0.8090),
        ((56, 5), (29, 0), -0.0381, 0.1926),
        ((10, 0), (20, 0), -0.1611, 0.2775),
        ((10, 0), (10, 0), -0.2775, 0.2775),
        ((10, 10), (20, 0), 0.6791, 1.0000),
    ],
)
def test_absolute_interval_matches_newcombe_worked_examples(
    treated: tuple[int, int], control: tuple[int, int], low: float, high: float
) -> None:
    lift = compare(treated[0], treated[1], control[0], control[1])
    assert lift.abs_low == pytest.approx(low, abs=5e-5)
    assert lift.abs_high == pytest.approx(high, abs=5e-5)


def test_rates_and_absolute_lift_are_treated_minus_control() -> None:
    lift = compare(70, 56, 80, 48)
    assert lift.treated_rate == pytest.approx(0.8)
    assert lift.control_rate == pytest.approx(0.6)
    assert lift.abs_lift == pytest.approx(0.2)
    assert lift.significant


def test_pooled_z_test_by_hand() -> None:
    # pooled 104/150; se = sqrt(p(1-p)(1/70 + 1/80)) = 0.075467; z = 0.2 / se
    lift = compare(70, 56, 80, 48)
    assert lift.z == pytest.approx(2.6502, abs=1e-4)
    assert lift.p_value == pytest.approx(0.00805, abs=1e-5)


def test_relative_lift_uses_katz_log_interval() -> None:
    # RR = 0.8 / 0.6; se(log RR) = sqrt(1/56 - 1/70 + 1/48 - 1/80) = 0.10911; RR * exp(±1.96 se) = 1.0766, 1.6513
    lift = compare(70, 56, 80, 48)
    assert lift.rel_lift == pytest.approx(1 / 3)
    assert lift.rel_low == pytest.approx(0.0766, abs=1e-4)
    assert lift.rel_high == pytest.approx(0.6513, abs=1e-4)


def test_lower_confidence_gives_a_narrower_interval() -> None:
    wide, narrow = compare(500, 60, 500, 50, 0.99), compare(500, 60, 500, 50, 0.80)
    assert wide.abs_low is not None and wide.abs_high is not None
    assert narrow.abs_low is not None and narrow.abs_high is not None
    assert wide.abs_low < narrow.abs_low < narrow.abs_high < wide.abs_high


def test_no_true_effect_interval_includes_zero() -> None:
    rng = random.Random(20260601)
    lift = compare(2000, binomial(rng, 2000, 0.1), 2000, binomial(rng, 2000, 0.1))
    assert lift.abs_low is not None and lift.abs_high is not None
    assert lift.abs_low < 0.0 < lift.abs_high
    assert not lift.significant
    assert lift.p_value is not None and lift.p_value > 0.05


def test_strong_effect_interval_excludes_zero() -> None:
    rng = random.Random(7)
    lift = compare(5000, binomial(rng, 5000, 0.15), 5000, binomial(rng, 5000, 0.10))
    assert lift.abs_low is not None and lift.abs_low > 0.0
    assert lift.abs_lift == pytest.approx(0.05, abs=0.015)
    assert lift.significant
    assert lift.p_value is not None and lift.p_value < 0.001


def test_interval_covers_a_null_effect_about_95_percent_of_the_time_at_low_rates() -> None:
    rng = random.Random(42)
    trials = 400
    covered = 0
    for _ in range(trials):
        lift = compare(400, binomial(rng, 400, 0.03), 400, binomial(rng, 400, 0.03))
        assert lift.abs_low is not None and lift.abs_high is not None
        covered += lift.abs_low <= 0.0 <= lift.abs_high
    assert 0.92 <= covered / trials <= 0.99


@pytest.mark.parametrize(("treated_n", "control_n"), [(0, 100), (100, 0), (0, 0)])
def test_an_empty_arm_gives_none_not_an_exception(treated_n: int, control_n: int) -> None:
    lift = compare(treated_n, min(treated_n, 5), control_n, min(control_n, 5))
    assert lift.abs_lift is None and lift.abs_low is None and lift.abs_high is None
    assert lift.rel_lift is None and lift.z is None and lift.p_value is None
    assert not lift.significant
    assert (lift.treated_rate is None) == (treated_n == 0)
    assert (lift.control_rate is None) == (control_n == 0)


def test_no_successes_on_either_side_has_an_interval_but_no_z_test() -> None:
    lift = compare(100, 0, 100, 0)
    assert lift.abs_lift == 0.0
    assert lift.abs_low is not None and lift.abs_low < 0.0
    assert lift.abs_high is not None and lift.abs_high > 0.0
    assert lift.z is None and lift.p_value is None
    assert lift.rel_lift is None and lift.rel_low is None


def test_relative_lift_needs_a_control_success() -> None:
    lift = compare(100, 5, 100, 0)
    assert lift.rel_lift is None and lift.rel_low is None and lift.rel_high is None
    assert lift.abs_lift == pytest.approx(0.05)


def test_no_treated_successes_gives_relative_point_without_interval() -> None:
    lift = compare(100, 0, 100, 5)
    assert lift.rel_lift == pytest.approx(-1.0)
    assert lift.rel_low is None and lift.rel_high is None


@pytest.mark.parametrize(("n", "x"), [(10, 11), (-1, 0), (10, -1)])
def test_impossible_counts_are_rejected(n: int, x: int) -> None:
    with pytest.raises(ValueError, match="treated"):
        compare(n, x, 10, 1)


def test_sample_size_matches_the_textbook_two_proportion_formula() -> None:
    # (1.95996 * sqrt(2 * .11 * .89) + 0.84162 * sqrt(.1 * .9 + .12 * .88))^2 / .02^2 = 3840.9
    assert sample_size_per_arm(0.10, 0.02) == 3841
    # 0.5 -> 0.6 at 95% / 80%: 387.4 -> 388
    assert sample_size_per_arm(0.5, 0.1) == 388


def test_sample_size_grows_with_power_and_confidence() -> None:
    base = sample_size_per_arm(0.10, 0.02)
    assert sample_size_per_arm(0.10, 0.02, power=0.9) > base
    assert sample_size_per_arm(0.10, 0.02, confidence=0.99) > base


def test_sample_size_rejects_rates_outside_zero_one() -> None:
    with pytest.raises(ValueError, match="rates"):
        sample_size_per_arm(0.95, 0.1)
    with pytest.raises(ValueError, match="min_detectable_abs"):
        sample_size_per_arm(0.1, 0.0)


def test_still_needed_is_zero_once_significant() -> None:
    lift = compare(70, 56, 80, 48)
    assert still_needed(lift, 70, 80) == 0


def test_still_needed_uses_the_minimum_detectable_relative_lift_when_observed_is_smaller() -> None:
    lift = compare(1000, 105, 1000, 100)  # observed +0.5 pp < 10% of 10% = 1 pp
    assert still_needed(lift, 1000, 1000) == sample_size_per_arm(0.10, 0.01) - 1000


def test_still_needed_uses_the_observed_lift_when_larger() -> None:
    lift = compare(200, 30, 200, 20)  # +5 pp observed, not yet significant
    assert not lift.significant
    assert still_needed(lift, 200, 200) == sample_size_per_arm(0.10, 0.05) - 200


def test_still_needed_counts_from_the_smaller_arm_and_is_never_negative() -> None:
    lift = compare(1000, 105, 4000, 400)
    assert still_needed(lift, 1000, 4000) == sample_size_per_arm(0.10, 0.01) - 1000
    big = compare(3000, 303, 3000, 300)
    assert still_needed(big, 3000, 3000, min_detectable_rel=0.5) == 0


def test_still_needed_is_none_without_a_control_rate() -> None:
    assert still_needed(compare(100, 5, 0, 0), 100, 0) is None
    assert still_needed(compare(100, 0, 100, 0), 100, 100) is None


def test_lift_is_immutable() -> None:
    lift: Lift = compare(10, 1, 10, 2)
    with pytest.raises(AttributeError):
        lift.abs_lift = 1.0  # type: ignore[misc]
    assert math.isclose(lift.abs_lift or 0.0, -0.1)
