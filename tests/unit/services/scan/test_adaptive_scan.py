"""The scan's arm for an adaptive campaign (services/scan/job.decide and arm_of): the day's weights,
the holdout, and an arm that never changes within an episode."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from winback.config.campaigns import HOLDOUT, Campaign
from winback.config.loader import load_program
from winback.domain.audience.segmentation import Segment
from winback.domain.measurement.arms import assign
from winback.models.allocation import Allocation
from winback.models.jobs import ScanJob
from winback.models.profile import Assignment, Profile
from winback.services.scan.job import decide

AS_OF = datetime(2026, 11, 25, 3, 0, tzinfo=UTC)
LAST_ORDER = AS_OF - timedelta(days=45)
JOB = ScanJob(run_id="r", as_of=AS_OF, segment=0, total_segments=1)
CAMPAIGN = "lapsing-nudge"


def _segment(profile: Profile, at: datetime) -> Segment:
    return Segment(rfm="hibernating", activity="light")


def _profile(user_id: str, assignment: Assignment | None = None, tier: str | None = None) -> Profile:
    return Profile(
        user_id=user_id,
        first_seen_at=LAST_ORDER - timedelta(days=300),
        last_seen_at=LAST_ORDER,
        last_event_at={"order": LAST_ORDER},
        assignment=assignment,
        tier=tier,
    )


def _decision(weights: dict[str, float]) -> dict[str, Allocation]:
    allocation = Allocation(
        campaign_id=CAMPAIGN,
        day=dt.date(2026, 11, 25),
        weights=weights,
        p_best=weights,
        assigned={},
        reactivated={},
        adapting=True,
    )
    return {CAMPAIGN: allocation}


def _arm(profile: Profile, allocations: dict[str, Allocation] | None) -> str:
    program = load_program()
    target = decide(profile, JOB, program, _segment, Counter(), allocations=allocations)
    assert target is not None and target.assignment is not None
    assert target.assignment.campaign_id == CAMPAIGN
    return target.assignment.arm


def test_the_shipped_lapsing_nudge_is_adaptive() -> None:
    assert load_program().campaign(CAMPAIGN).allocation == "adaptive"


def test_the_scan_splits_new_users_by_the_days_weights_and_keeps_the_holdout() -> None:
    program = load_program()
    campaign = program.campaign(CAMPAIGN)
    holdout = program.holdout_percent(campaign)
    users = [f"u{i}" for i in range(600)]
    arms = Counter(_arm(_profile(u), _decision({"nostalgic": 0.0, "question": 1.0})) for u in users)
    static = Counter(_arm(_profile(u), None) for u in users)
    assert arms[HOLDOUT] == static[HOLDOUT] > 0  # the same users, whatever the weights
    assert arms["nostalgic"] == 0 and arms["question"] == len(users) - arms[HOLDOUT]
    assert static["nostalgic"] > 0
    for u in users[:50]:
        assert _arm(_profile(u), None) == assign(campaign, u, holdout)


def test_a_user_keeps_the_arm_of_their_episode_when_the_weights_move() -> None:
    """Guard: arm_of() returns the episode's stored arm for an adaptive campaign (a later tier of the
    same campaign, same episode, must not reassign the user by the day's new weights)."""
    program = load_program()
    campaign = program.campaign(CAMPAIGN)
    user = next(
        f"k{i}"
        for i in range(1000)
        if assign(campaign, f"k{i}", program.holdout_percent(campaign), {"nostalgic": 1.0, "question": 0.0})
        == "nostalgic"
    )
    first = decide(_profile(user), JOB, program, _segment, Counter(), allocations=_decision({"nostalgic": 1.0}))
    assert first is not None and first.assignment is not None and first.assignment.arm == "nostalgic"
    # The same episode decided again after the cool-off (the profile's tier cleared, as a tier the
    # campaign also targets would), with the weights moved all the way to the other variant: the arm stays.
    again = decide(
        _profile(user, first.assignment),
        JOB.model_copy(update={"as_of": AS_OF + timedelta(days=program.sunset.cooldown_days + 1)}),
        program,
        _segment,
        Counter(),
        allocations=_decision({"nostalgic": 0.0, "question": 1.0}),
    )
    assert again is not None and again.assignment is not None and again.assignment.arm == "nostalgic"


def test_an_adaptive_campaign_needs_two_variants_and_floors_that_fit() -> None:
    base = {"id": "c", "tiers": ["t"], "channels": ["email"], "steps": [{"template": "offer"}]}
    with pytest.raises(ValidationError, match="at least two variants"):
        Campaign.model_validate({**base, "allocation": "adaptive"})
    variants = [{"id": "a"}, {"id": "b"}, {"id": "c"}]
    with pytest.raises(ValidationError, match="exceeds 100"):
        Campaign.model_validate({**base, "variants": variants, "allocation": "adaptive", "adaptive_floor_percent": 40})
    assert Campaign.model_validate({**base, "variants": variants}).allocation == "fixed"


def test_an_episode_whose_variant_was_removed_is_assigned_afresh() -> None:
    program = load_program()
    first = decide(_profile("r1"), JOB, program, _segment, Counter(), allocations=_decision({"question": 1.0}))
    assert first is not None and first.assignment is not None
    gone = first.assignment.model_copy(update={"arm": "retired-subject"})
    again = decide(
        _profile("r1", gone),
        JOB.model_copy(update={"as_of": AS_OF + timedelta(days=program.sunset.cooldown_days + 1)}),
        program,
        _segment,
        Counter(),
        allocations=_decision({"nostalgic": 0.0, "question": 1.0}),
    )
    assert again is not None and again.assignment is not None
    assert again.assignment.arm in ("question", HOLDOUT) and again.assignment.arm == first.assignment.arm
