"""A fitted model as the stats step stores it and the scan reads it: parameters, when, on how many
customers, how well, and a status that says whether the scan may use it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from winback.domain.prediction.bgnbd import BgNbdParams
from winback.domain.prediction.gamma_gamma import GammaGammaParams


class FitStatus(StrEnum):
    FITTED = "fitted"
    TOO_SMALL = "too_small"  # fewer customers or repeat buyers than the fit's minimum
    NO_REPEAT_BUYERS = "no_repeat_buyers"  # nobody bought twice: dropout (BG/NBD) and spend (Gamma-Gamma) unknown
    FAILED = "failed"  # the optimizer did not converge, or the estimate is unusable (detail says why)


@dataclass(frozen=True, slots=True)
class HistogramFit:
    """Customers by number of repeat purchases (0, 1, ..., k - 1, then k or more) over their own
    observed age, as counted and as the fitted model expects them; Pearson's chi-square between them."""

    observed: tuple[int, ...]
    expected: tuple[float, ...]
    chi_square: float
    degrees_of_freedom: int


@dataclass(frozen=True, slots=True)
class BgNbdFit:
    status: FitStatus
    fitted_at: datetime
    sample_size: int
    repeat_buyers: int
    time_unit: str = "days"
    params: BgNbdParams | None = None
    log_likelihood: float | None = None
    goodness_of_fit: HistogramFit | None = None
    # Standard errors of ln r, ln alpha, ln a, ln b from the observed information; None where singular.
    log_param_std_errors: tuple[float, ...] | None = None
    detail: str = ""

    @property
    def usable(self) -> bool:
        return self.status is FitStatus.FITTED and self.params is not None


@dataclass(frozen=True, slots=True)
class GammaGammaFit:
    status: FitStatus
    fitted_at: datetime
    sample_size: int  # repeat buyers the fit used
    params: GammaGammaParams | None = None
    log_likelihood: float | None = None
    # Largest gap between the observed and the fitted distribution of customers' mean spend (Kolmogorov-Smirnov).
    ks_distance: float | None = None
    # The model assumes spend does not depend on frequency: their correlation among repeat buyers, to check.
    spend_frequency_correlation: float | None = None
    # Standard errors of ln p, ln q, ln v from the observed information; None where singular.
    log_param_std_errors: tuple[float, ...] | None = None
    detail: str = ""

    @property
    def usable(self) -> bool:
        return self.status is FitStatus.FITTED and self.params is not None
