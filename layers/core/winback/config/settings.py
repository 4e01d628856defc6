"""Deployment settings: resource names and endpoints, read from the function environment.

template.yaml sets these variables on every function; the local runner and tests set them from
the stack they provisioned on moto. Nothing here holds a secret: secrets are read by name.
"""

from __future__ import annotations

import os
import tempfile
from functools import cache
from pathlib import Path

from pydantic import BaseModel, Field


class Settings(BaseModel):
    activity_table: str = Field(alias="ACTIVITY_TABLE")
    suppression_table: str = Field(alias="SUPPRESSION_TABLE")
    messaging_table: str = Field(alias="MESSAGING_TABLE")
    deferral_table: str = Field("", alias="DEFERRAL_TABLE")
    incentive_table: str = Field("", alias="INCENTIVE_TABLE")
    idempotency_table: str = Field("", alias="IDEMPOTENCY_TABLE")
    scan_queue_url: str = Field("", alias="SCAN_QUEUE_URL")
    send_queue_url: str = Field("", alias="SEND_QUEUE_URL")
    webhook_secret_name: str = Field("", alias="WEBHOOK_SECRET_NAME")
    unsubscribe_secret_name: str = Field("", alias="UNSUBSCRIBE_SECRET_NAME")
    segment_secret_name: str = Field("", alias="SEGMENT_SECRET_NAME")
    public_base_url: str = Field("http://localhost:3000", alias="PUBLIC_BASE_URL")
    sender_email: str = Field("noreply@example.com", alias="SENDER_EMAIL")
    ses_configuration_set: str = Field("", alias="SES_CONFIGURATION_SET")
    # Development and tests: the program file the functions read instead of the published version.
    program_path: str = Field("", alias="WINBACK_PROGRAM_PATH")
    # The published program versions (runtime/program_source.py); empty: the layer's program.yaml.
    program_bucket: str = Field("", alias="PROGRAM_BUCKET")
    # Where a published version's templates are written to be rendered from (Lambda: /tmp).
    program_cache_dir: str = Field(str(Path(tempfile.gettempdir()) / "winback-program"), alias="PROGRAM_CACHE_DIR")
    offers_bus_name: str = Field("", alias="OFFERS_BUS_NAME")
    audience_bucket: str = Field("", alias="AUDIENCE_BUCKET")
    # The brand the unsubscribe and reason pages name when program.yaml cannot be loaded.
    brand_name: str = Field("us", alias="BRAND_NAME")
    # Honour suppression entries stored before addresses were hashed; false once
    # `winback migrate-suppression` has run.
    suppression_plain_lookup: bool = Field(True, alias="SUPPRESSION_PLAIN_LOOKUP")
    # A profile expires (DynamoDB TTL) this many days after the user was last seen; 0: never.
    profile_ttl_days: int = Field(0, ge=0, alias="PROFILE_TTL_DAYS")
    # How far in the future an event's occurred_at may be (clocks of upstream systems drift).
    clock_skew_seconds: int = Field(300, ge=0, alias="CLOCK_SKEW_SECONDS")
    backfill_bucket: str = Field("", alias="BACKFILL_BUCKET")
    # ErasureStateMachine, which runs an accepted erasure's two passes ("": the local runner plays it).
    erasure_state_machine_arn: str = Field("", alias="ERASURE_STATE_MACHINE_ARN")
    # The send queue's maximum concurrency: each send worker paces itself to its share of the rate.
    send_max_concurrency: int = Field(2, ge=1, alias="SEND_MAX_CONCURRENCY")


@cache
def get_settings() -> Settings:
    """Settings of this container; read once, since the environment of a Lambda never changes."""
    return Settings.model_validate(dict(os.environ))
