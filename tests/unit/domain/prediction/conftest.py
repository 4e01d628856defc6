"""The CDNOW cohort, read once per session."""

from __future__ import annotations

import pytest

from tests.unit.domain.prediction.samples import CDNOW_CSV
from winback.domain.prediction.bgnbd import PurchaseHistory
from winback_dev.prediction_cli import read_purchase_histories


@pytest.fixture(scope="session")
def cdnow() -> list[PurchaseHistory]:
    return read_purchase_histories(CDNOW_CSV)
