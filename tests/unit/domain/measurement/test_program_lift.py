"""domain/measurement/program_lift.py: the whole program against its program-wide control group."""

from __future__ import annotations

import random

import pytest

from winback.domain.measurement.program_lift import Stratum, program_lift

# (users, reactivation rate without a message, holdout share) of three campaigns
CAMPAIGNS = (("lapsing", 3000, 0.12, 0.10), ("dormant", 2000, 0.05, 0.20), ("lost", 1000, 0.02, 0.05))
CONTROL_SHARE = 0.05


def _simulate(rng: random.Random, effect: float) -> list[Stratum]:
    """Each campaign's users split into control, holdout and treated; treated react at rate + effect."""
    strata: list[Stratum] = []
    for name, users, rate, holdout in CAMPAIGNS:
        counts = {"t": [0, 0], "k": [0, 0]}
        for _ in range(users):
            at = rng.random()
            if at < CONTROL_SHARE:
                side, p = "k", rate
            elif rng.random() < holdout:
                continue  # the campaign's own holdout is in neither side
            else:
                side, p = "t", rate + effect
            counts[side][0] += 1
            counts[side][1] += rng.random() < p
        strata.append(Stratum(name, counts["t"][0], counts["t"][1], counts["k"][0], counts["k"][1]))
    return strata


def test_on_a_no_effect_simulation_the_interval_includes_0() -> None:
    lift = program_lift(_simulate(random.Random(18), effect=0.0))
    assert lift.abs_low is not None and lift.abs_high is not None
    assert lift.abs_low < 0.0 < lift.abs_high and not lift.significant
    assert lift.incremental_low is not None and lift.incremental_high is not None
    assert lift.incremental_low < 0.0 < lift.incremental_high


def test_no_effect_intervals_cover_0_about_95_percent_of_the_time() -> None:
    rng = random.Random(7)
    runs = 200
    covered = 0
    for _ in range(runs):
        lift = program_lift(_simulate(rng, effect=0.0))
        assert lift.abs_low is not None and lift.abs_high is not None
        covered += lift.abs_low <= 0.0 <= lift.abs_high
    assert 0.91 <= covered / runs <= 0.99


def test_a_real_effect_is_found_and_the_interval_covers_it() -> None:
    lift = program_lift(_simulate(random.Random(5), effect=0.08))
    assert lift.significant and lift.abs_low is not None and lift.abs_high is not None
    assert lift.abs_low < 0.08 < lift.abs_high
    treated = lift.treated_n
    assert lift.incremental is not None and lift.incremental == pytest.approx(0.08 * treated, rel=0.5)


def test_the_difference_is_stratified_by_campaign_not_pooled() -> None:
    """Guard: the per-campaign weighting. Pooled, the campaign mix alone shows a lift: the control
    group is spread like the audience, the treated side leans to the campaign with the higher base
    rate (the other keeps a large holdout)."""
    strata = [Stratum("high", 900, 198, 50, 10), Stratum("low", 100, 8, 50, 1)]  # +2 pp and +6 pp
    pooled = (198 + 8) / 1000 - (10 + 1) / 100
    assert pooled > 0.09
    lift = program_lift(strata)
    assert lift.abs_lift == pytest.approx(0.02 * 950 / 1100 + 0.06 * 150 / 1100)
    assert lift.incremental == pytest.approx(900 * 0.02 + 100 * 0.06)


def test_a_campaign_without_control_users_is_named_and_left_out() -> None:
    lift = program_lift([Stratum("a", 100, 10, 10, 1), Stratum("b", 50, 5, 0, 0), Stratum("c", 0, 0, 0, 0)])
    assert lift.without_control == ("b",)
    assert lift.abs_lift == pytest.approx(0.0) and lift.treated_n == 150


def test_no_reactivation_in_the_control_yet_still_has_a_width() -> None:
    lift = program_lift([Stratum("a", 200, 0, 10, 0)])
    assert lift.abs_low is not None and lift.abs_high is not None and lift.abs_low < 0.0 < lift.abs_high


def test_nothing_to_compare_gives_none() -> None:
    lift = program_lift([Stratum("a", 10, 1, 0, 0)])
    assert lift.abs_lift is None and lift.incremental is None and not lift.significant
