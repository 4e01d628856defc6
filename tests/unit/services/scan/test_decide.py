"""services/scan/job.decide without a store: what the scan records on a user's assignment."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

from winback.config.loader import load_program
from winback.domain.audience.segmentation import Segment
from winback.models.jobs import ScanJob
from winback.models.profile import Profile
from winback.services.scan.job import decide

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
