"""The daily stats step: sample ActivityTable, compute population cut points and popular items,
store them as one MessagingTable item for scoring and recommendations to read.

Sampling trick: a parallel scan splits the table by a hash of the key, so reading one segment of N
reads a uniform random sample of about 1/N of the users. N is chosen from the table's item count
so that about `sample_target` profiles are read, one page at a time; memory holds a page plus the
bounded accumulators of `PopulationSample`, whatever the table's size.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING

from winback.domain.audience.sampling import PopulationSample, SamplePlan, sample_plan
from winback.domain.prediction.bgnbd import PurchaseHistory
from winback.domain.prediction.models import BgNbdFit, GammaGammaFit

if TYPE_CHECKING:
    from winback.adapters.activity_store import ActivityStore
    from winback.adapters.population_stats_store import PopulationStatsStore
    from winback.config.segments import RecommendationsConfig, SegmentsConfig
    from winback.models.population import PopulationStats

# ItemCount is refreshed only about every six hours: a table that grew fast since could make one
# segment far larger than planned. Within a segment items come in key-hash order, so stopping
# early still leaves a uniform sample.
READ_CAP_FACTOR = 2

# services.scan.model_fit.fit_purchase_models (numpy and scipy): passed in by the stats function, so
# that this module, which the CLI and tests use too, loads neither.
Fitter = Callable[[Sequence[tuple[PurchaseHistory, float]], datetime], tuple[BgNbdFit, GammaGammaFit]]


@dataclass(frozen=True)
class StatsResult:
    stats: PopulationStats
    plan: SamplePlan
    item_count: int
    truncated: bool


def _read_sample(activity: ActivityStore, plan: SamplePlan, page_size: int, cap: int, sample: PopulationSample) -> bool:
    """Feed the planned segments to `sample` page by page; True if it stopped at `cap` profiles."""
    for segment in plan.segments:
        start_key = None
        while True:
            page = activity.scan_page(segment, plan.total_segments, start_key, page_size)
            for profile in page.profiles:
                sample.add(profile)
            start_key = page.next_key
            if start_key is None:
                break
            if sample.profiles >= cap:
                return True
    return False


def compute_population_stats(
    as_of: datetime,
    activity: ActivityStore,
    segments: SegmentsConfig,
    recommendations: RecommendationsConfig,
    fit: Fitter | None = None,
) -> StatsResult:
    item_count = activity.item_count()
    day = as_of.date().toordinal()
    plan = sample_plan(item_count, segments.sample_target, day)
    sample = PopulationSample(as_of, segments, recommendations.popular_window_days, seed=day)
    truncated = _read_sample(activity, plan, segments.page_size, segments.sample_target * READ_CAP_FACTOR, sample)
    estimate = item_count if truncated else round(sample.profiles * plan.total_segments / len(plan.segments))
    stats = sample.stats(estimate)
    if fit is not None:
        bgnbd, gamma_gamma = fit(sample.purchases.items(), as_of)
        stats = stats.model_copy(update={"bgnbd": bgnbd, "gamma_gamma": gamma_gamma})
    return StatsResult(stats=stats, plan=plan, item_count=item_count, truncated=truncated)


def run_population_stats(
    as_of: datetime,
    activity: ActivityStore,
    store: PopulationStatsStore,
    segments: SegmentsConfig,
    recommendations: RecommendationsConfig,
    fit: Fitter | None = None,
    amend: Callable[[PopulationStats], PopulationStats] | None = None,
) -> StatsResult:
    """Compute and store the stats (and the fits, with `fit`; what `amend` adds, e.g. the incentive
    decisions). Safe to run twice: a rerun reads the same segment (chosen by day) and overwrites the
    one stored item."""
    result = compute_population_stats(as_of, activity, segments, recommendations, fit)
    if amend is not None:
        result = replace(result, stats=amend(result.stats))
    store.save(result.stats)
    return result
