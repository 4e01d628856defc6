"""The send service over the in-memory world (winback_dev.memory, through tests/fakes): guards without
moto, in milliseconds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.fakes.profiles import customer_fields
from tests.fakes.send import ManualClock, MemoryWorld
from winback.config.loader import load_program
from winback.config.program import Program
from winback.models.jobs import SendJob
from winback.models.profile import Profile

# 15:00 UTC: 10:00 in New York (the program's default zone), outside every quiet hour there.
NOW = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)
LAST_ORDER = NOW - timedelta(days=100)
EPISODE = LAST_ORDER.isoformat()


@pytest.fixture
def program() -> Program:
    return load_program()


@pytest.fixture
def world() -> MemoryWorld:
    return MemoryWorld(ManualClock(NOW))


def profile(user_id: str, **fields: Any) -> Profile:
    return Profile.model_validate({**customer_fields(user_id, LAST_ORDER), "version": 1, **fields})


def job(*user_ids: str, campaign: str = "dormant-offer", step: int = 0, **fields: Any) -> SendJob:
    return SendJob.model_validate(
        {
            "run_id": "run-1",
            "campaign_id": campaign,
            "step": step,
            "tier": "dormant",
            "recipients": [{"user_id": u, "episode": EPISODE, "arm": "coupon", "segment": "all"} for u in user_ids],
            **fields,
        }
    )
