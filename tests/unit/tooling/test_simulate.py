"""`winback simulate`, small and with every fault on: the send path's promises hold, and the same seed
gives the same figures. Guards proved here, each by the figure that would move without it:
duplicates 0 (the ledger claim before the provider; uncertain never resent), lost 0 (outcomes
written as the provider answers; the sweeper for what a kill leaves), dlq 0 (the channel pause
for an account-level error; the pacer deferring work over the quota instead of failing it),
peak <= max (the pacer, domain/journey/pacing.py), unaccounted 0 (every eligible user ends sent,
failed, uncertain or with a reason)."""

from __future__ import annotations

import dataclasses

from winback.config.admission import Admission
from winback.config.loader import load_program
from winback_dev.simulate import Faults, simulate

# The pacer's promises are shown with the scan admitting everything it finds (as before admission):
# only then is there work over the quota for the sender to defer and the deadline to drop.
UNADMITTED = load_program().model_copy(update={"admission": Admission(enabled=False)})
HARSH = Faults(accepted_5xx=0.01, timeout=0.01, throttle=0.01, kill=0.3, duplicate=0.3, redelivery=0.3, pause=True)


def test_every_fault_on_no_duplicate_nothing_lost_nothing_in_the_dlq_and_deterministic() -> None:
    figures = simulate(users=2_000, seed=3, max_rate=14, quota=600, faults=HARSH, program=UNADMITTED)
    assert figures.eligible > 1_000
    # Every fault happened.
    assert figures.kills > 0 and figures.duplicated_messages > 0 and figures.redelivered_messages > 0
    assert figures.throttles > 0 and figures.channel_paused > 0 and figures.uncertain > 0
    # Work over the daily quota waited for the next day (and past the step's deadline was dropped).
    assert figures.deferred_by_rate > 0 and figures.days_to_drain > 1
    assert figures.duplicates == 0
    assert figures.lost == 0
    assert figures.dlq == 0
    assert figures.peak_send_rate <= figures.max_send_rate
    assert figures.unaccounted == 0
    assert figures.sent + figures.uncertain + figures.failed + figures.dropped <= figures.eligible

    again = simulate(users=2_000, seed=3, max_rate=14, quota=600, faults=HARSH, program=UNADMITTED)
    assert dataclasses.replace(again, wall_s=0) == dataclasses.replace(figures, wall_s=0)


def test_the_scan_admits_what_the_quota_can_send_so_no_one_is_dropped_for_capacity() -> None:
    """Issue 16: at the real quota most of a large audience was dropped at the deadline. With the
    scan admitting each day only the quota, the rest waits unmarked and is admitted on later days."""
    figures = simulate(users=2_000, seed=3, max_rate=14, quota=300, faults=Faults.none())
    assert figures.eligible > 1_000  # every eligible user was admitted in the end
    assert figures.dropped == 0
    assert figures.scan_days > 4
    assert all(n <= 300 for n in figures.admitted_by_day)  # both arms take a slot: at most the quota a day
    assert figures.admitted_by_day[0] == 300
    assert figures.days_to_drain > 4
    assert figures.duplicates == figures.lost == figures.unaccounted == figures.dlq == 0
    assert figures.sent > 0.9 * figures.eligible  # the rest ended with a reason (no channel, ...), none unaccounted


def test_every_fault_on_with_admission_still_drops_no_one_and_loses_nothing() -> None:
    figures = simulate(users=2_000, seed=3, max_rate=14, quota=600, faults=HARSH)
    assert figures.dropped == 0 and figures.scan_days > 2
    assert figures.duplicates == figures.lost == figures.unaccounted == figures.dlq == 0
    assert figures.peak_send_rate <= figures.max_send_rate
