"""SES notifications (services/feedback/ses.py and cells.py): what each is, what it suppresses, and how
tagged campaign mail is counted in its cell, once per message, pausing a campaign past its rates."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.fakes.send import InMemoryMessaging, InMemorySuppressions
from winback.config.program import Program
from winback.domain.journey.addresses import address_key
from winback.models.feedback import SesNotification
from winback.services.feedback.cells import count_in_cell
from winback.services.feedback.ses import apply_ses, ses_kind

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
AT = "2026-03-01T11:59:00Z"
TAGS = {"campaign": ["c1"], "step": ["0"], "arm": ["A"], "segment": ["loyal"]}
CELL = ("c1", 0, "A", "loyal")


def note(kind: str, message_id: str = "m-1", tags: dict[str, list[str]] | None = None, **body: Any) -> SesNotification:
    mail = {"messageId": message_id, "tags": TAGS if tags is None else tags}
    return SesNotification.model_validate({"eventType": kind, "mail": mail, **body})


def bounce(bounce_type: str, *emails: str, feedback_id: str = "fb-1") -> dict[str, Any]:
    recipients = [{"emailAddress": e} for e in emails or ("ada@example.com",)]
    return {"bounceType": bounce_type, "bouncedRecipients": recipients, "feedbackId": feedback_id}


@pytest.mark.parametrize(
    ("kind", "body", "expected"),
    [
        ("Delivery", {}, "delivery"),
        (
            "Open",
            {"open": {"timestamp": AT, "userAgent": "Mozilla/5.0 (iPhone) Mail", "ipAddress": "192.0.2.1"}},
            "open",
        ),
        ("Open", {"open": {"timestamp": AT, "userAgent": "Mozilla/5.0", "ipAddress": "192.0.2.1"}}, "machine_open"),
        ("Click", {"click": {"timestamp": AT, "link": "https://shop.example.com/"}}, "click"),
        ("Complaint", {"complaint": {"complainedRecipients": [{"emailAddress": "ada@example.com"}]}}, "complaint"),
        ("Bounce", {"bounce": bounce("Permanent")}, "hard_bounce"),
        ("Bounce", {"bounce": bounce("Transient")}, "soft_bounce"),
        ("Bounce", {"bounce": bounce("Undetermined")}, "soft_bounce"),
    ],
)
def test_each_notification_has_one_kind(kind: str, body: dict[str, Any], expected: str) -> None:
    assert ses_kind(note(kind, **body)) == expected


def test_complaints_and_permanent_bounces_suppress_at_once(program: Program) -> None:
    suppression, messaging = InMemorySuppressions(), InMemoryMessaging()
    complaint = note("Complaint", complaint={"complainedRecipients": [{"emailAddress": "Ada@Example.com"}]})
    assert apply_ses(complaint, suppression, messaging, program.feedback, NOW) == "complaint"
    hard = note("Bounce", bounce=bounce("Permanent", "bob@example.com"))
    assert apply_ses(hard, suppression, messaging, program.feedback, NOW) == "hard_bounce"
    assert suppression.reasons == {
        address_key("email", "ada@example.com"): "complaint",
        address_key("email", "bob@example.com"): "bounce",
    }


def test_transient_bounces_suppress_at_the_limit_each_feedback_counted_once(program: Program) -> None:
    suppression, messaging = InMemorySuppressions(), InMemoryMessaging()
    limit = program.feedback.soft_bounce_limit
    for i in range(limit - 1):
        apply_ses(
            note("Bounce", bounce=bounce("Transient", feedback_id=f"fb-{i}")),
            suppression,
            messaging,
            program.feedback,
            NOW,
        )
        apply_ses(
            note("Bounce", bounce=bounce("Transient", feedback_id=f"fb-{i}")),
            suppression,
            messaging,
            program.feedback,
            NOW,
        )
    assert suppression.reasons == {}
    last = note("Bounce", bounce=bounce("Transient", feedback_id="fb-last"))
    assert apply_ses(last, suppression, messaging, program.feedback, NOW) == "soft_bounce"
    assert suppression.reasons == {address_key("email", "ada@example.com"): "soft_bounce_limit"}


def test_tagged_mail_is_counted_in_its_cell_once_per_message(program: Program) -> None:
    messaging = InMemoryMessaging()
    delivered = note("Delivery")
    assert count_in_cell(delivered, "delivery", messaging, program.experiments, NOW) is None
    count_in_cell(delivered, "delivery", messaging, program.experiments, NOW)  # SNS delivered it twice
    assert messaging.counted == {(*CELL, "delivered"): 1}


def test_mail_without_our_tags_is_not_counted(program: Program) -> None:
    messaging = InMemoryMessaging()
    for tags in ({}, {**TAGS, "step": ["first"]}, {k: v for k, v in TAGS.items() if k != "arm"}):
        count_in_cell(note("Delivery", tags=tags), "delivery", messaging, program.experiments, NOW)
    assert messaging.counted == {}


def test_a_click_counts_in_the_step_its_link_names_and_proves_an_open(program: Program) -> None:
    messaging = InMemoryMessaging()
    link = "https://shop.example.com/?utm_source=winback&utm_content=step2-A"
    click = note("Click", click={"timestamp": AT, "link": link})
    count_in_cell(click, "click", messaging, program.experiments, NOW)
    opened = note("Open", open={"timestamp": AT, "userAgent": "Mozilla/5.0 (iPhone) Mail"})
    count_in_cell(opened, "open", messaging, program.experiments, NOW)  # the open the click proved
    assert messaging.counted == {("c1", 2, "A", "loyal", "clicked"): 1, ("c1", 2, "A", "loyal", "opened"): 1}


def test_bounces_past_the_rate_pause_the_campaign_once(program: Program) -> None:
    rules = program.experiments
    sent = rules.pause_min_sent
    bounced = int(sent * rules.max_bounce_rate)  # at the limit: one more passes it
    messaging = InMemoryMessaging(totals={"c1": Counter(sent_email=sent, bounced=bounced)})
    first = note("Bounce", message_id="m-1", bounce=bounce("Permanent"))
    assert count_in_cell(first, "hard_bounce", messaging, rules, NOW) == "c1"
    second = note("Bounce", message_id="m-2", bounce=bounce("Permanent"))
    assert count_in_cell(second, "hard_bounce", messaging, rules, NOW) is None  # paused already
    assert sorted(messaging.paused_campaigns) == ["c1"]
    assert messaging.counted[(*CELL, "bounced")] == 2
