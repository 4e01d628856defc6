"""Backfill writes: a user's profile and a marker naming the history rows it applied, in one transaction.

A marker (MessagingTable `user#<id>` / `bfset#<hash of its rows>`) holds the identities of the rows
one write applied to the user (models/backfill.py: what a row says, never its file or line). The
profile and its marker are written together or not at all, so the rows a user's markers name are
exactly the rows the profile holds; a marker already there cancels the write. Reading which of a
batch's rows a user has: one key per user in the batch read (the marker of exactly these rows: a
re-run of the same file finds it), else, for a user who has a profile, a Query of that user's
markers (a history exported again with lines added, or cut into other batches). A marker per write
rather than per row keeps a batch at two items per user. Several users go in one transaction (fewer
calls); when one of them cannot be written, none is, and each is then committed on its own. The
markers do not expire: a history imported again years later still finds its rows.
"""

from __future__ import annotations

import enum
import hashlib
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from winback.adapters import clients
from winback.adapters.activity_store import profiles_of
from winback.adapters.dynamo import batch_get, error_code, from_av, to_av
from winback.models.erasure import ProfilesRead, erased_among, tombstone_key
from winback.models.profile import Profile


class Commit(enum.Enum):
    APPLIED = "applied"
    ALREADY_APPLIED = "already_applied"  # these rows' marker is there: a re-run or a retry
    CONFLICT = "conflict"  # the profile changed since it was read


# Users per TransactWriteItems (2 items each): moto deep-copies the tables a transaction writes once
# per item, so a transaction stays small; AWS allows 100 items.
USERS_PER_TRANSACTION = 12
ROWS_MARKER = "bfset#"


@dataclass(frozen=True)
class Pending:
    """A user's merged profile, to be written if the stored one is still `expected_version`, with
    the identities of the rows merged into it."""

    profile: Profile
    expected_version: int
    row_ids: tuple[str, ...]


def marker_key(user_id: str, row_ids: Collection[str]) -> dict[str, str]:
    """The key of the marker of exactly these rows of the user (in any order)."""
    digest = hashlib.sha256("\n".join(sorted(row_ids)).encode()).hexdigest()[:24]
    return {"pk": f"user#{user_id}", "sk": f"{ROWS_MARKER}{digest}"}


class BackfillStore:
    def __init__(self, activity_table: str, messaging_table: str) -> None:
        self.activity_table = activity_table
        self.messaging_table = messaging_table

    def read(self, rows: Mapping[str, Collection[str]]) -> tuple[ProfilesRead, set[tuple[str, str]]]:
        """The users' profiles (and which of them were erased: their rows are dropped,
        services/privacy/tombstone.py) and which of the given rows (user, row id) each already holds:
        one BatchGetItem per 100 keys, and a Query for each user with a profile whose rows are not
        exactly the ones of a marker."""
        users = list(rows)
        found = batch_get(
            {
                self.activity_table: [key for u in users for key in ({"user_id": u}, tombstone_key(u))],
                self.messaging_table: [marker_key(u, rows[u]) for u in users],
            }
        )
        profiles = ProfilesRead(profiles_of(found[self.activity_table]))
        profiles.erased = erased_among(users, found[self.activity_table])
        whole = {str(item["pk"]).removeprefix("user#") for item in found[self.messaging_table]}
        applied = {(u, r) for u in whole for r in rows[u]}
        for user_id in users:
            if user_id in profiles and user_id not in whole:
                held = self._rows_of(user_id)
                applied |= {(user_id, r) for r in rows[user_id] if r in held}
        return profiles, applied

    def _rows_of(self, user_id: str) -> set[str]:
        """Every history row the user's markers name (a Query, page by page)."""
        kwargs: dict[str, Any] = {
            "TableName": self.messaging_table,
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :marker)",
            "ExpressionAttributeValues": to_av({":pk": f"user#{user_id}", ":marker": ROWS_MARKER}),
            "ProjectionExpression": "#rows",
            "ExpressionAttributeNames": {"#rows": "rows"},
            "ConsistentRead": True,
        }
        held: set[str] = set()
        while True:
            reply = clients.dynamodb().query(**kwargs)
            for item in reply.get("Items", []):
                held.update(from_av(item).get("rows", []))
            if "LastEvaluatedKey" not in reply:
                return held
            kwargs["ExclusiveStartKey"] = reply["LastEvaluatedKey"]

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
        marker = {**marker_key(entry.profile.user_id, entry.row_ids), "rows": set(entry.row_ids), "applied_at": at}
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

    def commit_all(self, entries: Sequence[Pending], at: str) -> bool:
        """Write several users' profiles and markers in one transaction: all or none (False: none,
        because some user's profile changed or some marker is there; commit each one then)."""
        items = [put for entry in entries for put in self._puts(entry, at)]
        return self._transact(items) is None

    def commit(self, entry: Pending, at: str) -> Commit:
        reasons = self._transact(self._puts(entry, at))
        if reasons is None:
            return Commit.APPLIED
        if len(reasons) == 2 and reasons[1] == "ConditionalCheckFailed":
            return Commit.ALREADY_APPLIED
        if len(reasons) == 2 and reasons[0] == "ConditionalCheckFailed":
            return Commit.CONFLICT
        raise RuntimeError(f"backfill transaction cancelled: {reasons}")
