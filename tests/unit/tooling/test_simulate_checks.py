"""`winback simulate` sees the breaks: several workers with the real pacer and a stale GetAccount, the
Lambda time budget, and the sender's next steps and counters checked against the outcomes
(`next_steps_missing`, `counter_drift`), with exit 1 when either is not 0. Each check is shown to
fire by breaking, on purpose, the guard it watches."""

from __future__ import annotations

import pytest

from winback.config.loader import load_program
from winback.config.program import Program
from winback.services.send import deliver, record
from winback.services.send.pacing import WorkerPacer
from winback_dev import cli
from winback_dev.simulate import Faults, simulate

# Every fault but kills (kills have a test of their own: test_a_kill_loses_no_count_and_no_next_step).
NO_KILLS = Faults(accepted_5xx=0.01, timeout=0.01, throttle=0.02, kill=0, duplicate=0.2, redelivery=0.2, pause=True)
HARSH = Faults(accepted_5xx=0.01, timeout=0.01, throttle=0.02, kill=0.3, duplicate=0.2, redelivery=0.2, pause=True)


def test_next_steps_and_counters_match_the_outcomes_with_several_workers() -> None:
    figures = simulate(users=1_200, seed=5, max_rate=14, quota=400, faults=NO_KILLS, workers=3)
    assert figures.workers == 3 and figures.sent > 400  # more than a day's quota: the lease at work
    assert figures.throttles > 0 and figures.deferred_by_rate > 0 and figures.uncertain > 0
    assert figures.next_steps_missing == 0
    assert figures.counter_drift == 0
    assert figures.dlq == 0 and figures.duplicates == 0 and figures.lost == 0 and figures.unaccounted == 0
    assert figures.broken() == []


def test_throttles_become_deferrals_and_never_reach_the_dlq() -> None:
    """Guard: the throttle's deferral (services/send/pacing.defer_after_throttle); before it, each
    throttle sent its job back to the queue, and at five times the default rate some reached the DLQ."""
    faults = Faults(accepted_5xx=0, timeout=0, throttle=0.2, kill=0, duplicate=0, redelivery=0, pause=False)
    figures = simulate(users=600, seed=2, max_rate=14, quota=10_000, faults=faults)
    assert figures.throttles > 50 and figures.deferred_by_rate > 0
    assert figures.dlq == 0 and figures.job_errors == {} and figures.unaccounted == 0


def _every_step_now() -> Program:
    """The shipped program with every arm sending at once: the overrun needs the workers' sends
    bunched, which dormant-vip's best-hour arm (deferred to each user's hour) spreads out."""
    program = load_program()
    return program.model_copy(update={"campaigns": tuple(c.sending_now() for c in program.campaigns)})


def test_workers_with_a_stale_account_and_no_shared_lease_overrun_the_quota(monkeypatch: pytest.MonkeyPatch) -> None:
    """The simulator sees the quota break: without the shared lease (each worker booking its own sends
    against a GetAccount five minutes stale) the provider refuses sends over its daily quota."""
    faults = Faults.none()
    program = _every_step_now()
    shared = simulate(users=1_200, seed=5, max_rate=14, quota=300, faults=faults, workers=3, program=program)
    assert shared.throttles == 0  # the lease kept the three workers within the quota
    original = WorkerPacer.__init__

    def without_lease(self: WorkerPacer, *args: object) -> None:
        original(self, *args[:5], leases=None)  # type: ignore[arg-type, misc]

    monkeypatch.setattr(WorkerPacer, "__init__", without_lease)
    alone = simulate(users=1_200, seed=5, max_rate=14, quota=300, faults=faults, workers=3, program=program)
    assert alone.throttles > 0


def test_the_checks_fire_when_counters_or_next_steps_are_lost(monkeypatch: pytest.MonkeyPatch) -> None:
    faults = Faults.none()
    monkeypatch.setattr(deliver, "sent_counts", lambda _channel: ())  # a sent record counts nothing
    assert simulate(users=300, seed=1, faults=faults).counter_drift > 0
    monkeypatch.undo()
    monkeypatch.setattr(record, "next_step", lambda *_: [])  # sent users' next steps never parked
    figures = simulate(users=300, seed=1, faults=faults)
    assert figures.next_steps_missing > 0 and figures.counter_drift == 0
    assert figures.broken() == ["next_steps_missing"]


def test_simulate_exits_1_when_a_check_fails(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["simulate", "--users", "300", "--fault-rate", "0"]
    assert cli.main(args) == 0
    monkeypatch.setattr(record, "next_step", lambda *_: [])
    assert cli.main(args) == 1
    assert "next_steps_missing" in capsys.readouterr().err


def test_a_kill_loses_no_count_and_no_next_step() -> None:
    """Guards: counters written with each chunk's outcomes (record.py) and the sweeper's `sent` from
    SES's Send event with its counts and next step (sweep.py). Before them a kill lost its job's
    counters, written once at the job's end."""
    figures = simulate(users=1_200, seed=5, max_rate=14, quota=400, faults=HARSH, workers=3)
    assert figures.kills > 0
    assert figures.next_steps_missing == 0 and figures.counter_drift == 0
