"""The claim / release / outcome state machine (tests/fakes/claim_machine.py) over the real adapters on
moto, in a smaller run than over the in-memory world: MessagingStore's conditional claim and release,
SendRecords' conditional TransactWriteItems, the `claims` index and its cursor, and the release the
sweeper completes are what is tested. The store's refusals are injected around the adapters' calls."""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
from hypothesis import HealthCheck, settings
from hypothesis.stateful import run_state_machine_as_test

from tests.fakes.claim_machine import CAMPAIGN, ClaimMachine, Faults
from tests.integration.conftest import Stack
from tests.integration.helpers import dormant_profile
from winback.adapters.messaging_store import MessagingStore
from winback.adapters.sending_switch import SendingSwitch
from winback.config.settings import get_settings
from winback.models.bookkeeping import Bookkeeping
from winback.models.jobs import SendJob
from winback.models.outbound import Outbound
from winback.models.send_state import SendStatus
from winback.runtime.deps import deps
from winback.services.send.ports import SendDeps, Unpaced
from winback.services.send.sweep import SweepDeps
from winback.services.sending_switch import turn_sending_on
from winback_dev.memory.clock import ManualClock

NOW = datetime.now(UTC).replace(microsecond=0)
EPISODE = (NOW - timedelta(days=100)).isoformat()


@dataclasses.dataclass
class _Channel:
    send: Callable[[Outbound], str]


class _RefusingLedger(MessagingStore):
    """MessagingStore, with the releases the machine's faults refuse."""

    def __init__(self, table: str, world: MotoClaimWorld) -> None:
        super().__init__(table)
        self.world = world

    def release(self, user_id: str, key: str, channel: str, also: Sequence[str] = ()) -> None:
        self.world.faults.release()
        super().release(user_id, key, channel, also)


@dataclasses.dataclass
class _RefusingRecords:
    """SendRecords, with the writes the machine's faults refuse."""

    world: MotoClaimWorld

    def write(self, entry: Bookkeeping) -> frozenset[tuple[str, str]]:
        self.world.faults.write()
        return deps().send_records.write(entry)


def _empty(*logical_ids: str) -> None:
    """Every item of these tables gone: each example starts from nothing."""
    client = boto3.client("dynamodb")
    for table in logical_ids:
        described = client.describe_table(TableName=table)["Table"]
        keys = [k["AttributeName"] for k in described["KeySchema"]]
        for page in client.get_paginator("scan").paginate(TableName=table):
            for item in page["Items"]:
                client.delete_item(TableName=table, Key={k: item[k] for k in keys})


class MotoClaimWorld:
    def __init__(self) -> None:
        s = get_settings()
        _empty(s.activity_table, s.messaging_table, s.deferral_table, s.incentive_table)
        # Emptying MessagingTable took the stack's sending switch with it: on again, as the stack has it.
        turn_sending_on(SendingSwitch(s.messaging_table), NOW, "tests")
        self.clock = ManualClock(NOW)
        self.users = ["u0", "u1"]
        self.episode = EPISODE
        self.program = deps().program
        self.faults = Faults()
        for user in self.users:
            dormant_profile(user, NOW - timedelta(days=100))

    def send_deps(self, channel: Callable[[Outbound], str]) -> SendDeps:
        d = deps()
        return dataclasses.replace(
            d.send_deps,
            messaging=_RefusingLedger(d.messaging.table, self),
            records=_RefusingRecords(self),
            channels={"email": _Channel(channel)},
            clock=self.clock,
            pacer=Unpaced(),
            sleep=lambda _seconds: None,
        )

    def sweep_deps(self) -> SweepDeps:
        d = deps()
        return SweepDeps(d.claim_index, _RefusingRecords(self), lambda cid: d.program.campaign(cid))

    def record_accepted(self, user_id: str, key: str, message_id: str) -> None:
        deps().messaging.record_accepted(user_id, key, message_id, self.clock.now())

    def records(self) -> dict[tuple[str, str], SendStatus]:
        found: dict[tuple[str, str], SendStatus] = {}
        for user in self.users:
            reply = boto3.client("dynamodb").query(
                TableName=get_settings().messaging_table,
                KeyConditionExpression="pk = :pk AND begins_with(sk, :msg)",
                ExpressionAttributeValues={":pk": {"S": f"user#{user}"}, ":msg": {"S": "msg#"}},
                ConsistentRead=True,
            )
            for item in reply["Items"]:
                found[(user, item["sk"]["S"].removeprefix("msg#"))] = SendStatus(item["status"]["S"])
        return found

    def ledgers(self) -> dict[str, dict[str, int]]:
        return {u: deps().messaging.read_state(u).ledger for u in self.users}

    def counters(self) -> Counter[str]:
        counters = Counter(deps().messaging.counters(CAMPAIGN).get(0, {}))
        reply = boto3.client("dynamodb").get_item(
            TableName=get_settings().messaging_table,
            Key={"pk": {"S": f"stats#{CAMPAIGN}"}, "sk": {"S": "totals"}},
            ConsistentRead=True,
        )
        counters["sent_email"] = int(reply.get("Item", {}).get("sent_email", {}).get("N", 0))
        return counters

    def _parked(self) -> list[Any]:
        return list(deps().deferrals.iter_due(self.clock.now() + timedelta(days=60)))

    def next_step_users(self) -> set[str]:
        jobs = [SendJob.model_validate_json(p.body) for p in self._parked() if p.kind == "next_step"]
        return {r.user_id for job in jobs for r in job.recipients}

    def take_due(self) -> list[SendJob]:
        due = [p for p in deps().deferrals.iter_due(self.clock.now()) if p.kind != "next_step"]
        for parked in due:
            deps().deferrals.remove(parked)
        return [SendJob.model_validate_json(p.body) for p in due]


class MotoClaims(ClaimMachine):
    def make_world(self) -> MotoClaimWorld:
        return MotoClaimWorld()


def test_claims_end_once_on_the_real_adapters(stack: Stack) -> None:
    """The machine over moto: few examples (each a fresh set of tables), short runs."""
    run_state_machine_as_test(
        MotoClaims,
        settings=settings(
            max_examples=10,
            stateful_step_count=8,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
            database=None,
        ),
    )
