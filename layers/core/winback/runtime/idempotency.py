"""Ingest's idempotency: a webhook id is applied once within 24 hours (Powertools Idempotency on
DynamoDB, keyed on the upstream's webhook id, never on anything a retry changes)."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any, Protocol, cast

from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)

from winback.adapters import clients
from winback.models.events import ActivityEvent

IDEMPOTENCY_CONFIG = IdempotencyConfig(event_key_jmespath="webhook_id", expires_after_seconds=24 * 3600)


class ApplyWebhook(Protocol):
    def __call__(self, *, request: dict[str, str], events: list[ActivityEvent]) -> dict[str, Any]: ...


def _key_prefix() -> str:
    """The prefix the stored records have always had: Powertools derives it from the decorated
    function's module and name, which lived in functions/ingest/app.py (module `app` in Lambda). Keeping
    it lets a webhook retried across the deploy that moved the function here be recognised."""
    return f"{os.getenv('AWS_LAMBDA_FUNCTION_NAME', 'test-func')}.app._apply_once.<locals>.apply"


def idempotent_apply(table: str, apply: Callable[[list[ActivityEvent], str], dict[str, Any]]) -> ApplyWebhook:
    """`apply(events, webhook_id)`, run once per webhook id; a repeat returns the stored result."""
    persistence = DynamoDBPersistenceLayer(table_name=table, boto3_client=clients.dynamodb())

    @idempotent_function(  # type: ignore[untyped-decorator]
        data_keyword_argument="request",
        persistence_store=persistence,
        config=IDEMPOTENCY_CONFIG,
        key_prefix=_key_prefix(),
    )
    def once(*, request: dict[str, str], events: list[ActivityEvent]) -> dict[str, Any]:
        return apply(events, request["webhook_id"])

    return cast(ApplyWebhook, once)
