"""The send job's context in one batch read: profiles (ActivityTable), send states, answers and the
campaign's pause (MessagingTable), parsed into a SendContext."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from winback.adapters.dynamo import batch_get
from winback.adapters.messaging_store import STATE_SK, SendState, pause_key, state_key
from winback.adapters.reason_store import answer_key
from winback.models.profile import Profile
from winback.models.send_context import SendContext

if TYPE_CHECKING:
    from winback.models.jobs import SendJob


class SendContextLoader:
    def __init__(self, activity_table: str, messaging_table: str) -> None:
        self.activity_table = activity_table
        self.messaging_table = messaging_table

    def load(self, job: SendJob) -> SendContext:
        messaging_keys = [state_key(r.user_id) for r in job.recipients]
        messaging_keys += [answer_key(r.user_id, job.campaign_id, r.episode) for r in job.recipients]
        found = batch_get(
            {
                self.activity_table: [{"user_id": r.user_id} for r in job.recipients],
                self.messaging_table: [*messaging_keys, pause_key(job.campaign_id)],
            }
        )
        profiles = {i["user_id"]: Profile.from_item(i) for i in found[self.activity_table]}
        states: dict[str, SendState] = {}
        answers: dict[str, dict[str, Any]] = {}
        paused = False
        for row in found[self.messaging_table]:
            if row["pk"].startswith("pause#"):
                paused = True
            elif row["sk"] == STATE_SK:
                states[row["pk"].removeprefix("user#")] = SendState.from_item(row)
            else:
                answers[row["pk"].removeprefix("user#")] = row
        return SendContext(profiles=profiles, states=states, answers=answers, campaign_paused=paused)
