"""Send: one step of a campaign's journey for each user of a packed job, guarded, delivered once.

The job goes through small steps, each reading the SendContext its users' rows were parsed into:
  load context (ports.ContextLoader: one batch read) → guards (guards.py; run.py holds the
  campaign-level ones: paused, deadline) → pace ("may I send now?", ports.Pacer) → claim (claim.py)
  → deliver (deliver.py, through `deps.channels[channel].send(message)`) → record (record.py) →
  next step (next_step.py).

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

from winback.services.send.deliver import SendThrottled
from winback.services.send.ports import SendDeps
from winback.services.send.run import send_job

__all__ = ["SendDeps", "SendThrottled", "send_job"]
