"""Incentives only where they lift, through the handlers on moto: the stats step stores the decision for
a segment whose coupon shows no lift, the next scan gives its users the no-offer variant, and the send
issues them no coupon."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.integration.conftest import Stack
from tests.integration.helpers import dormant_profile, get_profile, invoke_scan, queue_bodies, sent_emails, use_program
from winback.adapters.coupon_store import CouponStore
from winback.adapters.messaging_store import MessagingStore
from winback.adapters.population_stats_store import PopulationStatsStore
from winback.config.loader import DEFAULT_PROGRAM_PATH, load_program
from winback.config.settings import get_settings
from winback.domain.audience.segmentation import RfmSegmenter
from winback.domain.measurement.arms import assign
from winback.models.population import PopulationStats
from winback_dev.lambda_events import sqs_event, sqs_record

NOW = datetime.now(UTC).replace(microsecond=0)
LAST_ORDER = NOW - timedelta(days=100)
CAMPAIGN = "dormant-offer"
USERS = [f"u{i}" for i in range(24)]


@pytest.fixture(autouse=True)
def _program(stack: Stack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The shipped program (dormant-offer skips), any hour, and a small minimum sample."""
    campaigns: list[dict[str, Any]] = yaml.safe_load(DEFAULT_PROGRAM_PATH.read_text(encoding="utf-8"))["campaigns"]
    for campaign in campaigns:
        if campaign["id"] == CAMPAIGN:
            assert campaign["skip_segments_without_lift"] is True
            campaign["segment_lift_min_sample"] = 30
    use_program(tmp_path, monkeypatch, quiet_hours={}, campaigns=campaigns)


def _stats(stack: Stack, at: datetime) -> PopulationStats:
    reply = stack.invoke("stats", {"time": at.strftime("%Y-%m-%dT%H:%M:%SZ")})
    stats = PopulationStatsStore(get_settings().messaging_table).load()
    assert stats is not None and reply["incentive_skips"] == len(stats.incentive_skips)
    return stats


def _scan(stack: Stack) -> None:
    invoke_scan(stack, "run-skip", NOW)


def _send_all(stack: Stack) -> int:
    bodies = queue_bodies(stack.table("SendQueue"))
    for i, body in enumerate(bodies):
        record = sqs_record(body, "arn:aws:sqs:us-east-1:123456789012:send", f"m-{i}")
        assert stack.invoke("send", sqs_event([record])) == {"batchItemFailures": []}
    return len(bodies)


def test_the_stats_step_stores_the_decision_the_scan_assigns_no_offer_and_no_coupon_is_issued(stack: Stack) -> None:
    """Guards: services.scan.incentive_skips.with_incentive_skips (stored with the stats), the scan
    handler passing the stored skips (deps.scan_models) to scan_segment (no-offer arm, incentive_skipped_no_lift),
    and the sender's no-offer variant (no coupon)."""
    for user_id in USERS:
        dormant_profile(user_id, LAST_ORDER, consent={"email": True})
    first = _stats(stack, NOW - timedelta(days=1))
    assert first.incentive_skips == ()  # no experiment counts yet
    program = load_program(get_settings().program_path)
    segment = RfmSegmenter(program, first)(dormant_profile_of(USERS[0]), NOW).rfm
    messaging = MessagingStore(get_settings().messaging_table)
    messaging.add_cell(CAMPAIGN, None, "coupon", segment, {"assigned": 40, "reactivated": 2})
    messaging.add_cell(CAMPAIGN, None, "no-coupon", segment, {"assigned": 40, "reactivated": 20})

    stats = _stats(stack, NOW - timedelta(hours=2))
    assert [(s.campaign_id, s.segment, s.since) for s in stats.incentive_skips] == [
        (CAMPAIGN, segment, (NOW - timedelta(hours=2)).date())
    ]
    assert stats.incentive_skips[0].abs_high < 0.02

    _scan(stack)
    campaign = program.campaign(CAMPAIGN)
    would_get_coupon = [u for u in USERS if assign(campaign, u, program.holdout_percent(campaign)) == "coupon"]
    assert would_get_coupon, "the split must put someone in the coupon variant for the test to mean anything"
    arms = {u: (get_profile(u) or pytest.fail("profile gone")).assignment for u in USERS}
    assert all(a is not None and a.campaign_id == CAMPAIGN and a.segment == segment for a in arms.values())
    assert {a.arm for a in arms.values() if a is not None} <= {"no-coupon", "holdout"}
    assert messaging.run_figures("run-skip")["incentive_skipped_no_lift"] == len(would_get_coupon)

    assert _send_all(stack) > 0
    assert sent_emails()
    assert CouponStore(get_settings().incentive_table).spend(CAMPAIGN)["issued"] == 0


def dormant_profile_of(user_id: str) -> Any:
    profile = get_profile(user_id)
    assert profile is not None
    return profile
