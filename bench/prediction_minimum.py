"""How many repeat buyers the fits need: the study behind fitting.MIN_REPEAT_BUYERS and
MIN_SPEND_REPEAT_BUYERS (`python -m bench.prediction_minimum`, a few minutes; not part of `make bench`).

Samples of growing size are drawn from known parameters (tests/unit/domain/prediction/samples.py),
fitted with the minimum switched off, and scored against the truth: for BG/NBD the mean absolute
error of P(alive) over the sample's repeat buyers, for Gamma-Gamma the mean relative error of the
expected spend per transaction; printed by number of repeat buyers, median and 90th percentile.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from datetime import UTC, datetime

import numpy as np

from tests.unit.domain.prediction.samples import simulate_bgnbd, simulate_spend
from winback.domain.prediction import fitting
from winback.domain.prediction.bgnbd import BgNbdParams, p_alive
from winback.domain.prediction.gamma_gamma import GammaGammaParams, expected_spend

BGNBD = {
    "CDNOW-like (weeks)": (BgNbdParams(0.243, 4.414, 0.793, 2.426), (27.0, 39.0)),
    "app-like (days)": (BgNbdParams(1.5, 20.0, 1.2, 4.0), (30.0, 365.0)),
}
SPEND = {"CDNOW-like": GammaGammaParams(6.25, 3.74, 15.44), "wide spend": GammaGammaParams(2.0, 2.5, 3000.0)}
BUCKETS = (0, 10, 20, 30, 50, 100, 200)
SAMPLES = 25


def _bucket(repeat_buyers: int) -> int:
    return max(b for b in BUCKETS if b <= repeat_buyers)


def _quantiles(errors: list[float]) -> str:
    if not errors:
        return "no usable fit"
    return f"median {statistics.median(errors):.3f}  90th percentile {float(np.percentile(errors, 90)):.3f}"


def bgnbd_study(seed: int = 2) -> None:
    rng = np.random.default_rng(seed)
    for name, (true, (youngest, oldest)) in BGNBD.items():
        errors: dict[int, list[float]] = defaultdict(list)
        failed: dict[int, int] = defaultdict(int)
        for n in (10, 15, 20, 30, 40, 60, 80, 120, 200, 300):
            for _ in range(SAMPLES):
                ages = list(rng.uniform(youngest, oldest, n))
                histories = simulate_bgnbd(true, ages, seed=int(rng.integers(1 << 31)))
                buyers = [h for h in histories if h.frequency > 0]
                fit = fitting.fit_bgnbd(histories, datetime.now(UTC))
                if fit.params is None:
                    failed[_bucket(len(buyers))] += 1
                    continue
                gap = statistics.fmean(abs(p_alive(fit.params, h) - p_alive(true, h)) for h in buyers)
                errors[_bucket(len(buyers))].append(gap)
        for bucket in sorted(set(errors) | set(failed)):
            found = _quantiles(errors[bucket])
            print(f"BG/NBD {name:<20} repeat buyers >= {bucket:<4} failed {failed[bucket]:>3}  {found}")


def gamma_gamma_study(seed: int = 5) -> None:
    rng = np.random.default_rng(seed)
    for name, true in SPEND.items():
        for n in (10, 20, 30, 50, 100, 200):
            errors, failed = [], 0
            for _ in range(SAMPLES):
                frequencies = [int(x) + 1 for x in rng.poisson(1.5, n)]
                histories = simulate_spend(true, frequencies, seed=int(rng.integers(1 << 31)))
                fit = fitting.fit_gamma_gamma(histories, datetime.now(UTC))
                if fit.params is None:
                    failed += 1
                    continue
                errors.append(
                    statistics.fmean(
                        abs(
                            expected_spend(fit.params, h.frequency, h.mean_spend)
                            / expected_spend(true, h.frequency, h.mean_spend)
                            - 1
                        )
                        for h in histories
                    )
                )
            print(f"Gamma-Gamma {name:<12} repeat buyers {n:<4} failed {failed:>3}  {_quantiles(errors)}")


def main() -> int:
    fitting.MIN_REPEAT_BUYERS = 1
    fitting.MIN_SPEND_REPEAT_BUYERS = 1
    bgnbd_study()
    gamma_gamma_study()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
