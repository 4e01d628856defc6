"""Backfill writes: a user's profile and the marker of the batch that changed it, in one transaction.

The marker (MessagingTable `user#<id>` / `backfill#<batch id>`) is what makes a re-run or a retried
child batch exact: the profile and its marker are written together or not at all, and a marker
already there cancels the write. Several users go in one transaction (fewer calls); when one of
them cannot be written, none is, and each is then committed on its own.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from winback.adapters import clients
from winback.adapters.activity_store import profiles_of
from winback.adapters.dynamo import batch_get, error_code, to_av
from winback.models.erasure import ProfilesRead, erased_among, tombstone_key
from winback.models.profile import Profile


class Commit(enum.Enum):
    APPLIED = "applied"
    ALREADY_APPLIED = "already_applied"  # the batch's marker is there: a re-run or a retry
    CONFLICT = "conflict"  # the profile changed since it was read


# Users per TransactWriteItems (2 items each): moto caps a transaction at 25 items, AWS at 100.
USERS_PER_TRANSACTION = 12


@dataclass(frozen=True)
class Pending:
    """A user's merged profile, to be written if the stored one is still `expected_version`."""

    profile: Profile
    expected_version: int
    rows: int


def marker_key(user_id: str, batch_id: str) -> dict[str, str]:
    return {"pk": f"user#{user_id}", "sk": f"backfill#{batch_id}"}


class BackfillStore:
    def __init__(self, activity_table: str, messaging_table: str) -> None:
        self.activity_table = activity_table
        self.messaging_table = messaging_table

    def read(self, user_ids: Iterable[str], batch_id: str) -> tuple[dict[str, Profile], set[str]]:
        """The users' profiles and which of them already carry this batch (or were erased: their rows
        are dropped, services/privacy/tombstone.py), in one BatchGetItem per 100 keys."""
        users = list(user_ids)
        found = batch_get(
            {
                self.activity_table: [key for u in users for key in ({"user_id": u}, tombstone_key(u))],
                self.messaging_table: [marker_key(u, batch_id) for u in users],
            }
        )
        profiles = ProfilesRead(profiles_of(found[self.activity_table]))
        profiles.erased = erased_among(users, found[self.activity_table])
        marked = {str(item["pk"]).removeprefix("user#") for item in found[self.messaging_table]}
        return profiles, marked

    def _puts(self, entry: Pending, batch_id: str, at: str) -> list[dict[str, Any]]:
        if entry.expected_version == 0:
            condition, values = "attribute_not_exists(user_id)", {}
        else:
            condition, values = "version = :expected", {":expected": entry.expected_version}
        profile_put: dict[str, Any] = {
            "TableName": self.activity_table,
            "Item": to_av(entry.profile.to_item()),
            "ConditionExpression": condition,
        }
        if values:
            profile_put["ExpressionAttributeValues"] = to_av(values)
        marker = {**marker_key(entry.profile.user_id, batch_id), "rows": entry.rows, "applied_at": at}
        marker_put = {
            "TableName": self.messaging_table,
            "Item": to_av(marker),
            "ConditionExpression": "attribute_not_exists(pk)",
        }
        return [{"Put": profile_put}, {"Put": marker_put}]

    def _transact(self, items: list[dict[str, Any]]) -> list[str] | None:
        """None when written; otherwise each item's cancellation reason code."""
        try:
            clients.dynamodb().transact_write_items(TransactItems=items)  # type: ignore[arg-type]
        except ClientError as error:
            if error_code(error) != "TransactionCanceledException":
                raise
            reasons = error.response.get("CancellationReasons", [])
            return [str(r.get("Code", "None")) for r in reasons]
        return None

    def commit_all(self, entries: Sequence[Pending], batch_id: str, at: str) -> bool:
        """Write several users' profiles and markers in one transaction: all or none (False: none,
        because some user's profile changed or carries the batch; commit each one then)."""
        items = [put for entry in entries for put in self._puts(entry, batch_id, at)]
        return self._transact(items) is None

    def commit(self, entry: Pending, batch_id: str, at: str) -> Commit:
        reasons = self._transact(self._puts(entry, batch_id, at))
        if reasons is None:
            return Commit.APPLIED
        if len(reasons) == 2 and reasons[1] == "ConditionalCheckFailed":
            return Commit.ALREADY_APPLIED
        if len(reasons) == 2 and reasons[0] == "ConditionalCheckFailed":
            return Commit.CONFLICT
        raise RuntimeError(f"backfill transaction cancelled: {reasons}")
