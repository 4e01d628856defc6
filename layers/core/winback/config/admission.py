"""program.yaml's `admission`: how many users the daily scan may admit to a first message, so that
what it admits can be sent before the step's deadline instead of being dropped at it.

A day's capacity per channel: email is the smallest of SES's 24-hour quota, its maximum send rate
over a day, and the warm-up ramp's volume for the day (when one is configured); SMS is the SMS
rate (`pacing.sms_per_second`) over a day, or `sms_per_day` when set; push and inbox are unlimited
unless set. Users beyond it wait for a later day (their tier is not marked handled)."""

from __future__ import annotations

import datetime as dt

from pydantic import Field

from winback.models.strict import Strict


class WarmUp(Strict):
    """A new sending domain's ramp: `start_volume` emails on `first_day`, times `growth_factor` each day
    after, until the account's own quota is the smaller."""

    first_day: dt.date
    start_volume: int = Field(ge=1)
    growth_factor: float = Field(gt=1, le=10)

    def volume_on(self, day: dt.date) -> int | None:
        """The ramp's volume on `day` (None once it no longer limits anything a day could send)."""
        days = (day - self.first_day).days
        if days < 0:
            return 0
        volume = self.start_volume * self.growth_factor**days
        return None if volume >= 1e12 else int(volume)


class Admission(Strict):
    enabled: bool = True
    email_per_day: int | None = Field(None, ge=0, description="caps SES's 24-hour quota (None: the quota alone)")
    sms_per_day: int | None = Field(None, ge=0, description="None: pacing.sms_per_second over a day")
    push_per_day: int | None = Field(None, ge=0, description="None: no limit")
    inbox_per_day: int | None = Field(None, ge=0, description="None: no limit")
    warm_up: WarmUp | None = None
    # The share of a day's email capacity the scan plans for: what the sender's later steps and
    # retries need is left free.
    first_step_share: float = Field(1.0, gt=0, le=1)
