"""Next step: after a step goes out, the user's next step is parked (DeferralTable) until its delay
has passed; held recipients (quiet hours, a full cap, a paused campaign) are parked the same way.
Parked jobs are written with the outcomes (record.py), in the same batched calls."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from winback.models.send_context import ParkedJob

if TYPE_CHECKING:
    from winback.config.campaigns import Campaign
    from winback.models.jobs import Recipient, SendJob


def group_key(kind: str, job: SendJob, recipients: list[Recipient]) -> str:
    """The same recipients deferred for the same reason get the same key: a redelivered job
    overwrites its deferral instead of adding a second one."""
    digest = hashlib.sha256("|".join(sorted(f"{r.user_id}#{r.episode}" for r in recipients)).encode()).hexdigest()
    return f"{kind}#{job.campaign_id}#{job.step}#{digest[:24]}"


def park(job: SendJob, recipients: list[Recipient], due: datetime, kind: str) -> ParkedJob:
    update: dict[str, object] = {"recipients": recipients}
    if kind == "best_hour":
        update["best_hour_step"] = job.step  # released at their hour, they are sent (services/send/send_time.py)
    body = job.model_copy(update=update).model_dump_json()
    return ParkedJob(group_key(kind, job, recipients), body, due, kind)


def next_step(job: SendJob, campaign: Campaign, sent: list[Recipient], now: datetime) -> list[ParkedJob]:
    """The next step of the journey for `sent`, parked until its delay has passed (none after the last)."""
    nxt = job.step + 1
    if not sent or nxt >= len(campaign.steps):
        return []
    step = campaign.steps[nxt]
    due = now + timedelta(days=step.delay_days)
    follow = job.model_copy(update={"step": nxt, "not_after": due + timedelta(days=step.deadline_days)})
    return [park(follow, sent, due, "next_step")]
