"""Gamma-Gamma spend per transaction (Fader & Hardie 2013, "The Gamma-Gamma Model of Monetary
Value"), scored with the standard library.

A customer's transactions are Gamma(p, nu) in value, and nu varies across customers as
Gamma(q, v); spend is assumed independent of how often the customer buys. Amounts are in whatever
unit the fit saw: here the base currency's minor units.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class GammaGammaParams:
    p: float
    q: float
    v: float

    def __post_init__(self) -> None:
        for name in ("p", "q", "v"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value > 0):
                raise ValueError(f"Gamma-Gamma parameter {name} must be a positive number, got {value!r}")
        if self.q <= 1:
            raise ValueError(f"Gamma-Gamma needs q > 1 for a finite mean spend, got q={self.q!r}")

    @property
    def mean_spend(self) -> float:
        """The population's mean spend per transaction, p v / (q - 1)."""
        return self.p * self.v / (self.q - 1)


def expected_spend(params: GammaGammaParams, frequency: int, mean_spend: float) -> float:
    """E[spend per transaction | x, mean of the x repeat transactions] = p (v + x m) / (p x + q - 1):
    the customer's own mean, shrunk towards the population's by how few transactions back it.
    With no repeat transaction (x = 0), the population's mean."""
    if frequency < 0 or not (mean_spend >= 0 and math.isfinite(mean_spend)):
        raise ValueError(f"need frequency >= 0 and a finite mean spend >= 0, got {frequency!r}, {mean_spend!r}")
    if frequency == 0:
        return params.mean_spend
    p, q, v = params.p, params.q, params.v
    return p * (v + frequency * mean_spend) / (p * frequency + q - 1)


@dataclass(frozen=True, slots=True)
class SpendHistory:
    """x repeat purchases and the mean value of those x (the first purchase left out, as for BG/NBD)."""

    frequency: int
    mean_spend: float

    def __post_init__(self) -> None:
        if self.frequency < 0:
            raise ValueError(f"frequency must be >= 0, got {self.frequency!r}")
        if not (self.mean_spend >= 0 and math.isfinite(self.mean_spend)):
            raise ValueError(f"mean spend must be a finite number >= 0, got {self.mean_spend!r}")
        if self.frequency > 0 and self.mean_spend == 0:
            raise ValueError("a repeat buyer's mean spend must be > 0 (Gamma-distributed amounts)")
