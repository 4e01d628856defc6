"""Gamma-Gamma's expected spend by hand, the 12-month value, and a profile's orders as a history."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from winback.domain.prediction.bgnbd import BgNbdParams, PurchaseHistory, expected_purchases, p_alive
from winback.domain.prediction.gamma_gamma import GammaGammaParams, SpendHistory, expected_spend
from winback.domain.prediction.value import Prediction, expected_value_minor, history_in_days, predict

SPEND = GammaGammaParams(p=6.25, q=3.74, v=15.44)
DAYS = BgNbdParams(r=0.243, alpha=4.414 * 7, a=0.793, b=2.426)  # CDNOW's estimates, alpha in days


def test_expected_spend_shrinks_the_customers_mean_towards_the_populations() -> None:
    # p (v + x m) / (p x + q - 1) with x = 3, m = 40: 6.25 (15.44 + 120) / (18.75 + 2.74) = 846.5 / 21.49
    assert expected_spend(SPEND, 3, 40.0) == pytest.approx(6.25 * (15.44 + 3 * 40.0) / (6.25 * 3 + 3.74 - 1))
    assert expected_spend(SPEND, 3, 40.0) == pytest.approx(39.3904, abs=1e-4)
    # the same as a weighted mean: weight p x / (p x + q - 1) on the customer's own mean
    weight = 6.25 * 3 / (6.25 * 3 + 2.74)
    assert expected_spend(SPEND, 3, 40.0) == pytest.approx(weight * 40.0 + (1 - weight) * SPEND.mean_spend)


def test_without_a_repeat_purchase_the_expected_spend_is_the_populations_mean() -> None:
    assert SPEND.mean_spend == pytest.approx(6.25 * 15.44 / 2.74)  # p v / (q - 1) = 35.22
    assert expected_spend(SPEND, 0, 0.0) == SPEND.mean_spend


def test_gamma_gamma_needs_a_finite_mean() -> None:
    with pytest.raises(ValueError, match="q > 1"):
        GammaGammaParams(1.0, 0.9, 10.0)
    with pytest.raises(ValueError, match="> 0"):
        SpendHistory(2, 0.0)


def test_twelve_month_value_is_expected_purchases_times_expected_spend_in_minor_units() -> None:
    h = PurchaseHistory(4, 200.0, 260.0)  # days
    purchases = expected_purchases(DAYS, h, 365.0)
    spend = expected_spend(SPEND, 4, 3_500.0)  # a mean of 35.00 in cents
    assert expected_value_minor(DAYS, SPEND, h, 3_500.0) == round(purchases * spend)
    assert isinstance(expected_value_minor(DAYS, SPEND, h, 3_500.0), int)


def test_predict_scores_one_user() -> None:
    h = PurchaseHistory(4, 200.0, 260.0)
    scored = predict(DAYS, SPEND, h, 3_500.0)
    assert scored == Prediction(
        p_alive=p_alive(DAYS, h),
        expected_purchases=expected_purchases(DAYS, h, 30.0),
        expected_value_minor=expected_value_minor(DAYS, SPEND, h, 3_500.0),
    )
    assert predict(DAYS, None, h, 3_500.0).expected_value_minor is None


NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)


def test_history_in_days_from_a_profiles_orders() -> None:
    first, last = NOW - timedelta(days=100), NOW - timedelta(days=10, hours=12)
    assert history_in_days(5, first, last, NOW) == PurchaseHistory(4, 89.5, 100.0)
    assert history_in_days(1, first, first, NOW) == PurchaseHistory(0, 0.0, 100.0)


def test_history_in_days_tolerates_a_clock_behind_the_last_order() -> None:
    first = NOW - timedelta(days=3)
    assert history_in_days(2, first, NOW + timedelta(minutes=5), NOW) == PurchaseHistory(1, 3.0, 3.0)
    with pytest.raises(ValueError, match="first order"):
        history_in_days(0, first, first, NOW)
