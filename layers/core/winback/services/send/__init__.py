"""Send: one step of a campaign's journey for each user of a packed job, guarded, delivered once.

The job goes through small steps (run.py), each taking the job's JobRun (job_run.py: the job, its
campaign, the program, the ports, the context read for its users, the tally and the log of what is
not yet written) and the one candidate it works on:
  load context (ports.ContextLoader: one batch read) → guards (guards.py; run.py holds the
  campaign-level ones: paused, deadline) → pace ("may I send now?", ports.Pacer; pacing.py) → claim
  (claim.py) → deliver (deliver.py: the message's content from content.py, then
  `deps.channels[channel].send(message)`) → record (record.py) → next step (next_step.py); and,
  hourly, the sweep (sweep.py) of the claims a job could not finish.
The package speaks the models' vocabulary (winback.models: send_state, coupons, delivery, outbound)
and reaches stores and channels only through its ports (ports.py).

Quiet hours, a full cap, a paused campaign or channel and pacing DEFER the message (DynamoDB,
released by the hourly schedule) rather than drop it, unless the step's deadline passes first.

The ledger entry and the cap slot are claimed in one conditional write of the user's send state
before the provider is called, so a redelivered job, a concurrent duplicate or a crash never
produces a second message. A claim whose outcome is unknown stays claimed: never resent.

Nothing claimed is lost: a failure between the claim and the provider call (an offer, a render),
or a throttle (which also defers the job's rest on the channel, pacing.py), gives the claim back
(claim.py `release`, retried with its own backoff; when the store still refuses, a `released`
record tells the sweeper to). Outcomes, the counters they add and next steps are written as the
provider answers, all or nothing, every OUTCOME_CHUNK sends (not in a `finally`, which a Lambda
timeout skips); an outcome only where its claim has no terminal record yet. A kill, or writes the
store keeps refusing, leave claims to the sweeper (sweep.py), which finishes each from the note the
claim keeps: sent when SES reported the message accepted, else uncertain, or given back and sent
later. With less than MIN_TIME_LEFT_MS left, the job stops taking recipients and defers the rest to
the next release.
"""

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from winback.services.send.ports import SendDeps
    from winback.services.send.run import send_job

__all__ = ["SendDeps", "send_job"]


def __getattr__(name: str) -> Any:
    """The package's names, imported when first asked for: the sweep function imports this package's
    light modules (sweep, record, next_step) without loading the renderer (jinja2) with `run`."""
    if name == "send_job":
        from winback.services.send.run import send_job

        return send_job
    if name == "SendDeps":
        from winback.services.send.ports import SendDeps

        return SendDeps
    raise AttributeError(name)
