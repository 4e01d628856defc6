"""A user's P(alive), expected purchases and expected 12-month value from the fits the stats step
stored, in closed form (pure; no numpy or scipy: the scan and the sender run without them)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from winback.config.segments import SegmentsConfig
from winback.domain.audience.rfm import spend_in_base
from winback.domain.prediction.bgnbd import BgNbdParams, PurchaseHistory, p_alive
from winback.domain.prediction.gamma_gamma import GammaGammaParams
from winback.domain.prediction.value import Prediction, history_in_days, predict
from winback.models.population import PopulationStats
from winback.models.profile import Profile


def purchase_history(profile: Profile, as_of: datetime) -> PurchaseHistory | None:
    """The profile's orders as BG/NBD sees them (days since the first order); None without one. A
    profile merged before first orders were recorded starts at its first event (an older age, so a
    slightly lower P(alive): the error goes toward reaching the user sooner)."""
    first = profile.first_order_at or profile.first_seen_at
    last = profile.last_event_at.get("order")
    if profile.orders < 1 or first is None or last is None:
        return None
    return history_in_days(profile.orders, first, last, as_of)


def mean_spend_minor(profile: Profile, segments: SegmentsConfig) -> float:
    """Mean spend per order in base minor units (the profile keeps totals, not each order)."""
    return spend_in_base(profile.spend_minor, segments) / profile.orders if profile.orders > 0 else 0.0


@dataclass(frozen=True)
class Scorer:
    """Scores profiles with one stored fit (parameters in days and base minor units)."""

    bgnbd: BgNbdParams
    gamma_gamma: GammaGammaParams | None
    segments: SegmentsConfig

    def __call__(self, profile: Profile, as_of: datetime) -> Prediction | None:
        history = purchase_history(profile, as_of)
        if history is None:
            return None
        return predict(self.bgnbd, self.gamma_gamma, history, mean_spend_minor(profile, self.segments))

    def p_alive(self, profile: Profile, as_of: datetime) -> float | None:
        """P(alive) alone (a few logarithms; the expected purchases' series is not needed for a tier)."""
        history = purchase_history(profile, as_of)
        return None if history is None else p_alive(self.bgnbd, history)


def scorer_for(stats: PopulationStats | None, segments: SegmentsConfig) -> Scorer | None:
    """A scorer when the stored BG/NBD fit is usable (Gamma-Gamma adds value where it is); else None."""
    if stats is None or stats.bgnbd is None or not stats.bgnbd.usable or stats.bgnbd.params is None:
        return None
    spend = stats.gamma_gamma
    gamma_gamma = spend.params if spend is not None and spend.usable else None
    return Scorer(stats.bgnbd.params, gamma_gamma, segments)
