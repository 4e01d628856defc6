"""The send job's context in one batch read: profiles (ActivityTable), send states, answers, the
stack's sending switch, the campaign's pause and the step's channel pauses (MessagingTable), coupon
pointers (IncentiveTable), parsed into a SendContext."""

from __future__ import annotations

from collections.abc import Collection
from typing import TYPE_CHECKING, Any

from winback.adapters.activity_store import profiles_of
from winback.adapters.channel_pause import channel_pause_key, parse_channel_pause
from winback.adapters.coupon_store import issued_from_pointer, pointer_key
from winback.adapters.dynamo import batch_get
from winback.adapters.messaging_store import STATE_SK, pause_key, send_state_from_item, state_key
from winback.adapters.reason_store import answer_key
from winback.adapters.sending_switch import parse_sending_switch, sending_switch_key
from winback.models.send_context import SendContext

if TYPE_CHECKING:
    from winback.domain.clock import Clock
    from winback.models.coupons import IssuedCoupon
    from winback.models.jobs import SendJob
    from winback.models.send_state import SendState


class SendContextLoader:
    def __init__(self, activity_table: str, messaging_table: str, incentive_table: str, clock: Clock) -> None:
        self.activity_table = activity_table
        self.messaging_table = messaging_table
        self.incentive_table = incentive_table
        self.clock = clock  # a channel pause with `until` (a daily quota) lifts by itself at that time

    def load(self, job: SendJob, coupon_steps: Collection[int] = (), channels: Collection[str] = ()) -> SendContext:
        """The context; with the coupon pointers of `coupon_steps` (the step's own coupon, the one a
        reminder repeats) when the step has any, and the account-wide pauses of `channels` (the step's)."""
        messaging_keys = [state_key(r.user_id) for r in job.recipients]
        messaging_keys += [answer_key(r.user_id, job.campaign_id, r.episode) for r in job.recipients]
        pointers = [pointer_key(r.user_id, job.campaign_id, s, r.episode) for r in job.recipients for s in coupon_steps]
        requests = {
            self.activity_table: [{"user_id": r.user_id} for r in job.recipients],
            self.messaging_table: [
                *messaging_keys,
                sending_switch_key(),
                pause_key(job.campaign_id),
                *(channel_pause_key(ch) for ch in dict.fromkeys(channels)),
            ],
        }
        if pointers:
            requests[self.incentive_table] = pointers
        found = batch_get(requests)
        episodes = {r.user_id: r.episode for r in job.recipients}
        coupons: dict[str, dict[int, IssuedCoupon]] = {}
        for row in found.get(self.incentive_table, []):
            user_id = str(row["pk"]).removeprefix("user#")
            campaign_id, step, episode = str(row["sk"]).removeprefix("coupon#").rsplit("#", 2)
            if episode == episodes.get(user_id):
                coupon = issued_from_pointer(row, user_id, campaign_id, int(step), episode)
                coupons.setdefault(user_id, {})[int(step)] = coupon
        profiles = profiles_of(found[self.activity_table])  # an erasure's stand-in is no profile
        states: dict[str, SendState] = {}
        answers: dict[str, dict[str, Any]] = {}
        paused = sending_on = False  # no switch item: a new stack, sending never turned on
        now = self.clock.now()
        paused_channels: set[str] = set()
        for row in found[self.messaging_table]:
            channel_pause = parse_channel_pause(row)
            switch = parse_sending_switch(row)
            if switch is not None:
                sending_on = switch.on
            elif channel_pause is not None:
                if channel_pause.active(now):
                    paused_channels.add(channel_pause.channel)
            elif row["pk"].startswith("pause#"):
                paused = True
            elif row["sk"] == STATE_SK:
                states[row["pk"].removeprefix("user#")] = send_state_from_item(row)
            else:
                answers[row["pk"].removeprefix("user#")] = row
        return SendContext(
            profiles=profiles,
            states=states,
            answers=answers,
            sending_on=sending_on,
            campaign_paused=paused,
            paused_channels=frozenset(paused_channels),
            coupons=coupons,
            coupon_steps_read=frozenset(coupon_steps),
        )
