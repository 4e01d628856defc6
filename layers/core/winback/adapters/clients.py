"""boto3 clients, created once per container on first use.

Lazy creation lets a test start moto before any client exists; boto3 itself honours
AWS_ENDPOINT_URL, so the same code talks to AWS, a moto server, or moto in-process.
Throttling is retried by botocore's standard mode with exponential backoff and jitter.
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


@cache
def _client(service: str) -> Any:
    return boto3.session.Session().client(service, config=RETRIES)  # type: ignore[call-overload]


def dynamodb() -> DynamoDBClient:
    client: DynamoDBClient = _client("dynamodb")
    return client


def sqs() -> SQSClient:
    client: SQSClient = _client("sqs")
    return client


def sns() -> SNSClient:
    client: SNSClient = _client("sns")
    return client


def sesv2() -> SESV2Client:
    client: SESV2Client = _client("sesv2")
    return client


def s3() -> S3Client:
    client: S3Client = _client("s3")
    return client


def events() -> EventBridgeClient:
    client: EventBridgeClient = _client("events")
    return client


def personalize_runtime() -> PersonalizeRuntimeClient:
    client: PersonalizeRuntimeClient = _client("personalize-runtime")
    return client


def reset() -> None:
    """Forget every client (tests that restart moto call this)."""
    _client.cache_clear()
