"""What the scan needs about a user from the fitted models: P(alive), the expected purchases over
the next days and the expected value over the next 12 months, all in closed form (no numpy/scipy)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from winback.domain.prediction.bgnbd import BgNbdParams, PurchaseHistory, expected_purchases, p_alive
from winback.domain.prediction.gamma_gamma import GammaGammaParams, expected_spend

VALUE_HORIZON_DAYS = 365.0  # "12 months"
PURCHASE_HORIZON_DAYS = 30.0
_DAY_S = 86_400.0


def history_in_days(orders: int, first_order_at: datetime, last_order_at: datetime, now: datetime) -> PurchaseHistory:
    """A profile's orders as BG/NBD sees them: repeat purchases (all but the first), the last one's time
    and the age, both in days since the first order. A clock running behind an order counts as now."""
    if orders < 1:
        raise ValueError(f"a purchase history starts with a first order, got {orders!r} orders")
    age = max(0.0, (now - first_order_at).total_seconds() / _DAY_S)
    if orders == 1:
        return PurchaseHistory(0, 0.0, age)
    recency = min(age, max(0.0, (last_order_at - first_order_at).total_seconds() / _DAY_S))
    return PurchaseHistory(orders - 1, recency, age)


def expected_value_minor(
    bgnbd: BgNbdParams,
    gamma_gamma: GammaGammaParams,
    history: PurchaseHistory,
    mean_spend_minor: float,
    horizon_days: float = VALUE_HORIZON_DAYS,
) -> int:
    """Expected purchases over the horizon times the expected spend per purchase, undiscounted, in
    the base currency's minor units, rounded to a whole one. `history` is in days and
    `mean_spend_minor` is the mean of the user's repeat purchases (ignored with none)."""
    purchases = expected_purchases(bgnbd, history, horizon_days)
    return round(purchases * expected_spend(gamma_gamma, history.frequency, mean_spend_minor))


@dataclass(frozen=True, slots=True)
class Prediction:
    p_alive: float
    expected_purchases: float  # over PURCHASE_HORIZON_DAYS (or the horizon asked for)
    expected_value_minor: int | None  # over 12 months; None without a Gamma-Gamma fit


def predict(
    bgnbd: BgNbdParams,
    gamma_gamma: GammaGammaParams | None,
    history: PurchaseHistory,
    mean_spend_minor: float,
    purchase_horizon_days: float = PURCHASE_HORIZON_DAYS,
) -> Prediction:
    """One user's scores, from parameters fitted in days."""
    value = None
    if gamma_gamma is not None:
        value = expected_value_minor(bgnbd, gamma_gamma, history, mean_spend_minor)
    return Prediction(
        p_alive=p_alive(bgnbd, history),
        expected_purchases=expected_purchases(bgnbd, history, purchase_horizon_days),
        expected_value_minor=value,
    )
