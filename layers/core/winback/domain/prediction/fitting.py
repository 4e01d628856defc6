"""Maximum-likelihood fits of BG/NBD and Gamma-Gamma, with numpy and scipy: the one module of the
package that imports them, for the stats step alone (its own Lambda layer); scoring needs neither.

Both log-likelihoods are written in logs with `scipy.special` (gammaln, betaln, and a two-term
log-sum for BG/NBD), so heavy buyers and long ages neither overflow nor underflow, and are
maximized over the logs of the parameters with L-BFGS-B and the analytic gradient.

Minimum sample: see MIN_REPEAT_BUYERS and MIN_SPEND_REPEAT_BUYERS.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import minimize
from scipy.special import betainc, digamma, expit, gammaln
from threadpoolctl import threadpool_limits

from winback.domain.prediction.bgnbd import BgNbdParams, PurchaseHistory, purchase_count_distribution
from winback.domain.prediction.gamma_gamma import GammaGammaParams, SpendHistory
from winback.domain.prediction.models import BgNbdFit, FitStatus, GammaGammaFit, HistogramFit

Array = NDArray[np.float64]

# The minimum sample, from how far fitted scores fall from the true ones on data simulated from known
# parameters (`python -m bench.prediction_minimum`: 25 samples per size; BG/NBD with CDNOW's parameters
# over CDNOW's ages in weeks, and with r=1.5, alpha=20, a=1.2, b=4 over 30 to 365 days; Gamma-Gamma with
# Fader & Hardie's CDNOW parameters, and with p=2, q=2.5, v=3000):
# - BG/NBD, mean absolute error of P(alive) over the sample's repeat buyers, median (90th percentile):
#   repeat buyers   under 10      10-19         20-29         30-49         50-99         100+
#   CDNOW-like      0.18 (0.38)   0.11 (0.20)   0.10 (0.18)   0.08 (0.13)   0.06 (0.12)   0.04 (0.07)
#   app-like        0.03 (0.09)   0.04 (0.08)   0.03 (0.05)   0.03 (0.05)   0.02 (0.04)   0.01 (0.03)
#   From 20 repeat buyers the median error is under 0.1 and the 90th percentile under 0.2 in both; the
#   repeat buyers carry all the information on dropout (a and b), so they, not all customers, count.
# - Gamma-Gamma, mean relative error of the expected spend per transaction, median (90th percentile):
#   repeat buyers   10            20            30            50            100
#   CDNOW-like      0.16 (0.37)   0.10 (0.32)   0.10 (0.25)   0.08 (0.16)   0.05 (0.12)
#   wide spend      0.27 (0.66)   0.18 (0.37)   0.15 (0.23)   0.16 (0.28)   0.07 (0.13)
#   From 30 the 90th percentile stays under 30% in both (at 20 it is 32-37%; at 10, 37-66% and a fit
#   with q <= 1, no finite mean).
MIN_REPEAT_BUYERS = 20
MIN_SPEND_REPEAT_BUYERS = 30
HISTOGRAM_BINS = 8  # 0 to 6 repeat purchases, then 7 or more, as the paper's Figure
# Fits run on rescaled data (mean age 1, mean spend 1), where every parameter stays within
# e^-LOG_BOUND .. e^LOG_BOUND. A likelihood still rising at a bound is flat there: a and b both at the
# top (one dropout probability for all, no heterogeneity left to estimate) is the common case in small
# samples. Predictions from such a fit are sound; the fit says which parameters sit at a bound.
LOG_BOUND = 13.8  # about ln 1e6
# Converged: multiplying any free parameter by e would change the total log-likelihood by less than
# this at first order, far below what the data can tell apart (a 95% likelihood-ratio interval spans 1.92).
# At an interior optimum L-BFGS-B gets far closer (CDNOW: 1e-5); this bound is what flat optima reach.
_TOTAL_GRADIENT_TOLERANCE = 0.01


@dataclass(frozen=True, slots=True)
class _Optimum:
    log_params: Array
    mean_neg_ll: float
    converged: bool
    message: str
    at_bounds: tuple[int, ...]


def _maximize(objective: Callable[[Array], tuple[float, Array]], start: Array, n: int) -> _Optimum:
    """Minimize a mean negative log-likelihood over bounded log-parameters (with its gradient). It has
    converged when the projected gradient is small: only components that push into a bound are left out.
    L-BFGS-B starts afresh up to twice when it stops short: along a nearly flat ridge (a and b large
    together) its curvature memory can stall it, and a restart from where it stopped gets through."""
    optimum = _lbfgsb(objective, start, n)
    for _ in range(2):
        if optimum.converged:
            break
        optimum = _lbfgsb(objective, optimum.log_params, n)
    return optimum


def _lbfgsb(objective: Callable[[Array], tuple[float, Array]], start: Array, n: int) -> _Optimum:
    # One BLAS thread: the optimizer's vectors have 3 or 4 entries, and OpenBLAS's worker threads only
    # wait on each other (a CDNOW fit took 3 to 4 times as long with them, on a busy 2-core machine).
    with threadpool_limits(limits=1, user_api="blas"):
        result = minimize(
            objective,
            start,
            jac=True,
            method="L-BFGS-B",
            bounds=[(-LOG_BOUND, LOG_BOUND)] * len(start),
            options={"maxiter": 2000, "ftol": 1e-15, "gtol": 1e-9},
        )
    log_params = np.asarray(result.x, dtype=np.float64)
    value, gradient = objective(log_params)
    upper = log_params >= LOG_BOUND - 1e-6
    lower = log_params <= -LOG_BOUND + 1e-6
    free = ~((upper & (gradient < 0)) | (lower & (gradient > 0)))
    finite = bool(np.isfinite(value) and np.all(np.isfinite(gradient)))
    converged = finite and n * float(np.max(np.abs(gradient[free]), initial=0.0)) < _TOTAL_GRADIENT_TOLERANCE
    at_bounds = tuple(int(i) for i in np.flatnonzero(upper | lower))
    return _Optimum(log_params, value, converged, str(result.message), at_bounds)


def _log_std_errors(objective: Callable[[Array], tuple[float, Array]], at: Array, n: int) -> Array | None:
    """Standard errors of the log-parameters: the observed information (n times the Hessian of the mean
    negative log-likelihood, by central differences of its gradient) inverted; None if it is singular."""
    step = 1e-5
    columns = []
    for i in range(len(at)):
        shift = np.zeros_like(at)
        shift[i] = step
        columns.append((objective(at + shift)[1] - objective(at - shift)[1]) / (2 * step))
    hessian = np.array(columns)
    information = n * (hessian + hessian.T) / 2
    if not np.all(np.isfinite(information)) or np.min(np.linalg.eigvalsh(information)) <= 0:
        return None
    return np.asarray(np.sqrt(np.diag(np.linalg.inv(information))), dtype=np.float64)


def _outcome(optimum: _Optimum, names: Sequence[str]) -> tuple[bool, str]:
    """Whether the fit can be used, and what to say about it."""
    if not optimum.converged:
        return False, f"no convergence: {optimum.message}"
    if optimum.at_bounds:
        listed = ", ".join(names[i] for i in optimum.at_bounds)
        return True, f"at the edge of the parameter space (likelihood flat beyond it): {listed}"
    return True, ""


# BG/NBD


def _rising(y: float, counts: NDArray[np.int64], top: int) -> tuple[Array, Array]:
    """ln (y)_x = ln G(y + x) - ln G(y) and its derivative sum_{j<x} 1 / (y + j), for each count x.

    Summed term by term (x is a whole number) rather than as a difference of gammaln or digamma: those
    cancel to a few digits once y is in the hundreds of thousands, where small samples put a and b,
    and the optimizer then walks on noise."""
    steps = y + np.arange(top, dtype=np.float64)
    logs = np.concatenate(([0.0], np.cumsum(np.log(steps))))
    inverses = np.concatenate(([0.0], np.cumsum(1.0 / steps)))
    return logs[counts], inverses[counts]


def _bgnbd_evaluate(log_params: Array, x: Array, tx: Array, age: Array) -> tuple[Array, Array]:
    """Each customer's log-likelihood, and the gradient of their mean over the log-parameters.

    ln L = ln G(r + x) - ln G(r) + r ln alpha + ln B(a, b + x) - ln B(a, b) - (r + x) ln(alpha + T)
           + [x > 0] ln(1 + e^D),  D = ln a - ln(b + x - 1) + (r + x) ln((alpha + T) / (alpha + t_x))
    (FHL 2005, section 7: A1 A2 (A3 + [x > 0] A4) with the common factors taken out of the sum), where
    B(a, b + x) / B(a, b) = (b)_x / (a + b)_x and e^D / (1 + e^D) = 1 - P(alive)."""
    r, alpha, a, b = np.exp(log_params)
    counts = x.astype(np.int64)
    top = int(counts.max(initial=0))
    log_r, inv_r = _rising(r, counts, top)
    log_b, inv_b = _rising(b, counts, top)
    log_ab, inv_ab = _rising(a + b, counts, top)
    repeat = x > 0
    last = b + np.maximum(x, 1) - 1
    log_odds = np.where(repeat, np.log(a) - np.log(last) + (r + x) * np.log((alpha + age) / (alpha + tx)), -np.inf)
    ll = log_r + r * np.log(alpha) + log_b - log_ab - (r + x) * np.log(alpha + age) + np.logaddexp(0.0, log_odds)
    dead = expit(log_odds)
    d_r = inv_r + np.log(alpha / (alpha + age)) + dead * np.log((alpha + age) / (alpha + tx))
    d_alpha = r / alpha - (r + x) / (alpha + age) + dead * (r + x) * (1 / (alpha + age) - 1 / (alpha + tx))
    d_a = -inv_ab + dead / a
    d_b = inv_b - inv_ab - dead / last
    return ll, np.array([r * d_r.mean(), alpha * d_alpha.mean(), a * d_a.mean(), b * d_b.mean()])


def _bgnbd_objective(x: Array, tx: Array, age: Array) -> Callable[[Array], tuple[float, Array]]:
    def objective(log_params: Array) -> tuple[float, Array]:
        ll, gradient = _bgnbd_evaluate(log_params, x, tx, age)
        return -float(ll.mean()), -gradient

    return objective


def bgnbd_log_likelihood(params: BgNbdParams, histories: Sequence[PurchaseHistory]) -> float:
    """The total log-likelihood of `histories` under `params`."""
    x, tx, age = _bgnbd_arrays(histories)
    log_params = np.log([params.r, params.alpha, params.a, params.b])
    return float(_bgnbd_evaluate(log_params, x, tx, age)[0].sum())


def _bgnbd_arrays(histories: Sequence[PurchaseHistory]) -> tuple[Array, Array, Array]:
    x = np.fromiter((h.frequency for h in histories), dtype=np.float64, count=len(histories))
    tx = np.fromiter((h.recency for h in histories), dtype=np.float64, count=len(histories))
    age = np.fromiter((h.age for h in histories), dtype=np.float64, count=len(histories))
    return x, tx, age


def histogram_fit(
    params: BgNbdParams, histories: Sequence[PurchaseHistory], bins: int = HISTOGRAM_BINS
) -> HistogramFit:
    """Actual vs expected customers by repeat purchases, each over their own age (Fader, Hardie & Lee's
    fit histogram): expected_k = sum_i P(X(T_i) = k), equal ages computed once."""
    observed = [0] * bins
    ages: dict[float, int] = {}
    for h in histories:
        observed[min(h.frequency, bins - 1)] += 1
        ages[h.age] = ages.get(h.age, 0) + 1
    expected = [0.0] * bins
    for age, count in ages.items():
        if age == 0:
            expected[0] += count
            continue
        for k, probability in enumerate(purchase_count_distribution(params, age, bins)):
            expected[k] += count * probability
    chi_square = sum((o - e) ** 2 / e for o, e in zip(observed, expected, strict=True) if e > 0)
    return HistogramFit(tuple(observed), tuple(expected), float(chi_square), bins - 1 - 4)


def _bgnbd_start(x: Array, age: Array) -> Array:
    """r = 1 and alpha matching the mean purchase rate; a = b = 1 (a uniform dropout probability)."""
    rate = float(x.sum()) / max(float(age.sum()), 1e-9)
    return np.log([1.0, 1.0 / max(rate, 1e-9), 1.0, 1.0])


def _standard_errors(errors: Array | None) -> tuple[float, ...] | None:
    return None if errors is None else tuple(float(e) for e in errors)


def fit_bgnbd(histories: Sequence[PurchaseHistory], fitted_at: datetime, time_unit: str = "days") -> BgNbdFit:
    """BG/NBD by maximum likelihood on `histories` (ages and recencies in `time_unit`)."""
    n = len(histories)
    repeat = sum(1 for h in histories if h.frequency > 0)
    unfitted = BgNbdFit(FitStatus.TOO_SMALL, fitted_at, n, repeat, time_unit)
    if n > 0 and repeat == 0:
        return replace(unfitted, status=FitStatus.NO_REPEAT_BUYERS, detail="nobody made a repeat purchase")
    if repeat < MIN_REPEAT_BUYERS:
        detail = f"{repeat} repeat buyers among {n} customers: the fit needs {MIN_REPEAT_BUYERS}"
        return replace(unfitted, detail=detail)
    x, tx, age = _bgnbd_arrays(histories)
    scale = float(age.mean()) or 1.0  # time in units of the mean age: alpha's start and bounds become unit-free
    objective = _bgnbd_objective(x, tx / scale, age / scale)
    optimum = _maximize(objective, _bgnbd_start(x, age / scale), n)
    usable, detail = _outcome(optimum, ("r", "alpha", "a", "b"))
    if not usable:
        return replace(unfitted, status=FitStatus.FAILED, detail=detail)
    r, alpha, a, b = (float(v) for v in np.exp(optimum.log_params))
    params = BgNbdParams(r, alpha * scale, a, b)
    return replace(
        unfitted,
        status=FitStatus.FITTED,
        params=params,
        log_likelihood=bgnbd_log_likelihood(params, histories),
        goodness_of_fit=histogram_fit(params, histories),
        log_param_std_errors=_standard_errors(_log_std_errors(objective, optimum.log_params, n)),
        detail=detail,
    )


# Gamma-Gamma


def _gamma_gamma_objective(x: Array, m: Array) -> Callable[[Array], tuple[float, Array]]:
    """ln f(m | x) = ln G(px + q) - ln G(px) - ln G(q) + q ln v + (px - 1) ln m + px ln x - (px + q) ln(v + x m):
    the density of the mean m of x transactions (Fader & Hardie 2013), and its gradient."""
    log_m, log_x = np.log(m), np.log(x)

    def objective(log_params: Array) -> tuple[float, Array]:
        p, q, v = np.exp(log_params)
        px = p * x
        log_total = np.log(v + x * m)
        ll = gammaln(px + q) - gammaln(px) - gammaln(q) + q * np.log(v) + (px - 1) * log_m + px * log_x
        ll -= (px + q) * log_total
        both = digamma(px + q)
        d_p = x * (both - digamma(px) + log_m + log_x - log_total)
        d_q = both - digamma(q) + np.log(v) - log_total
        d_v = q / v - (px + q) / (v + x * m)
        return -float(ll.mean()), -np.array([p * d_p.mean(), q * d_q.mean(), v * d_v.mean()])

    return objective


def _ks_distance(params: GammaGammaParams, x: Array, m: Array) -> float:
    """Kolmogorov-Smirnov distance between the customers' mean spends and the fitted model's: given
    x, x m / v is beta-prime(p x, q) distributed, so P(mean <= m | x) = I(x m / (x m + v); p x, q)."""
    order = np.argsort(m)
    x, m = x[order], m[order]
    frequencies, counts = np.unique(x, return_counts=True)
    model = np.zeros_like(m)
    for frequency, count in zip(frequencies, counts, strict=True):
        total = frequency * m
        model += count * betainc(params.p * frequency, params.q, total / (total + params.v))
    model /= len(m)
    n = len(m)
    above = np.arange(1, n + 1) / n - model
    below = model - np.arange(0, n) / n
    return float(max(above.max(), below.max()))


def _correlation(x: Array, m: Array) -> float | None:
    if np.ptp(x) == 0 or np.ptp(m) == 0:
        return None
    return float(np.corrcoef(x, m)[0, 1])


def gamma_gamma_log_likelihood(params: GammaGammaParams, histories: Sequence[SpendHistory]) -> float:
    """The total log-likelihood of the repeat buyers' mean spends in `histories` under `params`."""
    x, m = _spend_arrays(histories)
    log_params = np.log([params.p, params.q, params.v])
    return -_gamma_gamma_objective(x, m)(log_params)[0] * len(x)


def _spend_arrays(histories: Sequence[SpendHistory]) -> tuple[Array, Array]:
    buyers = [h for h in histories if h.frequency > 0]
    x = np.fromiter((h.frequency for h in buyers), dtype=np.float64, count=len(buyers))
    m = np.fromiter((h.mean_spend for h in buyers), dtype=np.float64, count=len(buyers))
    return x, m


def fit_gamma_gamma(histories: Sequence[SpendHistory], fitted_at: datetime) -> GammaGammaFit:
    """Gamma-Gamma by maximum likelihood on the repeat buyers among `histories` (frequency > 0)."""
    x, m = _spend_arrays(histories)
    n = len(x)
    if n == 0:
        return GammaGammaFit(FitStatus.NO_REPEAT_BUYERS, fitted_at, 0, detail="nobody made a repeat purchase")
    if n < MIN_SPEND_REPEAT_BUYERS:
        detail = f"{n} repeat buyers: the fit needs {MIN_SPEND_REPEAT_BUYERS}"
        return GammaGammaFit(FitStatus.TOO_SMALL, fitted_at, n, detail=detail)
    scale = float(m.mean())  # spend in units of its mean: v's start and bounds become unit-free
    objective = _gamma_gamma_objective(x, m / scale)
    optimum = _maximize(objective, np.log([1.0, 2.0, 1.0]), n)
    usable, detail = _outcome(optimum, ("p", "q", "v"))
    p, q, v = (float(value) for value in np.exp(optimum.log_params))
    if usable and q <= 1:
        usable, detail = False, f"q = {q:.3g} <= 1: the mean spend would be infinite"
    if not usable:
        return GammaGammaFit(FitStatus.FAILED, fitted_at, n, detail=detail)
    params = GammaGammaParams(p, q, v * scale)
    return GammaGammaFit(
        FitStatus.FITTED,
        fitted_at,
        n,
        params=params,
        log_likelihood=gamma_gamma_log_likelihood(params, histories),
        ks_distance=_ks_distance(params, x, m),
        spend_frequency_correlation=_correlation(x, m),
        log_param_std_errors=_standard_errors(_log_std_errors(objective, optimum.log_params, n)),
        detail=detail,
    )
