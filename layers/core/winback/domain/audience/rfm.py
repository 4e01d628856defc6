"""RFM: score a user's recency, frequency and monetary value 1..5 against population quintiles,
and name the first configured group the scores fall in (pure, apart from one log line per
unknown currency).

Scores follow the usual convention: 5 is best. A value exactly at a cut point belongs to the
lower bin (pandas `qcut`'s right-closed bins), so for recency "at most c1 days" scores 5.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from aws_lambda_powertools import Logger

from winback.config.segments import SegmentsConfig
from winback.models.population import PopulationStats
from winback.models.profile import Profile

# A Powertools child logger: it writes through the handler's Logger (winback.runtime.observability) without
# importing it, since that module also creates Metrics, which fixes its namespace at import.
logger = Logger(child=True)
_unknown_currencies_logged: set[str] = set()


@dataclass(frozen=True)
class RfmScores:
    r: int
    f: int
    m: int


def bins_above(value: float, cuts: tuple[float, ...]) -> int:
    """1 + how many cut points lie strictly below `value`: 1..len(cuts)+1, higher for larger values."""
    return 1 + sum(1 for cut in cuts if cut < value)


def days_since(at: datetime, as_of: datetime) -> float:
    return (as_of - at).total_seconds() / 86_400


def spend_in_base(spend_minor: dict[str, int], config: SegmentsConfig) -> int:
    """Total spend in base-currency minor units. A currency the program has no rate for counts at
    rate 1 (better a rough figure than none) and is logged once per container."""
    total = Decimal(0)
    for currency, amount in spend_minor.items():
        rate = config.rate_to_base(currency)
        if rate is None:
            rate = Decimal(1)
            if currency not in _unknown_currencies_logged:
                _unknown_currencies_logged.add(currency)
                _log_unknown_currency(currency, config.base_currency)
        total += Decimal(amount) * rate
    return int(total.to_integral_value(rounding=ROUND_HALF_UP))


def _log_unknown_currency(currency: str, base_currency: str) -> None:
    logger.warning("no fx rate for currency; counted at rate 1", extra={"currency": currency, "base": base_currency})


def rfm_scores(
    profile: Profile, stats: PopulationStats | None, as_of: datetime, signal: str, config: SegmentsConfig
) -> RfmScores:
    """Scores 1..5 against the population's quintiles (or the config's default cut points when the
    stats step has not run or saw no data for a measure). A user who never did `signal` scores r=1;
    a user with no order scores f=1 and m=1."""
    defaults = config.default_cuts
    recency_cuts = (stats.recency_days.get(signal) if stats else None) or defaults.recency_days
    frequency_cuts = (stats.frequency_orders if stats else None) or defaults.frequency_orders
    monetary_cuts = (stats.monetary_base_minor if stats else None) or defaults.monetary_base_minor

    at = profile.signal_at(signal)
    r = 6 - bins_above(days_since(at, as_of), recency_cuts) if at else 1
    if profile.orders <= 0:
        return RfmScores(r=r, f=1, m=1)
    f = bins_above(profile.orders, frequency_cuts)
    m = bins_above(spend_in_base(profile.spend_minor, config), monetary_cuts)
    return RfmScores(r=r, f=f, m=m)


def rfm_group(scores: RfmScores, config: SegmentsConfig) -> str:
    """The first configured group whose ranges hold the scores (the last group is a validated catch-all)."""
    for group in config.rfm_groups:
        if group.contains(scores.r, scores.f, scores.m):
            return group.name
    return config.rfm_groups[-1].name
