"""program.yaml's `experiments`: holdout, attribution and the auto-pause thresholds."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from winback.models.strict import Strict


class Experiments(Strict):
    """How every campaign is measured against doing nothing, and when it stops itself."""

    holdout_percent: float = Field(10, ge=0, lt=100)
    # A share of all users no campaign ever messages, to measure the whole program against.
    program_control_percent: float = Field(0, ge=0, le=50)
    attribution_window_days: int = Field(14, ge=1, le=365)
    # Which event counts as coming back; "dormancy" = the dormancy signal.
    reactivation_signal: Literal["dormancy", "order", "login", "view", "any"] = "dormancy"
    # Mail providers act at these levels (SES reviews accounts at 5% bounces and 0.1% complaints).
    max_bounce_rate: float = Field(0.05, gt=0, lt=1)
    max_complaint_rate: float = Field(0.001, gt=0, lt=1)
    pause_min_sent: int = Field(200, ge=1, description="no auto-pause before this many sends")
    min_detectable_lift: float = Field(0.1, gt=0, description="relative lift a decision needs to detect")
