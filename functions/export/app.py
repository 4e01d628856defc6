"""Weekly schedule: export the hashed identifiers of consented dormant users, one CSV per segment, to S3."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from winback.adapters.activity_store import ActivityStore
from winback.adapters.audience_sink import S3AudienceSink
from winback.config.loader import load_program
from winback.config.settings import get_settings
from winback.domain.clock import SystemClock
from winback.models.profile import Profile
from winback.runtime.observability import logger, metrics, tracer
from winback.runtime.scheduled import scheduled_time
from winback.services.audience_export import export_audiences

EXPORT_PREFIX = "audiences"


def _audience_bucket() -> str:
    bucket = get_settings().audience_bucket
    if not bucket:
        raise RuntimeError("AUDIENCE_BUCKET is not set")
    return bucket


def _segment(profile: Profile) -> str | None:
    """The user's segment in their current win-back (RFM group); tier-less users are not exported."""
    if profile.tier is None:
        return None
    a = profile.assignment
    return a.segment if a is not None and a.tier == profile.tier else profile.tier


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    settings = get_settings()
    program = load_program(settings.program_path)
    as_of = scheduled_time(event, SystemClock())
    result = export_audiences(
        ActivityStore(settings.activity_table),
        S3AudienceSink(_audience_bucket(), EXPORT_PREFIX).run,
        _segment,
        {tier.name for tier in program.dormancy.tiers},
        run_id=f"export-{as_of:%Y%m%dT%H%M%SZ}",
        now=SystemClock().now(),
    )
    metrics.add_metric(name="AudienceUsersExported", unit=MetricUnit.Count, value=sum(result.counts.values()))
    logger.info(
        "audiences exported",
        extra={
            "run_id": result.run_id,
            "manifest": result.manifest_key,
            "segments": result.counts,
            "tally": dict(result.tally),
        },
    )
    return {"run_id": result.run_id, "manifest_key": result.manifest_key, "segments": result.counts}
