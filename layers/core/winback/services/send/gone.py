"""Recipients who are gone: erased (their send state says so, models/erasure.py) or without a profile
(erased, or expired by ProfileTtlDays). They are counted and dropped before anything else, so a job
read from the queue after an erasure (redelivered, or redriven from the DLQ, where SQS keeps it up to
14 days) neither sends to them nor carries them on into a parked job or a next step."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from winback.models.jobs import SendJob
    from winback.models.send_context import SendContext
    from winback.services.send.job_run import Tally


def without_gone(job: SendJob, context: SendContext, tally: Tally) -> SendJob:
    """The job without its gone recipients (counted `erased` or `missing_profile`)."""
    kept = []
    for recipient in job.recipients:
        state = context.states.get(recipient.user_id)
        if state is not None and state.erased:
            tally.add(recipient, "erased")
        elif recipient.user_id not in context.profiles:
            tally.add(recipient, "missing_profile")
        else:
            kept.append(recipient)
    return job if len(kept) == len(job.recipients) else job.model_copy(update={"recipients": kept})
