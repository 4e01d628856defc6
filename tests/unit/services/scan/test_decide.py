"""services/scan/job.decide without a store: what the scan records on a user's assignment."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime, timedelta

from winback.config.campaigns import PROGRAM_CONTROL
from winback.config.loader import load_program
from winback.domain.audience.segmentation import Segment
from winback.domain.measurement.arms import in_program_control
from winback.models.jobs import ScanJob
from winback.models.profile import Profile
from winback.services.scan.job import _pack, decide

AS_OF = datetime(2026, 11, 25, 3, 0, tzinfo=UTC)
LAST_ORDER = AS_OF - timedelta(days=45)
JOB = ScanJob(run_id="r", as_of=AS_OF, segment=0, total_segments=1)


def _segment(profile: Profile, at: datetime) -> Segment:
    return Segment(rfm="hibernating", activity="light")


def _profile(user_id: str, **events: datetime) -> Profile:
    times = {"order": LAST_ORDER, **events}
    return Profile(
        user_id=user_id, first_seen_at=LAST_ORDER - timedelta(days=300), last_seen_at=LAST_ORDER, last_event_at=times
    )


def test_the_assignment_records_the_reason_the_users_behaviour_suggests() -> None:
    """Guard: decide() stores inferred_reason on the assignment (the sender routes on it)."""
    program = load_program()
    complained = decide(_profile("u1", support=LAST_ORDER - timedelta(days=2)), JOB, program, _segment, Counter())
    quiet = decide(_profile("u2"), JOB, program, _segment, Counter())
    assert complained is not None and complained.assignment is not None
    assert complained.assignment.inferred_reason == "bad_experience"
    assert quiet is not None and quiet.assignment is not None and quiet.assignment.inferred_reason == "unknown"


def test_the_program_control_group_is_assigned_its_own_arm_in_every_campaign() -> None:
    """Guard: decide() puts a user of the program-wide control group in PROGRAM_CONTROL before the
    campaign's own split; _pack never makes a send job of that arm."""
    program = load_program()
    program = program.model_copy(
        update={"experiments": program.experiments.model_copy(update={"program_control_percent": 20})}
    )
    arms = {}
    for i in range(200):
        target = decide(_profile(f"u{i}"), JOB, program, _segment, Counter())
        assert target is not None and target.assignment is not None
        arms[f"u{i}"] = target.assignment.arm
    control = {u for u, arm in arms.items() if arm == PROGRAM_CONTROL}
    assert control == {u for u in arms if in_program_control(u, 20)} and 20 <= len(control) <= 60
    targets = [decide(_profile(u), JOB, program, _segment, Counter()) for u in arms]
    packed = {
        r["user_id"] for body in _pack(JOB, [t for t in targets if t], program) for r in json.loads(body)["recipients"]
    }
    assert packed and not packed & control
