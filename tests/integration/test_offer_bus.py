"""adapters/offer_bus.py on moto: a grant is recorded once and reaches the bus at least once, with a stable id."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from moto import mock_aws

from tests.integration.helpers import create_keyed_table, fake_aws_env
from winback.adapters import clients
from winback.adapters.offer_bus import OfferBus, grant_id, grant_key
from winback.config.incentives import OfferIncentive
from winback.models.delivery import OfferNotPublished
from winback.runtime.deps import reset

TABLE = "messaging"
BUS = "winback-offers"
NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
EPISODE = "2026-01-15T00:00:00+00:00"
DOUBLE_POINTS = OfferIncentive(kind="points_multiplier", value=Decimal("2.5"), description="Points x2.5 this week")


@dataclass
class Env:
    bus: OfferBus
    queue_url: str

    def received(self) -> list[dict[str, Any]]:
        sqs = boto3.client("sqs")
        events: list[dict[str, Any]] = []
        while True:
            reply = sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0)
            messages = reply.get("Messages", [])
            if not messages:
                return events
            for message in messages:
                events.append(json.loads(message["Body"]))
                sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])


def create_bus_with_queue_target() -> str:
    """The bus, and a rule sending its OfferGranted events to a queue the test can read."""
    events = boto3.client("events")
    sqs = boto3.client("sqs")
    events.create_event_bus(Name=BUS)
    queue_url = sqs.create_queue(QueueName="granted")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events.put_rule(
        Name="offers-to-queue",
        EventBusName=BUS,
        EventPattern=json.dumps({"source": ["winback"], "detail-type": ["OfferGranted"]}),
    )
    events.put_targets(Rule="offers-to-queue", EventBusName=BUS, Targets=[{"Id": "queue", "Arn": queue_arn}])
    return queue_url


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    fake_aws_env(monkeypatch)
    with mock_aws():
        reset()
        create_keyed_table(TABLE)
        yield
        reset()


@pytest.fixture
def env(aws: None) -> Env:
    return Env(OfferBus(BUS, TABLE), create_bus_with_queue_target())


def grant(bus: OfferBus, now: datetime = NOW, episode: str = EPISODE) -> bool:
    return bus.grant("u-1", "dormant-offer", 0, episode, DOUBLE_POINTS, now)


def record() -> dict[str, Any]:
    key = {k: {"S": v} for k, v in grant_key("u-1", "dormant-offer", 0, EPISODE).items()}
    item: dict[str, Any] = boto3.client("dynamodb").get_item(TableName=TABLE, Key=key)["Item"]
    return item


def test_grant_publishes_offer_granted_event(env: Env) -> None:
    assert grant(env.bus) is True
    (event,) = env.received()
    assert event["source"] == "winback"
    assert event["detail-type"] == "OfferGranted"
    assert event["detail"] == {
        "user_id": "u-1",
        "campaign_id": "dormant-offer",
        "step": 0,
        "kind": "points_multiplier",
        "value": "2.5",
        "description": "Points x2.5 this week",
        "granted_at": NOW.isoformat(),
        "grant_id": grant_id("u-1", "dormant-offer", 0, EPISODE),
    }
    assert record()["published"] == {"BOOL": True}


def test_granting_again_records_and_publishes_nothing(env: Env) -> None:
    assert grant(env.bus) is True
    assert grant(env.bus, now=NOW + timedelta(minutes=5)) is False
    assert len(env.received()) == 1
    assert record()["granted_at"] == {"S": NOW.isoformat()}


def test_a_new_episode_is_a_new_grant_with_its_own_id(env: Env) -> None:
    grant(env.bus)
    assert grant(env.bus, episode="2026-06-01T00:00:00+00:00") is True
    ids = {e["detail"]["grant_id"] for e in env.received()}
    assert len(ids) == 2


def test_refused_event_stays_unpublished_and_a_retry_publishes_it(env: Env) -> None:
    refused = {"FailedEntryCount": 1, "Entries": [{"ErrorCode": "InternalFailure", "ErrorMessage": "try again"}]}
    with Stubber(clients.events()) as stub:
        stub.add_response("put_events", refused)
        with pytest.raises(OfferNotPublished):
            grant(env.bus)
    assert record()["published"] == {"BOOL": False}
    assert env.received() == []

    assert grant(env.bus, now=NOW + timedelta(hours=1)) is True
    (event,) = env.received()
    # the retry announces the grant as first recorded: same id, same time
    assert event["detail"]["grant_id"] == grant_id("u-1", "dormant-offer", 0, EPISODE)
    assert event["detail"]["granted_at"] == NOW.isoformat()
    assert record()["published"] == {"BOOL": True}


def test_put_events_error_is_reported_and_retried_later(aws: None) -> None:
    bus = OfferBus(BUS, TABLE)
    with pytest.raises(OfferNotPublished):
        grant(bus)  # the bus does not exist yet
    assert record()["published"] == {"BOOL": False}
    env = Env(bus, create_bus_with_queue_target())
    assert grant(bus) is True
    assert len(env.received()) == 1
