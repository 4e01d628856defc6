"""Rolling-window frequency caps (pure). The stored state is a map of send key -> epoch seconds."""

from __future__ import annotations

from datetime import datetime

from winback.config.guards import FrequencyCap


def live_sends(sends: dict[str, int], cap: FrequencyCap, now: datetime) -> dict[str, int]:
    """The sends still inside the rolling window at `now`."""
    cutoff = now.timestamp() - cap.window_days * 86_400
    return {key: at for key, at in sends.items() if at > cutoff}


def has_room(sends: dict[str, int], cap: FrequencyCap, now: datetime) -> bool:
    return len(live_sends(sends, cap, now)) < cap.max_messages
