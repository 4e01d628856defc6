"""The stats step fits BG/NBD and Gamma-Gamma on its uniform sample and stores them with the
population stats (services/scan/population_stats.py with services/scan/model_fit.py): on a
population drawn from known parameters the stored fit is usable and close to them, with its date,
sample size, log-likelihood and repeat-purchase histogram; too small a sample, or no repeat buyer,
stores a clear status and the scan keeps the fixed tiers. Guards: the sample's purchase reservoir,
the fit being passed in, the minimum sample of domain/prediction/fitting.py."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.unit.domain.prediction.samples import simulate_bgnbd, simulate_spend
from winback.adapters.activity_store import ScanPage
from winback.config.segments import RecommendationsConfig, SegmentsConfig
from winback.domain.audience.scoring import scorer_for
from winback.domain.prediction.bgnbd import BgNbdParams
from winback.domain.prediction.gamma_gamma import GammaGammaParams
from winback.domain.prediction.models import FitStatus
from winback.models.population import PopulationStats
from winback.models.profile import Profile
from winback.services.scan.model_fit import fit_purchase_models
from winback.services.scan.population_stats import run_population_stats

AS_OF = datetime(2026, 12, 7, 4, 0, tzinfo=UTC)
TRUE = BgNbdParams(r=1.5, alpha=20.0, a=1.2, b=4.0)  # days
SPEND = GammaGammaParams(p=6.0, q=4.0, v=15_000.0)  # USD minor units
SEGMENTS = SegmentsConfig(sample_target=100_000, page_size=250)


class Activity:
    def __init__(self, profiles: list[Profile]) -> None:
        self.profiles = profiles

    def item_count(self) -> int:
        return len(self.profiles)

    def scan_page(self, segment: int, total_segments: int, start_key: dict[str, Any] | None, limit: int) -> ScanPage:
        first = 0 if start_key is None else int(start_key["i"])
        last = min(first + limit, len(self.profiles))
        return ScanPage(self.profiles[first:last], {"i": last} if last < len(self.profiles) else None)


class Store:
    def __init__(self) -> None:
        self.saved: list[PopulationStats] = []

    def save(self, stats: PopulationStats) -> None:
        self.saved.append(PopulationStats.model_validate_json(stats.model_dump_json()))  # as DynamoDB keeps it


def population(n: int, seed: int, repeat: bool = True) -> list[Profile]:
    """Buyers whose orders follow BG/NBD (and spends Gamma-Gamma) with TRUE and SPEND, over 30-365 days."""
    rng = random.Random(seed)
    ages = [rng.uniform(30, 365) for _ in range(n)]
    histories = simulate_bgnbd(TRUE, ages, seed)
    spends = simulate_spend(SPEND, [h.frequency for h in histories], seed)
    profiles = []
    for i, (h, s) in enumerate(zip(histories, spends, strict=True)):
        x = h.frequency if repeat else 0
        first = AS_OF - timedelta(days=h.age)
        mean = s.mean_spend if x else rng.uniform(1_000, 20_000)
        profiles.append(
            Profile(
                user_id=f"u{i:05d}",
                first_seen_at=first - timedelta(days=rng.uniform(0, 30)),
                first_order_at=first,
                last_seen_at=first + timedelta(days=h.recency if x else 0),
                last_event_at={"order": first + timedelta(days=h.recency if x else 0)},
                orders=x + 1,
                spend_minor={"USD": round(mean * (x + 1))},
            )
        )
    return profiles


def run(profiles: list[Profile]) -> PopulationStats:
    store = Store()
    run_population_stats(AS_OF, Activity(profiles), store, SEGMENTS, RecommendationsConfig(), fit_purchase_models)  # type: ignore[arg-type]
    (stored,) = store.saved
    return stored


def test_the_stats_step_stores_a_usable_fit_close_to_the_true_parameters() -> None:
    stored = run(population(3_000, seed=7))
    bgnbd, gamma_gamma = stored.bgnbd, stored.gamma_gamma
    assert bgnbd is not None and gamma_gamma is not None
    assert bgnbd.status is FitStatus.FITTED and bgnbd.usable
    assert bgnbd.fitted_at == AS_OF and bgnbd.time_unit == "days"
    assert bgnbd.sample_size == 3_000 and bgnbd.repeat_buyers > 1_000
    assert bgnbd.log_likelihood is not None and bgnbd.log_likelihood < 0
    assert bgnbd.params is not None
    # The population's dropout and rate, recovered: E[p] = a / (a + b), E[lambda] = r / alpha.
    assert bgnbd.params.a / (bgnbd.params.a + bgnbd.params.b) == pytest.approx(1.2 / 5.2, rel=0.3)
    assert bgnbd.params.r / bgnbd.params.alpha == pytest.approx(1.5 / 20, rel=0.15)
    fit = bgnbd.goodness_of_fit
    assert fit is not None and sum(fit.observed) == 3_000
    assert sum(fit.expected) == pytest.approx(3_000, rel=0.01)
    assert gamma_gamma.status is FitStatus.FITTED and gamma_gamma.params is not None
    assert gamma_gamma.sample_size == bgnbd.repeat_buyers
    # The mean spend per order, p v / (q - 1), within 15% of the true 300 USD.
    assert gamma_gamma.params.mean_spend == pytest.approx(SPEND.mean_spend, rel=0.15)
    scorer = scorer_for(stored, SEGMENTS)
    assert scorer is not None and scorer.gamma_gamma is not None


def test_too_small_a_sample_stores_its_status_and_the_scan_keeps_the_fixed_tiers() -> None:
    stored = run(population(15, seed=3))
    assert stored.bgnbd is not None and stored.bgnbd.status is FitStatus.TOO_SMALL
    assert "repeat buyers" in stored.bgnbd.detail
    assert stored.gamma_gamma is not None and stored.gamma_gamma.status in {
        FitStatus.TOO_SMALL,
        FitStatus.NO_REPEAT_BUYERS,
    }
    assert scorer_for(stored, SEGMENTS) is None


def test_no_repeat_buyer_stores_that_status() -> None:
    stored = run(population(500, seed=4, repeat=False))
    assert stored.bgnbd is not None and stored.bgnbd.status is FitStatus.NO_REPEAT_BUYERS
    assert stored.gamma_gamma is not None and stored.gamma_gamma.status is FitStatus.NO_REPEAT_BUYERS
    assert scorer_for(stored, SEGMENTS) is None


def test_without_a_fitter_no_model_is_stored() -> None:
    store = Store()
    run_population_stats(AS_OF, Activity(population(50, seed=5)), store, SEGMENTS, RecommendationsConfig())  # type: ignore[arg-type]
    assert store.saved[0].bgnbd is None and store.saved[0].gamma_gamma is None
