"""An erasure as a state (GDPR Art. 17): the tombstone that outlives the data, the stand-in that holds
a user's keys while the erasure runs, the erased send state, and the request an operator follows.

- **Tombstone**: ActivityTable item `erased#<sha256 hex of the user id>`, kept TOMBSTONE_TTL. `#` is
  not in USER_ID_PATTERN, so no real user id can be this key. SHA-256 of an id is pseudonymous, not
  anonymous: whoever knows an id can tell that it was erased, and nothing else. A profile write that
  would create a profile (none stored yet) fails while the tombstone exists.
- **Stand-in**: while the erasure runs, the user's own ActivityTable item is replaced by one with
  `erasing` (the request id) and the addresses the passes still need to find the user's records by;
  it has no `version`, so every profile write conditioned on a version read before (or on no
  profile) fails. The second pass deletes it.
- **Erased send state**: MessagingTable `user#<id>` / `sendstate` replaced by one with `erased` and no
  version `v`, so a claim from a state read before the erasure fails its condition, and a send state
  read after it says "erased". The second pass deletes it.
- **Request**: MessagingTable `erasure#<request id>` / `request`, which GET /erasures/{request_id}
  reads. It holds the user id only until the second pass is done; its status never shows it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from datetime import timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from winback.models.profile import Profile

TOMBSTONE_PREFIX = "erased#"
# A Segment replay, a sender's manual webhook replay or a history file imported again can come long
# after the data was first sent; three years covers what those keep, and the tombstone holds no data.
TOMBSTONE_TTL = timedelta(days=3 * 365)
# The stand-in and the erased send state expire by themselves if the second pass never comes (an
# operator has this long to run the erasure again); a request still running keeps its user id as long.
IN_PROGRESS_TTL = timedelta(days=7)
# The wait between the two passes (ErasureStateMachine's Wait state, template.yaml): longer than the
# longest function that can read a user's data before writing something about them (ScanFunction and
# ExportFunction, 900 s; SendFunction 60 s), so whatever a job in flight wrote is there to be removed.
SECOND_PASS_DELAY = timedelta(seconds=1200)
REQUEST_SK = "request"
ERASED_STATE = "erased"
# A coupon's owner once the owner is erased: not a user id (USER_ID_PATTERN has no "#"), so no shopper
# and no order can ever match it.
ERASED_OWNER = "#erased"

ErasureStatus = Literal["accepted", "first_pass_done", "erased"]
# Where a pass is: the tables, then the audience files, then BackfillBucket, in key order after `after`.
Stage = Literal["tables", "audience", "backfill", "done"]


def erased_id(user_id: str) -> str:
    """The pseudonymous form of an erased user's id: SHA-256, hex (the tombstone's and the request's)."""
    return hashlib.sha256(user_id.encode("utf-8")).hexdigest()


def tombstone_key(user_id: str) -> dict[str, str]:
    return {"user_id": TOMBSTONE_PREFIX + erased_id(user_id)}


def request_key(request_id: str) -> dict[str, str]:
    return {"pk": f"erasure#{request_id}", "sk": REQUEST_SK}


def is_profile_item(item: Mapping[str, Any]) -> bool:
    """An ActivityTable item that is a profile: not a tombstone, not an erasure's stand-in."""
    return "erasing" not in item and not str(item.get("user_id", "")).startswith(TOMBSTONE_PREFIX)


def is_stand_in(item: Mapping[str, Any] | None) -> bool:
    return item is not None and "erasing" in item


def erased_among(user_ids: Iterable[str], items: Iterable[Mapping[str, Any]]) -> frozenset[str]:
    """Which of `user_ids` the ActivityTable `items` read for them say are erased: a tombstone, or a
    stand-in (an erasure under way)."""
    wanted = {TOMBSTONE_PREFIX + erased_id(u): u for u in user_ids}
    found = set()
    for item in items:
        user_id = str(item.get("user_id", ""))
        if user_id in wanted:
            found.add(wanted[user_id])
        elif is_stand_in(item):
            found.add(user_id)
    return frozenset(found)


class ProfilesRead(dict[str, Profile]):
    """Profiles read for some users, and which of those users are erased (`erased_among`)."""

    erased: frozenset[str] = frozenset()


class ErasureRequest(BaseModel):
    """What GET /erasures/{request_id} answers: never the user id, only its hash."""

    request_id: str
    subject: str  # erased_id(user id)
    status: ErasureStatus
    accepted_at: str
    first_pass_at: str | None = None
    erased_at: str | None = None
    removed: dict[str, int] = {}


class ErasureTask(BaseModel):
    """One invocation of a pass, as ErasureStateMachine hands it to the privacy function (and gets it
    back, advanced): which request, which pass, and where the pass is."""

    model_config = ConfigDict(populate_by_name=True, extra="ignore")

    request_id: str = Field(pattern=r"^[0-9a-f]{32}$")
    pass_: Literal[1, 2] = Field(alias="pass")
    stage: Stage = "tables"
    after: str = ""
