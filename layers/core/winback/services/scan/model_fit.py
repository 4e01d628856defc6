"""The stats step's fits of BG/NBD and Gamma-Gamma on the sample's purchase histories. The one module
of the services that loads numpy and scipy (through domain.prediction.fitting): only the stats
function imports it, and only it has the stats layer."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from winback.domain.prediction.bgnbd import PurchaseHistory
from winback.domain.prediction.fitting import fit_bgnbd, fit_gamma_gamma
from winback.domain.prediction.gamma_gamma import SpendHistory
from winback.domain.prediction.models import BgNbdFit, GammaGammaFit


def fit_purchase_models(
    histories: Sequence[tuple[PurchaseHistory, float]], fitted_at: datetime
) -> tuple[BgNbdFit, GammaGammaFit]:
    """Both fits on (history in days, mean spend per order in base minor units). The profile keeps
    total spend, not each order, so a repeat buyer's mean over all their orders stands in for the mean
    of their repeat orders; repeat buyers with no recorded spend are left out of Gamma-Gamma."""
    bgnbd = fit_bgnbd([history for history, _ in histories], fitted_at, time_unit="days")
    spends = [SpendHistory(h.frequency, spend) for h, spend in histories if h.frequency > 0 and spend > 0]
    return bgnbd, fit_gamma_gamma(spends, fitted_at)
