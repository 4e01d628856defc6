"""Integration fixtures: moto in-process, with every table, queue, topic and secret created FROM
template.yaml (tooling/winback_dev/stack.py), and the real handlers called with real-shaped events."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from moto import mock_aws

from tests.integration.helpers import fake_aws_env
from tests.integration.stub_account import aws_account  # noqa: F401 (a fixture the tests share)
from tests.integration.stub_ses import ses_endpoint  # noqa: F401 (a fixture the tests share)
from winback.adapters.sending_switch import SendingSwitch
from winback.runtime.deps import reset
from winback.services.sending_switch import turn_sending_on
from winback_dev.handlers import handler
from winback_dev.lambda_events import FakeContext
from winback_dev.runner import LocalRunner
from winback_dev.stack import StackResources, provision

SENDER = "winback@shop.example.com"


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
        reset()
        resources = provision()
        for var, value in resources.env().items():
            monkeypatch.setenv(var, value)
        monkeypatch.setenv("PUBLIC_BASE_URL", "https://api.example.com")
        monkeypatch.setenv("SENDER_EMAIL", SENDER)
        boto3.client("sesv2").create_email_identity(EmailIdentity=SENDER)
        # A new stack starts with sending off; the tests turn it on as `winback enable-sending` does.
        turn_sending_on(SendingSwitch(resources.physical["MessagingTable"]), datetime.now(UTC), "tests")
        secrets = boto3.client("secretsmanager")
        webhook = secrets.get_secret_value(SecretId=resources.physical["WebhookSecret"])["SecretString"]
        unsubscribe = secrets.get_secret_value(SecretId=resources.physical["UnsubscribeSecret"])["SecretString"]
        yield Stack(resources, webhook, unsubscribe.encode(), LocalRunner(resources, webhook))
        reset()
