"""The CDNOW cohort's file (tests/data/cdnow/README.md) and seeded simulations from known parameters."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from winback.domain.prediction.bgnbd import BgNbdParams, PurchaseHistory
from winback.domain.prediction.gamma_gamma import GammaGammaParams, SpendHistory

CDNOW_CSV = Path(__file__).resolve().parents[3] / "data/cdnow/cdnow_customers_summary.csv"


def simulate_bgnbd(params: BgNbdParams, ages: list[float], seed: int) -> list[PurchaseHistory]:
    """Customers drawn from BG/NBD itself: lambda ~ Gamma(r, alpha), p ~ Beta(a, b); purchases at rate
    lambda from the first one at 0, a dropout with probability p right after each repeat purchase."""
    rng = np.random.default_rng(seed)
    found = []
    for age in ages:
        rate, dropout = rng.gamma(params.r, 1 / params.alpha), rng.beta(params.a, params.b)
        t, x, last = 0.0, 0, 0.0
        while True:
            t += rng.exponential(1 / rate)
            if t > age:
                break
            x, last = x + 1, t
            if rng.random() < dropout:
                break
        found.append(PurchaseHistory(x, last, age))
    return found


def simulate_spend(params: GammaGammaParams, frequencies: list[int], seed: int) -> list[SpendHistory]:
    """Mean spends drawn from Gamma-Gamma: nu ~ Gamma(q, rate v), each transaction ~ Gamma(p, rate nu)."""
    rng = np.random.default_rng(seed)
    found = []
    for x in frequencies:
        nu = rng.gamma(params.q, 1 / params.v)
        mean = float(rng.gamma(params.p, 1 / nu, x).mean()) if x else 0.0
        found.append(SpendHistory(x, mean))
    return found
