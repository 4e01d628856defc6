"""Backfill writes: a user's profile and a marker for each history row it applies, in one transaction.

The markers (MessagingTable `user#<id>` / `bfrow#<row id>`, the row's identity: models/backfill.py)
are what make a re-run exact, whatever file or line a row comes back in: the profile and its rows'
markers are written together or not at all, and a marker already there cancels the write. Several
users go in one transaction (fewer calls); when one of them cannot be written, none is, and each is
then committed on its own. The markers do not expire: a history imported again years later still
finds its rows.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from winback.adapters import clients
from winback.adapters.dynamo import batch_get, error_code, to_av
from winback.models.profile import Profile


class Commit(enum.Enum):
    APPLIED = "applied"
    ALREADY_APPLIED = "already_applied"  # a row's marker is there: a re-run, a retry, or a copy
    CONFLICT = "conflict"  # the profile changed since it was read


# Items per TransactWriteItems (a profile and its rows' markers): moto caps a transaction at 25
# items, AWS at 100.
ITEMS_PER_TRANSACTION = 25
ROW_MARKER = "bfrow#"


@dataclass(frozen=True)
class Pending:
    """A user's merged profile, to be written if the stored one is still `expected_version`, with
    the identities of the rows merged into it."""

    profile: Profile
    expected_version: int
    row_ids: tuple[str, ...]

    @property
    def items(self) -> int:
        return 1 + len(self.row_ids)


def marker_key(user_id: str, row_id: str) -> dict[str, str]:
    return {"pk": f"user#{user_id}", "sk": f"{ROW_MARKER}{row_id}"}


class BackfillStore:
    def __init__(self, activity_table: str, messaging_table: str) -> None:
        self.activity_table = activity_table
        self.messaging_table = messaging_table

    def read(self, rows: Mapping[str, Iterable[str]]) -> tuple[dict[str, Profile], set[tuple[str, str]]]:
        """The users' profiles and which of their rows (user, row id) were applied before, in one
        BatchGetItem per 100 keys."""
        users = list(rows)
        found = batch_get(
            {
                self.activity_table: [{"user_id": u} for u in users],
                self.messaging_table: [marker_key(u, r) for u in users for r in rows[u]],
            }
        )
        profiles = {item["user_id"]: Profile.from_item(item) for item in found[self.activity_table]}
        applied = {
            (str(item["pk"]).removeprefix("user#"), str(item["sk"]).removeprefix(ROW_MARKER))
            for item in found[self.messaging_table]
        }
        return profiles, applied

    def _puts(self, entry: Pending, at: str) -> list[dict[str, Any]]:
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
        markers = [
            {
                "Put": {
                    "TableName": self.messaging_table,
                    "Item": to_av({**marker_key(entry.profile.user_id, row_id), "applied_at": at}),
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            }
            for row_id in entry.row_ids
        ]
        return [{"Put": profile_put}, *markers]

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

    def commit_all(self, entries: Sequence[Pending], at: str) -> bool:
        """Write several users' profiles and markers in one transaction (at most
        ITEMS_PER_TRANSACTION items): all or none (False: none, because some user's profile changed
        or some row is there already; commit each one then)."""
        items = [put for entry in entries for put in self._puts(entry, at)]
        return self._transact(items) is None

    def commit(self, entry: Pending, at: str) -> Commit:
        reasons = self._transact(self._puts(entry, at))
        if reasons is None:
            return Commit.APPLIED
        if "ConditionalCheckFailed" in reasons[1:]:
            return Commit.ALREADY_APPLIED
        if reasons[:1] == ["ConditionalCheckFailed"]:
            return Commit.CONFLICT
        raise RuntimeError(f"backfill transaction cancelled: {reasons}")
