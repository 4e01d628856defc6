"""An in-memory ActivityStore for the ingest tests: profiles, (user, request) markers and (user, call)
markers, with optimistic versions; `conflicts` writes fail as if someone wrote meanwhile."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from winback.adapters.activity_store import ActivityStore, Applied, CallMark
from winback.models.profile import Profile


class MemoryActivity(ActivityStore):
    def __init__(self, *profiles: Profile, conflicts: int = 0) -> None:
        super().__init__("memory")
        self.profiles = {p.user_id: p for p in profiles}
        self.markers: set[tuple[str, str]] = set()
        self.calls: dict[tuple[str, str], str] = {}  # (user, call marker) -> the digest it holds
        self.conflicts = conflicts
        self.writes = 0
        self.transactions: list[int] = []  # the markers in each profile-and-calls transaction tried

    def get(self, user_id: str) -> Profile | None:
        profile = self.profiles.get(user_id)
        return profile.model_copy(deep=True) if profile else None

    def get_many(self, user_ids: Any) -> dict[str, Profile]:
        return {u: p for u in user_ids if (p := self.get(u)) is not None}

    def _conflict(self, profile: Profile, expected_version: int) -> bool:
        stored = self.profiles.get(profile.user_id)
        if self.conflicts or (stored.version if stored else 0) != expected_version:
            self.conflicts = max(0, self.conflicts - 1)
            return True
        return False

    def put_applying(self, profile: Profile, expected_version: int, webhook_id: str, now: datetime) -> Applied:
        if (profile.user_id, webhook_id) in self.markers:
            return Applied.ALREADY
        if self._conflict(profile, expected_version):
            return Applied.CONFLICT
        self.profiles[profile.user_id] = profile
        self.markers.add((profile.user_id, webhook_id))
        self.writes += 1
        return Applied.WRITTEN

    def put_marking_calls(
        self, profile: Profile, expected_version: int, marks: Sequence[CallMark], now: datetime
    ) -> tuple[Applied, dict[str, str]]:
        self.transactions.append(len(marks))
        seen = {
            m.marker: self.calls[(profile.user_id, m.marker)]
            for m in marks
            if (profile.user_id, m.marker) in self.calls
        }
        if seen:
            return Applied.ALREADY, seen
        if self._conflict(profile, expected_version):
            return Applied.CONFLICT, {}
        self.profiles[profile.user_id] = profile
        self.calls.update({(profile.user_id, m.marker): m.digest for m in marks})
        self.writes += 1
        return Applied.WRITTEN, {}
