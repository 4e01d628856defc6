"""boto3 clients, created once per container on first use.

Lazy creation lets a test start moto before any client exists; boto3 itself honours
AWS_ENDPOINT_URL, so the same code talks to AWS, a moto server, or moto in-process.
Store and queue calls are retried by botocore's standard mode (exponential backoff, jitter): they
are idempotent or conditional. Provider calls (SES SendEmail, SNS Publish) are not: a retry after a
5xx, a timeout or a dropped connection may deliver the same message twice, so their clients make
exactly one attempt and the channel decides what an error means (adapters/channels.py).
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_events import EventBridgeClient
    from mypy_boto3_personalize_runtime import PersonalizeRuntimeClient
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_sesv2 import SESV2Client
    from mypy_boto3_sns import SNSClient
    from mypy_boto3_sqs import SQSClient

RETRIES = Config(retries={"mode": "standard", "max_attempts": 6}, connect_timeout=5, read_timeout=20)
# One attempt, and timeouts that fit many sends into the send function's 60 s (which also watches
# its remaining time before each provider call).
PROVIDER = Config(retries={"mode": "standard", "total_max_attempts": 1}, connect_timeout=3, read_timeout=10)
# The program check (once a minute, on the way into a send job or a page) is small, and a slow answer
# costs less than a held request: the function keeps the version it has (runtime/program_source.py).
PROGRAM_CHECK = Config(retries={"mode": "standard", "max_attempts": 2}, connect_timeout=2, read_timeout=3)


@cache
def _client(service: str) -> Any:
    return boto3.session.Session().client(service, config=RETRIES)  # type: ignore[call-overload]


@cache
def _provider_client(service: str) -> Any:
    return boto3.session.Session().client(service, config=PROVIDER)  # type: ignore[call-overload]


def dynamodb() -> DynamoDBClient:
    client: DynamoDBClient = _client("dynamodb")
    return client


def sqs() -> SQSClient:
    client: SQSClient = _client("sqs")
    return client


def sns() -> SNSClient:
    """SNS for publishing to people (SMS, mobile push): one attempt per call, never retried blindly."""
    client: SNSClient = _provider_client("sns")
    return client


def sesv2() -> SESV2Client:
    """SES v2 for sending email: one attempt per call, never retried blindly."""
    client: SESV2Client = _provider_client("sesv2")
    return client


def s3() -> S3Client:
    client: S3Client = _client("s3")
    return client


@cache
def program_s3() -> S3Client:
    """S3 for reading the published program: short timeouts, one retry."""
    client: S3Client = boto3.session.Session().client("s3", config=PROGRAM_CHECK)
    return client


def events() -> EventBridgeClient:
    client: EventBridgeClient = _client("events")
    return client


def personalize_runtime() -> PersonalizeRuntimeClient:
    client: PersonalizeRuntimeClient = _client("personalize-runtime")
    return client


def stepfunctions() -> Any:
    """Step Functions (starting an erasure's state machine); untyped: the project pins no stubs for it."""
    return _client("stepfunctions")


def reset() -> None:
    """Forget every client (tests that restart moto call this)."""
    _client.cache_clear()
    _provider_client.cache_clear()
    program_s3.cache_clear()
