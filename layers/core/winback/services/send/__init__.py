"""Send: one step of a campaign's journey for each user of a packed job, guarded, delivered once.

The job goes through small steps (run.py), each taking the job's JobRun (job_run.py: the job, its
campaign, the program, the ports, the context read for its users, the tally and the log of what is
not yet written) and the one candidate it works on:
  load context (ports.ContextLoader: one batch read) → guards (guards.py; run.py holds the
  campaign-level ones: paused, deadline) → pace ("may I send now?", ports.Pacer; pacing.py) → claim
  (claim.py) → deliver (deliver.py: the message's content from content.py, then
  `deps.channels[channel].send(message)`) → record (record.py) → next step (next_step.py).
The package speaks the models' vocabulary (winback.models: send_state, coupons, delivery, outbound)
and reaches stores and channels only through its ports (ports.py).

Quiet hours, a full cap, a paused campaign or channel and pacing DEFER the message (DynamoDB,
released by the hourly schedule) rather than drop it, unless the step's deadline passes first.

The ledger entry and the cap slot are claimed in one conditional write of the user's send state
before the provider is called, so a redelivered job, a concurrent duplicate or a crash never
produces a second message. A claim whose outcome is unknown stays claimed: never resent.

Nothing claimed is lost: a failure between the claim and the provider call (an offer, a render)
releases the claim before the error sends the job back to the queue. Outcomes, counters and next
steps are written as the provider answers, every OUTCOME_CHUNK sends (not in a `finally`, which a
Lambda timeout skips), so a kill loses at most one chunk's bookkeeping: those claims stay claimed,
never resent, and the sweeper (services/sweep.py) records them uncertain. With less than
MIN_TIME_LEFT_MS left, the job stops taking recipients and defers the rest to the next release.
"""

from winback.services.send.ports import SendDeps
from winback.services.send.run import send_job

__all__ = ["SendDeps", "send_job"]
