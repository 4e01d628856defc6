"""Reading the in-app inbox: the newest messages, with what was unread flagged, and those marked read.

The flags describe the inbox as it was before this read, so the app can highlight what is new this
time; the same messages come back as read the next time.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from winback.models.ids import USER_ID_PATTERN

if TYPE_CHECKING:
    from winback.adapters.inbox_store import InboxMessage

DEFAULT_LIMIT = 20
MAX_LIMIT = 50


class InboxReader(Protocol):
    def list(self, user_id: str, limit: int, now: datetime | None = None) -> Sequence[InboxMessage]: ...

    def mark_read(self, user_id: str, ids: Iterable[str], now: datetime) -> Sequence[str]: ...


class InboxRequest(BaseModel):
    """GET /users/{user_id}/inbox?limit=: whose inbox, and how many messages."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)
    user_id: str = Field(pattern=USER_ID_PATTERN)
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)


class InboxEntry(BaseModel):
    """One message as the app sees it; `read_at` and `unread` are as they were before this read."""

    model_config = ConfigDict(frozen=True, defer_build=True)
    id: str
    title: str
    body: str
    cta_url: str
    opt_out_url: str  # signed; the app shows it as "stop these messages" (empty on older messages)
    created_at: AwareDatetime
    read_at: AwareDatetime | None
    unread: bool


class InboxPage(BaseModel):
    model_config = ConfigDict(frozen=True, defer_build=True)
    messages: list[InboxEntry]
    unread: int


def read_inbox(store: InboxReader, user_id: str, limit: int, now: datetime) -> InboxPage:
    """The user's newest `limit` messages, newest first; the unread ones among them are marked read."""
    messages = store.list(user_id, limit, now)
    entries = [
        InboxEntry(
            id=m.id,
            title=m.title,
            body=m.body,
            cta_url=m.cta_url,
            opt_out_url=m.opt_out_url,
            created_at=m.created_at,
            read_at=m.read_at,
            unread=m.read_at is None,
        )
        for m in messages
    ]
    unread = [e.id for e in entries if e.unread]
    if unread:
        store.mark_read(user_id, unread, now)
    return InboxPage(messages=entries, unread=len(unread))
