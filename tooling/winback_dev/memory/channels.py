"""In-memory channels and recommendations for the send service."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from winback.domain.audience.recommendations import Recommendation
from winback.models.outbound import Outbound
from winback.models.profile import Profile


@dataclass
class RecordingChannel:
    """A channel that accepts every message (its id `<channel>-<n>`), unless `fail` says otherwise:
    a function of the message returning the error to raise (Throttled, Rejected, Uncertain) or None."""

    name: str
    sent: list[Outbound] = field(default_factory=list)
    fail: Callable[[Outbound], Exception | None] | None = None

    def send(self, message: Outbound) -> str:
        error = self.fail(message) if self.fail is not None else None
        if error is not None:
            raise error
        self.sent.append(message)
        return f"{self.name}-{len(self.sent)}"


class NoRecommendations:
    def recommend(self, profile: Profile, count: int) -> list[Recommendation]:
        return []
