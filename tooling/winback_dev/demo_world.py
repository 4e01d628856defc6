"""The demo's world: the schedules firing, and the people on the other end of the messages.

The users' behaviour is the ground truth the experiment has to find: every assigned user may come
back on any day of the attribution window, held-out and unreached users at a base rate, users who
got a message at several times that, and coupon holders a little more (most of them use the
code, a few try it twice). The effect is large on purpose, so a 1,000-user demo can see it.
Some users who get the "question" email answer it.
"""

from __future__ import annotations

import hashlib
import json
import math
import random
from collections import Counter
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import boto3

from winback.config.campaigns import HOLDOUT, PROGRAM_CONTROL
from winback.models.profile import Assignment, Profile
from winback_dev.lambda_events import ses_bounce, ses_click, ses_complaint, ses_delivery, ses_open
from winback_dev.population import DemoUser
from winback_dev.runner import LocalRunner

REGION = "us-east-1"
ACCOUNT = "123456789012"
BASE_DAILY_RETURN = 0.004  # about 5% come back within 14 days on their own
MESSAGED_DAILY_RETURN = 0.03  # about a third once they got a message
COUPON_DAILY_RETURN = 0.04
# A message that arrives at the hour the user is usually on the app is that much more likely to bring
# them back (send-time optimization has an effect to find; `best-hour` vs `now` in dormant-vip).
ACTIVE_HOUR_LIFT = 1.5
SEND_TIME_CAMPAIGN = "dormant-vip"
ANSWER_DAILY = 0.04
# In this RFM segment the coupon email of dormant-offer leaves people cold: they come back at the base
# rate, as if not messaged, while no-coupon works as elsewhere. The stats step should find that the
# coupon does not lift there, and the scan stop offering it.
COUPON_WITHOUT_EFFECT = ("dormant-offer", "hibernating")
# lapsing-nudge's variants differ: a messaged user of the "question" subject comes back this much more
# often a day (on top of MESSAGED_DAILY_RETURN), so the adaptive allocation has a better arm to find.
BETTER_VARIANT = ("lapsing-nudge", "question")
BETTER_VARIANT_EXTRA_DAILY = 0.03
REASON_WEIGHTS = {
    "need_changed": 3,
    "bad_experience": 2,
    "competitor": 2,
    "forgot": 3,
    "too_many_messages": 2,
    "privacy": 1,
}


OPEN_RATE = 0.25
CLICK_GIVEN_OPEN = 0.2
IPHONE_MAIL = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148"
)
DESKTOP_BROWSER = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36"
)


def _group(arm: str) -> str:
    """The summary's group of an arm: treated, a campaign's holdout, or the program-wide control group."""
    return {HOLDOUT: "holdout", PROGRAM_CONTROL: "program_control"}.get(arm, "treated")


def _coupon_without_effect(a: Assignment) -> bool:
    """Whether the user got dormant-offer's coupon in the segment where it has no effect."""
    return (a.campaign_id, a.segment) == COUPON_WITHOUT_EFFECT and a.arm == "coupon"


class World:
    def __init__(self, runner: LocalRunner, population: list[DemoUser], unsubscribe_key: bytes, rng: random.Random):
        self.runner = runner
        self.users = {u.user_id: u for u in population}
        self.by_address: dict[str, str] = {}
        for u in population:
            for address in (u.email, u.phone):
                if address:
                    self.by_address[address] = u.user_id
        self.key = unsubscribe_key
        self.rng = rng
        self.variant_rng = random.Random(18)
        self.assignments: dict[str, Assignment] = {}
        self._counted: set[tuple[str, str, str]] = set()
        self.first_message: dict[str, datetime] = {}
        self.locale_sent: Counter[str] = Counter()
        self.reactivated: Counter[str] = Counter()
        self.segments: Counter[str] = Counter()
        self.arms_total: Counter[str] = Counter()
        self.answers: Counter[str] = Counter()
        self.answered: set[str] = set()
        self.pauses: list[dict[str, str]] = []
        self.feedback_kinds: Counter[str] = Counter()
        self.coupon_results: Counter[str] = Counter()
        self.by_tier: dict[str, int] = {}
        self.tags: dict[str, dict[str, str]] = {}
        self.first_sent_at: dict[str, datetime] = {}  # when the first email or text reached each user
        self._emails_seen = 0
        self._sms_seen = 0
        self._day = 0

    # --- the schedules ------------------------------------------------------------------------
    def scheduled_run(self, at: datetime) -> dict[str, Any]:
        plan = self.runner.fire_schedule(at)
        scan = self.runner.drain("ScanQueue", "scan")
        send = self.runner.drain("SendQueue", "send")
        self._read_assignments()
        self._tiers(plan["run_id"])
        return {
            "run_id": plan["run_id"],
            "as_of": at.isoformat(timespec="seconds"),
            "segments": plan["segments"],
            "scan_jobs": scan.records,
            "send_jobs": send.records,
            "send_jobs_redelivered": send.redelivered,
            "failed_jobs": scan.failed_records + send.failed_records,
        }

    def release(self, at: datetime) -> None:
        self.runner.fire_schedule(at, "release")
        self.runner.drain("SendQueue", "send")

    def _read_assignments(self) -> None:
        from winback.runtime.deps import deps

        paginator = boto3.client("dynamodb").get_paginator("scan")
        deserialize = boto3.dynamodb.types.TypeDeserializer().deserialize  # type: ignore[attr-defined]
        for page in paginator.paginate(TableName=deps().settings.activity_table):
            for raw in page["Items"]:
                profile = Profile.from_item({k: deserialize(v) for k, v in raw.items()})
                a = profile.assignment
                if a is None:
                    continue
                self.assignments[profile.user_id] = a
                if (profile.user_id, a.campaign_id, a.episode) not in self._counted:
                    self._counted.add((profile.user_id, a.campaign_id, a.episode))
                    self.segments[a.segment] += 1
                    self.arms_total[_group(a.arm)] += 1

    def _tiers(self, run_id: str) -> None:
        from winback.runtime.deps import deps

        counts = deps().messaging.run_figures(run_id)
        tiers = {k.removeprefix("tier_"): v for k, v in counts.items() if k.startswith("tier_")}
        self.by_tier = {"active": counts.get("active", 0), **tiers}

    # --- feedback on what went out ------------------------------------------------------------
    def feedback(self, storm: bool) -> None:
        """SES delivery/bounce/complaint events (tagged) for today's email; who got SMS today."""
        from moto.backends import get_backend

        ses = get_backend("ses")[ACCOUNT][REGION]
        sns = get_backend("sns")[ACCOUNT][REGION]
        now = self._now()
        emails = ses.sent_messages[self._emails_seen :]
        self._emails_seen = len(ses.sent_messages)
        sms = list(sns.sms_messages.values())[self._sms_seen :]
        self._sms_seen = len(sns.sms_messages)
        for phone, _ in sms:
            self._got_message(self.by_address.get(phone), now)
        notes: list[str] = []
        for message in emails:
            for address in message.destinations.get("ToAddresses", []):
                user_id = self.by_address.get(address)
                self._got_message(user_id, now)
                tags = self._tags(message.id)
                if tags is None:
                    continue
                roll = self.rng.random()
                if roll < 0.012:
                    notes.append(ses_bounce(address, "Permanent", message.id, tags))
                elif roll < 0.0121:
                    notes.append(ses_complaint(address, message.id, tags))
                else:
                    notes.append(ses_delivery(address, message.id, tags))
                    notes += self._engagement(address, message.id, tags)
        if storm:
            notes += self._bounce_storm("lapsing-nudge", ses.sent_messages)
        self.feedback_kinds.update(self.runner.publish_feedback(notes))
        self._note_pauses(now)

    def _engagement(self, address: str, message_id: str, tags: dict[str, str]) -> list[str]:
        """Opens and clicks at rates like retail win-back mail (about a quarter open, a fifth of those
        click); about a third of the users read on Apple Mail, whose privacy proxy fetches every
        message's pixel on arrival."""
        notes: list[str] = []
        apple_mail = int(hashlib.sha256(address.encode()).hexdigest()[:2], 16) < 85
        if apple_mail:
            notes.append(ses_open(address, message_id, tags, "Mozilla/5.0", "17.58.100.1"))
        if self.rng.random() < OPEN_RATE:
            agent = IPHONE_MAIL if apple_mail else DESKTOP_BROWSER
            notes.append(ses_open(address, message_id, tags, agent, "198.51.100.7"))
            if self.rng.random() < CLICK_GIVEN_OPEN:
                link = f"https://shop.example.com/?utm_source=winback&utm_content=step{tags['step']}-{tags['arm']}"
                notes.append(ses_click(address, message_id, tags, link, agent))
        return notes

    def _bounce_storm(self, campaign: str, sent: list[Any]) -> list[str]:
        """Late hard bounces from a stale part of the list: 15% of the campaign's mail so far."""
        notes = []
        for message in sent:
            for address in message.destinations.get("ToAddresses", []):
                tags = self._tags(message.id)
                if tags and tags["campaign"] == campaign and self.rng.random() < 0.15:
                    notes.append(ses_bounce(address, "Permanent", message.id, tags))
        return notes

    def _note_pauses(self, now: datetime) -> None:
        from winback.runtime.deps import deps

        d = deps()
        for campaign in d.program.campaigns:
            reason = d.messaging.paused_reason(campaign.id)
            known = any(p["campaign"] == campaign.id and p["state"] == "paused" for p in self.pauses)
            if reason and not known:
                self.pauses.append(
                    {"campaign": campaign.id, "state": "paused", "event": f"{campaign.id} paused itself: {reason}"}
                )

    def resume_paused(self) -> None:
        """What the operator's one command, `winback resume <campaign>`, does."""
        from winback.runtime.deps import deps
        from winback.services.report import resume_campaign

        d = deps()
        for pause in [p for p in self.pauses if p["state"] == "paused"]:
            resume_campaign(pause["campaign"], d.program, d.messaging)
            pause["state"] = "resumed"
            pause["event"] += f"; resumed with `winback resume {pause['campaign']}` on day {self._day}"

    def listen_to_sends(self) -> None:
        """Remember each email's tags by message id, as SES keeps them for its event publishing
        (moto's SES does not keep them, so the demo reads them off the sender's own requests)."""
        from winback.adapters import clients

        pending: dict[str, dict[str, str]] = {}

        def before(params: dict[str, Any], **_: Any) -> None:
            pending["tags"] = {t["Name"]: t["Value"] for t in params.get("EmailTags", [])}

        def after(parsed: dict[str, Any], **_: Any) -> None:
            if "MessageId" in parsed and "tags" in pending:
                self.tags[parsed["MessageId"]] = pending.pop("tags")

        events = clients.sesv2().meta.events
        events.register("before-parameter-build.sesv2.SendEmail", before)
        events.register("after-call.sesv2.SendEmail", after)
        self._listen_to_send_times()

    # --- send time --------------------------------------------------------------------------------
    def _listen_to_send_times(self) -> None:
        """Remember when (simulated time) the first email or text reached each user."""
        from winback.adapters import clients

        def email(params: dict[str, Any], **_: Any) -> None:
            for address in params.get("Destination", {}).get("ToAddresses", []):
                self._sent_at(self.by_address.get(address))

        def text(params: dict[str, Any], **_: Any) -> None:
            self._sent_at(self.by_address.get(str(params.get("PhoneNumber", ""))))

        clients.sesv2().meta.events.register("before-parameter-build.sesv2.SendEmail", email)
        clients.sns().meta.events.register("before-parameter-build.sns.Publish", text)

    def _sent_at(self, user_id: str | None) -> None:
        if user_id is not None:
            self.first_sent_at.setdefault(user_id, self._now())

    def at_active_hour(self, user_id: str) -> bool:
        """Whether the user's first message arrived within their active hour, on their own clock."""
        sent = self.first_sent_at.get(user_id)
        user = self.users[user_id]
        return sent is not None and sent.astimezone(ZoneInfo(user.time_zone)).hour == user.active_hour

    def timing_lift(self, user_id: str, a: Assignment) -> float:
        """How much likelier a treated user is to come back because their first message came at their hour."""
        return ACTIVE_HOUR_LIFT if _group(a.arm) == "treated" and self.at_active_hour(user_id) else 1.0

    def release_hours(self, day: datetime, hours: Iterable[int], since: int = 0, until: int = 24) -> list[int]:
        """`hours` of the day, plus those in [since, until) when a best_hour message falls due: the runs of
        the hourly release that would find one (the demo plays the others every eight hours)."""
        from winback.runtime.deps import deps

        due = {
            math.ceil((d.due - day).total_seconds() / 3600)
            for d in deps().deferrals.iter_due(day + timedelta(hours=until))
            if d.kind == "best_hour"
        }
        return sorted({*hours, *(h for h in due if since <= h < until)})

    def send_time_figures(self) -> dict[str, dict[str, int]]:
        """Per arm of the send-time campaign: assigned, reached at their active hour, reactivated."""
        figures: dict[str, dict[str, int]] = {}
        for user_id, a in self.assignments.items():
            if a.campaign_id != SEND_TIME_CAMPAIGN:
                continue
            row = figures.setdefault(a.arm, {"assigned": 0, "messaged": 0, "at_active_hour": 0, "reactivated": 0})
            row["assigned"] += 1
            row["messaged"] += user_id in self.first_sent_at
            row["at_active_hour"] += self.at_active_hour(user_id)
            row["reactivated"] += a.reactivated_at is not None
        return figures

    def _tags(self, message_id: str) -> dict[str, str] | None:
        return self.tags.get(message_id)

    def messaged_program_control(self) -> int:
        """Users of the program-wide control group an email reached (0, or the group leaks)."""
        return sum(
            1 for u, a in self.assignments.items() if _group(a.arm) == "program_control" and u in self.first_message
        )

    def _got_message(self, user_id: str | None, at: datetime) -> None:
        if user_id is None:
            return
        self.first_message.setdefault(user_id, at)
        self.locale_sent[self.users[user_id].locale] += 1

    def sent_by_locale(self) -> Counter[str]:
        return self.locale_sent

    # --- the people -----------------------------------------------------------------------------
    def live_a_day(self, now: datetime) -> None:
        """Who comes back today (an order, maybe with their coupon), and who answers the question."""
        from winback.runtime.deps import deps

        self._day += 1
        coupons = deps().coupons
        events: list[dict[str, Any]] = []
        for user_id, a in self.assignments.items():
            if a.reactivated_at is not None or not a.assigned_at <= now <= a.assigned_at + timedelta(days=14):
                continue
            messaged = user_id in self.first_message and _group(a.arm) == "treated" and not _coupon_without_effect(a)
            roll = self.rng.random() / self.timing_lift(user_id, a)
            roll = 0.0 if messaged and self._prefers_variant(a) else roll
            coupon = None
            if messaged and MESSAGED_DAILY_RETURN <= roll < COUPON_DAILY_RETURN:
                coupon = coupons.issued(user_id, a.campaign_id, 0, a.episode)  # only a coupon holder comes back
            elif roll < (MESSAGED_DAILY_RETURN if messaged else BASE_DAILY_RETURN):
                coupon = coupons.issued(user_id, a.campaign_id, 0, a.episode) if messaged else None
            if coupon is None and roll >= (MESSAGED_DAILY_RETURN if messaged else BASE_DAILY_RETURN):
                self._maybe_answer(user_id, a, now)
                continue
            at = now - timedelta(hours=self.rng.uniform(0, 18))
            order = self._order(user_id, at, coupon.code if coupon and self.rng.random() < 0.8 else None)
            events.append(order)
            if coupon and self.rng.random() < 0.1:  # the same code again later (never ahead of now): rejected
                events.append(self._order(user_id, min(at + timedelta(hours=20), now), coupon.code))
            self.assignments[user_id] = a.model_copy(update={"reactivated_at": at})
            self.reactivated[_group(a.arm)] += 1
        for start in range(0, len(events), 100):
            reply = self.runner.post_events(events[start : start + 100], webhook_id=f"msg_day{self._day}_{start}")
            result = json.loads(reply.get("body") or "{}")
            for key in ("coupons_redeemed", "coupons_rejected"):
                self.coupon_results[key] += int(result.get(key, 0))

    def _prefers_variant(self, a: Assignment) -> bool:
        """Whether a messaged user comes back today for the better variant's sake (its own generator,
        so the other users' rolls are the same as without it)."""
        return (a.campaign_id, a.arm) == BETTER_VARIANT and self.variant_rng.random() < BETTER_VARIANT_EXTRA_DAILY

    def _order(self, user_id: str, at: datetime, code: str | None) -> dict[str, Any]:
        user = self.users[user_id]
        properties: dict[str, Any] = {
            "amount": f"{self.rng.uniform(15, 180):.2f}",
            "currency": "CNY" if user.locale == "zh-CN" else "USD",
            "item_id": f"sku-{self.rng.randrange(1, 400)}",
        }
        if code:
            properties["coupon_code"] = code
        return {"user_id": user_id, "type": "order", "occurred_at": at.isoformat(), "properties": properties}

    def _maybe_answer(self, user_id: str, a: Assignment, now: datetime) -> None:
        """Some users who got the question email click one of its reason links (and confirm)."""
        from winback.domain.links.reason_links import sign_reason_token

        if a.campaign_id != "lost-question" or user_id not in self.first_message or user_id in self.answered:
            return
        if self.rng.random() >= ANSWER_DAILY:
            return
        reason = self.rng.choices(list(REASON_WEIGHTS), weights=list(REASON_WEIGHTS.values()))[0]
        token = sign_reason_token(self.key, user_id, a.campaign_id, a.episode, reason, now, timedelta(days=30))  # type: ignore[arg-type]
        self.runner.http("GET", "/reasons", {"token": token})  # the click shows a page, changes nothing
        if self.runner.http("POST", "/reasons", {"token": token})["statusCode"] == 200:
            self.answered.add(user_id)
            self.answers[reason] += 1

    def _now(self) -> datetime:
        from winback.domain.clock import SystemClock

        return SystemClock().now()
