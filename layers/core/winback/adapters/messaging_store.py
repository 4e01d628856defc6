"""MessagingTable (pk, sk): send state per user, outcomes, feedback counters, campaign stats.

Key design (also in docs/data.md):
  user#<user_id>     sendstate              the ledger {send key: claimed at} and cap slots
                                            {channel or "all": {send key: sent at}}, version
                                            `v`; one conditional write claims a send and its
                                            cap slots (the channel's, and `all`'s if capped),
                                            keeps the claim's note in `claims` {send key: note}
                                            (kept SWEEP_LOOKBACK) and sets `claim_shard` and
                                            `claimed_at` (epoch ms), the keys of the sparse
                                            `claims` index the sweeper reads (claim_index.py)
  user#<user_id>     msg#<send key>         what happened: sent (provider message id), failed, or
                                            uncertain (the provider's answer was lost; the sweeper
                                            writes it for a claim left without an outcome); or
                                            `released`: the claim is to be given back (sweeper)
  user#<user_id>     accepted#<send key>    SES's `Send` event for the message (its message id):
                                            the sweeper books such a claim sent, not uncertain
  smsid#<message id> sms                    a sent text's experiment cell, found by the message id
                                            SNS's delivery-status log names (adapters/sms_lookup.py)
  address#sha256#<h> softbounce             transient bounces seen (feedback ids), keyed by the
                                            address's hash as SuppressionTable keys it (no plain
                                            address in a key; before 2026-12-07: address#<address>)
  stats#<campaign>   cell#<step|->#<arm>#<segment>  counters per experiment cell, added as things
                                            happen: assigned, reactivated, revenue (step -); sent,
                                            suppressed, capped, delivered, bounced... (per step)
  stats#<campaign>   totals                 emails sent, bounced, complained: what auto-pause watches
  pause#<campaign>   state                  present while the campaign's sending is paused
  once#<kind>#<id>   seen                   a fact already counted (a feedback id), with TTL
  run#<run_id>       scan#<segment>#<page>  what each scan job of a run found (scanned, per tier...)
  sweep#claims       shard#<n>              where the sweeper stopped in each shard of the index
A send key is `<campaign>#<step>#<episode>` (winback.models.send_state.send_key): one message per
campaign step and dormancy episode.
"""

from __future__ import annotations

import random
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from winback.adapters import clients
from winback.adapters.deferral_store import shard_of
from winback.adapters.dynamo import conditional_failed, error_code, from_av, put_new, to_av
from winback.adapters.sms_lookup import sms_cell_from_item, sms_lookup_key
from winback.domain.journey.addresses import hashed_key
from winback.models.allocation import Allocation
from winback.models.erasure import ERASED_STATE
from winback.models.send_state import LEDGER_TTL, SWEEP_LOOKBACK, Claim, ClaimNote, Outcome, SendState, SmsCell

STATE_SK = "sendstate"
CLAIMS_INDEX = "claims"
# Shards of the `claims` index: its writes and the sweeper's reads spread over this many partition
# keys. May grow, never shrink, while send states exist (a shard beyond the count is not read).
CLAIM_SHARDS = 8
ALLOCATION_PREFIX = "allocation#"
# Tries of a counter's ADD that met a transaction writing the same counter (a send job's bookkeeping).
CONFLICT_ATTEMPTS = 5
# How long SES's `Send` event for a message is kept: long enough for the sweeper to read it.
ACCEPTED_KEEP = SWEEP_LOOKBACK + timedelta(days=1)


def note_item(note: ClaimNote) -> dict[str, Any]:
    item: dict[str, Any] = {
        "at": note.at,
        "cell": f"{note.arm}|{note.segment}",
        "run": note.run_id,
        "tier": note.tier,
        "ch": note.channel,
        "tpl": note.template,
    }
    if note.not_after is not None:
        item["na"] = note.not_after
    return item


def note_from_item(item: Mapping[str, Any]) -> ClaimNote:
    arm, _, segment = str(item.get("cell", "-|-")).partition("|")
    not_after = item.get("na")
    return ClaimNote(
        at=int(item["at"]),
        arm=arm,
        segment=segment,
        run_id=str(item.get("run", "")),
        tier=str(item.get("tier", "")),
        channel=str(item.get("ch", "")),
        template=str(item.get("tpl", "")),
        not_after=None if not_after is None else str(not_after),
    )


def send_state_from_item(item: Mapping[str, Any] | None) -> SendState:
    """The send state a stored `sendstate` item holds (None: nothing stored yet)."""
    if not item:
        return SendState()
    if ERASED_STATE in item:
        return SendState(erased=True)
    return SendState(
        version=int(item.get("v", 0)),
        ledger={k: int(v) for k, v in item.get("ledger", {}).items()},
        caps={ch: {k: int(v) for k, v in slots.items()} for ch, slots in item.get("caps", {}).items()},
        notes={k: note_from_item(v) for k, v in item.get("claims", {}).items()},
    )


def send_state_item(user_id: str, state: SendState, claimed_at: datetime | None) -> dict[str, Any]:
    """The `sendstate` item of a state; with the `claims` index keys when it was claimed at `claimed_at`."""
    item: dict[str, Any] = {
        **state_key(user_id),
        "v": state.version,
        "ledger": state.ledger,
        "caps": state.caps,
        "claims": {k: note_item(n) for k, n in state.notes.items()},
    }
    if claimed_at is not None:
        item["claim_shard"] = shard_of(user_id, CLAIM_SHARDS)
        item["claimed_at"] = int(claimed_at.timestamp() * 1000)
    return item


def accepted_key(user_id: str, key: str) -> dict[str, str]:
    return {"pk": f"user#{user_id}", "sk": f"accepted#{key}"}


def state_key(user_id: str) -> dict[str, str]:
    return {"pk": f"user#{user_id}", "sk": STATE_SK}


def outcome_key(user_id: str, key: str) -> dict[str, str]:
    return {"pk": f"user#{user_id}", "sk": f"msg#{key}"}


def outcome_item(outcome: Outcome) -> dict[str, Any]:
    """The `user#<id>` / `msg#<send key>` item of an outcome (kept LEDGER_TTL, like the ledger entry)."""
    optional = {
        "run_id": outcome.run_id,
        "channel": outcome.channel,
        "template": outcome.template,
        "program_version": outcome.program_version,
    }
    item: dict[str, Any] = {
        **outcome_key(outcome.user_id, outcome.key),
        "campaign_id": outcome.campaign_id,
        "step": outcome.step,
        "arm": outcome.arm,
        "segment": outcome.segment,
        **{k: v for k, v in optional.items() if v is not None},
        "at": outcome.at.isoformat(),
        "expires_at": _epoch(outcome.at + LEDGER_TTL),
        "status": str(outcome.status),
    }
    if outcome.message_id is not None:
        item["message_id"] = outcome.message_id
    if outcome.error is not None:
        item["error"] = outcome.error
    return item


@dataclass(frozen=True)
class CellCounts:
    step: int | None
    arm: str
    segment: str
    counts: dict[str, int]


def cell_key(step: int | None, arm: str, segment: str) -> str:
    return f"cell#{'-' if step is None else step}#{arm}#{segment}"


def soft_bounce_pk(address: str) -> str:
    """Guard: the soft-bounce counter's partition names the address by its hash (the suppression
    key's), never in plain text."""
    return f"address#{hashed_key(address)}"


def pause_key(campaign_id: str) -> dict[str, str]:
    return {"pk": f"pause#{campaign_id}", "sk": "state"}


def _epoch(at: datetime) -> int:
    return int(at.timestamp())


class MessagingStore:
    def __init__(self, table: str) -> None:
        self.table = table

    def read_state(self, user_id: str) -> SendState:
        reply = clients.dynamodb().get_item(TableName=self.table, Key=to_av(state_key(user_id)), ConsistentRead=True)
        return send_state_from_item(from_av(reply["Item"]) if "Item" in reply else None)

    def claim(
        self,
        user_id: str,
        key: str,
        channel: str,
        state: SendState,
        live_slots: Mapping[str, int],
        now: datetime,
        note: ClaimNote,
        also: Mapping[str, Mapping[str, int]] | None = None,
    ) -> Claim:
        """Record the send in the ledger, take a cap slot and keep the claim's note, if the state is
        still as read; the same write files the state in the `claims` index under this claim's time.

        `live_slots` are the channel's slots still inside the cap window; older ones are dropped here.
        `also`: other caps the send takes a slot of (`all`, over every channel), their live slots.
        """
        claimed = state.claimed(key, channel, live_slots, now, note, also)
        item = send_state_item(user_id, claimed, now)
        condition: dict[str, Any] = (
            {"ConditionExpression": "attribute_not_exists(pk)"}
            if state.version == 0
            else {"ConditionExpression": "v = :v", "ExpressionAttributeValues": to_av({":v": state.version})}
        )
        try:
            clients.dynamodb().put_item(TableName=self.table, Item=to_av(item), **condition)
        except ClientError as error:
            if conditional_failed(error):
                return Claim.STATE_CHANGED
            raise
        return Claim.CLAIMED

    def release(self, user_id: str, key: str, channel: str, also: Sequence[str] = ()) -> None:
        """A send that certainly did not happen: forget its ledger entry and give the cap slots back
        (the channel's and those of `also`, the other caps the claim took a slot of)."""
        extra = "".join(f", caps.#also{i}.#key" for i in range(len(also)))
        try:
            clients.dynamodb().update_item(
                TableName=self.table,
                Key=to_av(state_key(user_id)),
                UpdateExpression=f"REMOVE ledger.#key, caps.#channel.#key{extra}, claims.#key SET v = v + :one",
                # An erased send state has nothing to give back (and must not become a claimable one).
                ConditionExpression="attribute_not_exists(#erased)",
                ExpressionAttributeNames={"#key": key, "#channel": channel, "#erased": ERASED_STATE}
                | {f"#also{i}": s for i, s in enumerate(also)},
                ExpressionAttributeValues=to_av({":one": 1}),
            )
        except ClientError as error:
            if not conditional_failed(error):
                raise

    def record_accepted(self, user_id: str, key: str, message_id: str, now: datetime) -> None:
        """SES accepted the message of this send (its `Send` event): what the sweeper needs to book a
        claim left without an outcome sent, and give its user the next step. Repeating it is harmless."""
        item = {
            **accepted_key(user_id, key),
            "message_id": message_id,
            "at": now.isoformat(),
            "expires_at": _epoch(now + ACCEPTED_KEEP),
        }
        clients.dynamodb().put_item(TableName=self.table, Item=to_av(item))

    def put_scan_figures(self, run_id: str, segment: int, first_page: int, counts: Mapping[str, int]) -> None:
        """What one scan job of a run found; overwritten, not added, so a re-run of a run counts once."""
        item = {"pk": f"run#{run_id}", "sk": f"scan#{segment:07d}#{first_page:07d}", **counts}
        clients.dynamodb().put_item(TableName=self.table, Item=to_av(item))

    def run_figures(self, run_id: str) -> dict[str, int]:
        """The scan figures of a run, summed over its segments and continuations."""
        paginator = clients.dynamodb().get_paginator("query")
        total: dict[str, int] = {}
        for page in paginator.paginate(
            TableName=self.table,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues=to_av({":pk": f"run#{run_id}"}),
        ):
            for raw in page.get("Items", []):
                for k, v in from_av(raw).items():
                    if k not in ("pk", "sk"):
                        total[k] = total.get(k, 0) + int(v)
        return total

    def _add(self, key: Mapping[str, str], counts: Mapping[str, int], return_all: bool = False) -> dict[str, Any]:
        nonzero = {k: v for k, v in counts.items() if v}
        if not nonzero:
            return {}
        names = {f"#c{i}": k for i, k in enumerate(nonzero)}
        values = {f":c{i}": v for i, v in enumerate(nonzero.values())}
        for attempt in range(CONFLICT_ATTEMPTS):
            try:
                reply = clients.dynamodb().update_item(
                    TableName=self.table,
                    Key=to_av(key),
                    UpdateExpression="ADD " + ", ".join(f"#c{i} :c{i}" for i in range(len(nonzero))),
                    ExpressionAttributeNames=names,
                    ExpressionAttributeValues=to_av(values),
                    ReturnValues="ALL_NEW" if return_all else "NONE",
                )
            except ClientError as error:
                # A send job's or the sweeper's transaction was writing this counter: nothing was
                # added, so adding again is safe (the SDK does not retry this one).
                if error_code(error) != "TransactionConflictException" or attempt == CONFLICT_ATTEMPTS - 1:
                    raise
                time.sleep(random.uniform(0, 0.05 * 2**attempt))  # noqa: S311 - jitter, not a secret
            else:
                return from_av(reply.get("Attributes", {}))
        return {}

    def counters(self, campaign_id: str) -> dict[int, dict[str, int]]:
        """What the sender counted per step of a campaign, summed over arms and segments."""
        out: dict[int, dict[str, int]] = {}
        for cell in self.cells(campaign_id):
            if cell.step is not None:
                step = out.setdefault(cell.step, {})
                for name, value in cell.counts.items():
                    step[name] = step.get(name, 0) + value
        return out

    def add_cell(self, campaign_id: str, step: int | None, arm: str, segment: str, counts: Mapping[str, int]) -> None:
        """Add to the experiment counters of one (step, arm, segment); step None = campaign level."""
        self._add({"pk": f"stats#{campaign_id}", "sk": cell_key(step, arm, segment)}, counts)

    def cells(self, campaign_id: str) -> list[CellCounts]:
        cells: list[CellCounts] = []
        for item in self._stats_items(campaign_id, "cell#"):
            _, step, arm, segment = str(item.pop("sk")).split("#", 3)
            counts = {k: int(v) for k, v in item.items()}
            cells.append(CellCounts(None if step == "-" else int(step), arm, segment, counts))
        return cells

    def add_totals(self, campaign_id: str, counts: Mapping[str, int]) -> dict[str, int]:
        """Add to the campaign's running totals and return them all, in the same call."""
        nonzero = {k: v for k, v in counts.items() if v}
        if not nonzero:
            return {}
        reply = self._add({"pk": f"stats#{campaign_id}", "sk": "totals"}, nonzero, return_all=True)
        return {k: int(v) for k, v in reply.items() if k not in ("pk", "sk")}

    def pause(self, campaign_id: str, reason: str, now: datetime) -> bool:
        """Pause the campaign's sending; True if this call paused it (it was running)."""
        return put_new(self.table, {**pause_key(campaign_id), "reason": reason, "at": now.isoformat()})

    def resume(self, campaign_id: str) -> bool:
        """Resume a paused campaign; True if it was paused. The rates start again from zero: the
        operator has dealt with the cause (a stale list, a bad template), and the old totals would
        pause the campaign again at its first bounce."""
        reply = clients.dynamodb().delete_item(
            TableName=self.table, Key=to_av(pause_key(campaign_id)), ReturnValues="ALL_OLD"
        )
        if "Attributes" not in reply:
            return False
        clients.dynamodb().delete_item(TableName=self.table, Key=to_av({"pk": f"stats#{campaign_id}", "sk": "totals"}))
        return True

    def paused_reason(self, campaign_id: str) -> str | None:
        reply = clients.dynamodb().get_item(
            TableName=self.table, Key=to_av(pause_key(campaign_id)), ConsistentRead=True
        )
        return str(from_av(reply["Item"])["reason"]) if "Item" in reply else None

    def first_time(self, kind: str, fact_id: str, now: datetime, keep: timedelta = timedelta(days=14)) -> bool:
        """True the first time (kind, fact_id) is seen: a fact counted once however often it arrives."""
        return put_new(self.table, {"pk": f"once#{kind}#{fact_id}", "sk": "seen", "expires_at": _epoch(now + keep)})

    def _stats_items(self, campaign_id: str, sk_prefix: str) -> list[dict[str, Any]]:
        paginator = clients.dynamodb().get_paginator("query")
        items: list[dict[str, Any]] = []
        for page in paginator.paginate(
            TableName=self.table,
            KeyConditionExpression="pk = :pk AND begins_with(sk, :prefix)",
            ExpressionAttributeValues=to_av({":pk": f"stats#{campaign_id}", ":prefix": sk_prefix}),
        ):
            for raw in page.get("Items", []):
                item = from_av(raw)
                item.pop("pk")
                items.append(item)
        return items

    def count_soft_bounce(self, address: str, feedback_id: str, now: datetime, window: timedelta) -> int | None:
        """Count one transient bounce for `address` (a suppression key, plain or hashed); None when this
        feedback id was counted before."""
        try:
            reply = clients.dynamodb().update_item(
                TableName=self.table,
                Key=to_av({"pk": soft_bounce_pk(address), "sk": "softbounce"}),
                UpdateExpression="ADD bounces :one, seen :fid SET expires_at = :exp",
                ConditionExpression="attribute_not_exists(seen) OR NOT contains(seen, :fid_s)",
                ExpressionAttributeValues=to_av(
                    {":one": 1, ":fid": {feedback_id}, ":fid_s": feedback_id, ":exp": _epoch(now + window)}
                ),
                ReturnValues="UPDATED_NEW",
            )
        except ClientError as error:
            if conditional_failed(error):
                return None
            raise
        return int(from_av(reply["Attributes"])["bounces"])

    def sms_cell(self, message_id: str) -> SmsCell | None:
        """The experiment cell of a text the sender sent (None: not a campaign text, or older than
        sms_lookup.KEEP)."""
        reply = clients.dynamodb().get_item(TableName=self.table, Key=to_av(sms_lookup_key(message_id)))
        return sms_cell_from_item(from_av(reply["Item"])) if "Item" in reply else None

    def put_allocation(self, allocation: Allocation) -> None:
        """Keep an adaptive campaign's decision of the day (sk `allocation#<date>`: a rerun overwrites)."""
        item = {
            "pk": f"stats#{allocation.campaign_id}",
            "sk": f"{ALLOCATION_PREFIX}{allocation.day.isoformat()}",
            "allocation": allocation.model_dump_json(),
        }
        clients.dynamodb().put_item(TableName=self.table, Item=to_av(item))

    def allocations(self, campaign_id: str) -> list[Allocation]:
        """An adaptive campaign's daily decisions, oldest first: its allocation over time."""
        items = self._stats_items(campaign_id, ALLOCATION_PREFIX)
        return [Allocation.model_validate_json(item["allocation"]) for item in sorted(items, key=lambda i: i["sk"])]
