"""Integration fixtures: moto in-process, with every table, queue, topic and secret created FROM
template.yaml (tooling/winback_dev/stack.py), and the real handlers called with real-shaped events."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from aws_lambda_powertools.utilities import parameters
from moto import mock_aws

from tests.integration.helpers import fake_aws_env
from winback.adapters import clients
from winback.config.loader import load_program
from winback.config.settings import get_settings
from winback_dev.handlers import FUNCTIONS, handler, load_module
from winback_dev.lambda_events import FakeContext
from winback_dev.runner import LocalRunner
from winback_dev.stack import StackResources, provision

SENDER = "winback@shop.example.com"


def reset_caches() -> None:
    clients.reset()
    get_settings.cache_clear()
    load_program.cache_clear()
    parameters.clear_caches()  # type: ignore[no-untyped-call]
    for name in FUNCTIONS:
        module = load_module(name)
        for attr in ("_deps", "_apply_once"):
            cached = getattr(module, attr, None)
            if cached is not None:
                cached.cache_clear()


@dataclass
class Stack:
    resources: StackResources
    webhook_secret: str
    unsubscribe_key: bytes
    runner: LocalRunner

    def invoke(self, function: str, event: dict[str, Any], **context: Any) -> Any:
        return handler(function)(event, FakeContext(function_name=function, **context))

    def table(self, logical_id: str) -> str:
        return self.resources.physical[logical_id]


@pytest.fixture
def stack(monkeypatch: pytest.MonkeyPatch) -> Iterator[Stack]:
    fake_aws_env(monkeypatch)
    monkeypatch.delenv("WINBACK_PROGRAM_PATH", raising=False)
    with mock_aws():
        reset_caches()
        resources = provision()
        for var, value in resources.env().items():
            monkeypatch.setenv(var, value)
        monkeypatch.setenv("PUBLIC_BASE_URL", "https://api.example.com")
        monkeypatch.setenv("SENDER_EMAIL", SENDER)
        boto3.client("sesv2").create_email_identity(EmailIdentity=SENDER)
        secrets = boto3.client("secretsmanager")
        webhook = secrets.get_secret_value(SecretId=resources.physical["WebhookSecret"])["SecretString"]
        unsubscribe = secrets.get_secret_value(SecretId=resources.physical["UnsubscribeSecret"])["SecretString"]
        yield Stack(resources, webhook, unsubscribe.encode(), LocalRunner(resources, webhook))
        reset_caches()
