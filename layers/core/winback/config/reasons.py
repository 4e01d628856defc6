"""program.yaml's `reasons`: thresholds of the why-they-left inference and how long reason links work."""

from __future__ import annotations

from pydantic import Field

from winback.models.strict import Strict


class ReasonsConfig(Strict):
    """Thresholds of the inference rules, and how long the reason links work."""

    signal_window_days: int = Field(30, ge=1, description="how long before going quiet a signal still counts")
    fatigue_min_messages_90d: int = Field(8, ge=1, description="messages in 90 days that count as heavy volume")
    fatigue_max_engaged_90d: int = Field(0, ge=0, description="opens or clicks in 90 days still seen as none")
    withdrawal_grace_hours: int = Field(
        24, ge=0, description="a consent set this soon after signup is not a withdrawal"
    )
    link_valid_days: int = Field(30, ge=1, description="how long the links in the question email work")
