"""Hourly schedule: finish the claims made since the last run that their send job left without an
outcome (sent when SES reported the message accepted, else uncertain) or could not give back."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from winback.runtime.deps import deps
from winback.runtime.observability import emit_counts, heartbeat, logger, metrics, tracer
from winback.runtime.scheduled import scheduled_time
from winback.services.send.sweep import SweepDeps, sweep_claims

if TYPE_CHECKING:
    from winback.config.campaigns import Campaign

# Stop before a claim when less than this is left; the next hourly run continues from the cursor.
TIME_MARGIN_MS = 15_000


def _campaign(campaign_id: str) -> Campaign | None:
    """The program's campaign, loaded only when a swept claim was sent (its next step)."""
    return next((c for c in deps().program.campaigns if c.id == campaign_id), None)


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
@heartbeat
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    d = deps()
    as_of = scheduled_time(event, d.clock)
    totals = sweep_claims(
        SweepDeps(d.claim_index, d.send_records, _campaign),
        as_of,
        keep_going=lambda: context.get_remaining_time_in_millis() > TIME_MARGIN_MS,
    )
    emit_counts({name: totals[name] for name in ("uncertain", "sent", "sent_email", "released")}, "Sweep")
    summary = {"as_of": as_of.isoformat(), **totals}
    logger.info("claims swept", extra=summary)
    return summary
