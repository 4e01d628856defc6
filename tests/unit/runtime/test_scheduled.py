from __future__ import annotations

from datetime import UTC, datetime

from winback.runtime.scheduled import scheduled_time

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


class _Clock:
    def now(self) -> datetime:
        return NOW


def test_the_scheduled_time_in_the_payload_is_the_run_time() -> None:
    assert scheduled_time({"time": "2026-11-25T03:00:00Z"}, _Clock()) == datetime(2026, 11, 25, 3, 0, tzinfo=UTC)


def test_an_invocation_without_a_time_runs_as_of_now() -> None:
    assert scheduled_time({}, _Clock()) == NOW
    assert scheduled_time("not a mapping", _Clock()) == NOW
