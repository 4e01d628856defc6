"""Next step: after a step goes out, the user's next step waits (DeferralTable) until its delay has
passed; held recipients (quiet hours, a full cap, a paused campaign) wait the same way."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from winback.config.campaigns import Campaign
    from winback.models.jobs import Recipient, SendJob
    from winback.services.send.ports import SendDeps


def group_key(kind: str, job: SendJob, recipients: list[Recipient]) -> str:
    """The same recipients deferred for the same reason get the same key: a redelivered job
    overwrites its deferral instead of adding a second one."""
    digest = hashlib.sha256("|".join(sorted(f"{r.user_id}#{r.episode}" for r in recipients)).encode()).hexdigest()
    return f"{kind}#{job.campaign_id}#{job.step}#{digest[:24]}"


def defer(deps: SendDeps, job: SendJob, recipients: list[Recipient], due: datetime, kind: str) -> None:
    body = job.model_copy(update={"recipients": recipients}).model_dump_json()
    deps.deferrals.defer(group_key(kind, job, recipients), body, due, kind)


def schedule_next_step(job: SendJob, campaign: Campaign, sent: list[Recipient], deps: SendDeps, now: datetime) -> None:
    nxt = job.step + 1
    if not sent or nxt >= len(campaign.steps):
        return
    step = campaign.steps[nxt]
    due = now + timedelta(days=step.delay_days)
    follow = job.model_copy(update={"step": nxt, "not_after": due + timedelta(days=step.deadline_days)})
    defer(deps, follow, sent, due, "next_step")
