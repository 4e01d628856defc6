"""The send-time guard: a step sent at `best_hour` waits for the user's most active local hour.

The wait is the existing deferral (JobRun.hold, kind `best_hour`): the recipients are parked in
DeferralTable with the job marked `best_hour_step`, so when the release brings them back they are
sent then (the quiet-hours and every other guard still apply) and not deferred a second time. The
histogram comes with the profile the job already read: no call of its own.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from winback.domain.journey.send_time import best_hour, best_hour_send_at

if TYPE_CHECKING:
    from winback.config.campaigns import ChannelName
    from winback.models.jobs import Recipient
    from winback.models.profile import Profile
    from winback.services.send.job_run import JobRun

BEST_HOUR = "best_hour"


def waits_for_best_hour(run: JobRun, recipient: Recipient, profile: Profile, channel: ChannelName) -> bool:
    """True when the recipient's message is deferred to their best hour (counted and held); False when
    it goes now: the step is not best_hour for their arm, they were released at their hour, their
    clock is in it, or the hour cannot come before the step's deadline (sent now, never dropped)."""
    job, campaign = run.job, run.campaign
    if campaign.send_time_for(job.step, recipient.arm) != BEST_HOUR:
        return False
    if job.best_hour_step == job.step:
        run.tally.add(recipient, "at_best_hour")  # released from its best-hour deferral
        return False
    hour = best_hour(profile.active_hours, campaign.best_hour_min_events, campaign.default_send_hour)
    program = run.program
    at = best_hour_send_at(
        run.now, hour, profile.time_zone, program.quiet_hours.get(channel), program.default_time_zone, job.not_after
    )
    if at is None:
        run.tally.add(recipient, "best_hour_missed")  # the hour comes after the deadline: sent now
        return False
    if at <= run.now:
        run.tally.add(recipient, "at_best_hour")
        return False
    run.tally.add(recipient, BEST_HOUR)
    run.hold(recipient, at, BEST_HOUR)
    return True
