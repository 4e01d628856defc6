"""Opens and clicks (SES event publishing, the AWS-documented records verbatim plus our message
tags): counted once per message in the experiment cell, a proxy open as machine_opened, the first
click in the step its link names, the user's engagement on the profile, and in the report."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tests.integration.conftest import Stack
from tests.integration.helpers import dormant_profile, get_profile
from winback.adapters.messaging_store import MessagingStore
from winback.config.settings import get_settings
from winback.domain.journey.engagement import user_tag
from winback_dev.lambda_events import ses_delivery

PAYLOADS = Path(__file__).parents[1] / "aws_payloads"
CAMPAIGN = "dormant-offer"
TAGS = {"campaign": CAMPAIGN, "step": "0", "arm": "coupon", "segment": "at_risk", "user": user_tag("u-open")}
MID = "EXAMPLE7c191be45-e9aedb9a-02f9-4d12-a87d-dd0099a07f8a-000000"


def _record(name: str, **changes: Any) -> dict[str, Any]:
    """The documented record, with our message tags added as SES adds a message's tags."""
    record: dict[str, Any] = json.loads((PAYLOADS / name).read_text(encoding="utf-8"))
    record = copy.deepcopy(record)
    record["mail"]["tags"].update({k: [v] for k, v in TAGS.items()})
    for key, value in changes.items():
        record[key.split(".")[0]][key.split(".")[1]] = value
    return record


def _cell() -> dict[str, int]:
    cells = {
        (c.step, c.arm, c.segment): c.counts for c in MessagingStore(get_settings().messaging_table).cells(CAMPAIGN)
    }
    return cells.get((0, "coupon", "at_risk"), {})


def test_open_and_click_counted_once_per_message_and_recorded_on_the_profile(stack: Stack) -> None:
    """Guards: once per message (SNS redelivers), proxy opens apart, click implies open, profile updated."""
    dormant_profile("u-open", datetime(2026, 1, 1, tzinfo=UTC))
    opened = json.dumps(_record("ses_open_record.json"))
    proxy = json.dumps(
        _record(
            "ses_open_record.json", **{"open.userAgent": "Mozilla/5.0", "open.timestamp": "2017-08-09T22:00:01.000Z"}
        )
    )
    clicked = json.dumps(
        _record("ses_click_record.json", **{"click.link": "https://shop.example.com/?utm_content=step0-coupon"})
    )
    stack.runner.publish_feedback([proxy, opened, opened, clicked, clicked])
    cell = _cell()
    assert (cell.get("opened"), cell.get("machine_opened"), cell.get("clicked")) == (1, 1, 1)
    profile = get_profile("u-open")
    assert profile is not None
    assert profile.engagement.last_open_at == datetime(2017, 8, 9, 23, 51, 25, 570000, tzinfo=UTC)
    assert profile.engagement.last_click_at == datetime(2017, 8, 9, 23, 51, 25, 570000, tzinfo=UTC)

    reply = stack.runner.http("GET", f"/campaigns/{CAMPAIGN}/report", {}, iam=True)
    row = next(r for r in json.loads(reply["body"])["by_step"] if r["arm"] == "coupon" and r["step"] == 0)
    assert (row["opened"], row["machine_opened"], row["clicked"]) == (1, 1, 1)
    assert row["click_to_open_rate"] == 1.0


def test_a_click_counts_in_the_step_its_link_names_and_proves_an_open(stack: Stack) -> None:
    """Guard: the first click keeps its link's utm step; a click without a pixel load still opened."""
    clicked = _record("ses_click_record.json", **{"click.link": "https://shop.example.com/?utm_content=step2-coupon"})
    stack.runner.publish_feedback([json.dumps(clicked)])
    cells = {(c.step, c.arm): c.counts for c in MessagingStore(get_settings().messaging_table).cells(CAMPAIGN)}
    assert cells[(2, "coupon")] == {"clicked": 1, "opened": 1}


def test_deliveries_without_engagement_accumulate_on_the_profile(stack: Stack) -> None:
    """Guard: the sunset's count of unengaged emails comes from delivered campaign mail, once each."""
    dormant_profile("u-open", datetime(2026, 1, 1, tzinfo=UTC))
    first, second = (ses_delivery("u-open@mail.example.com", mid, TAGS) for mid in ("m-1", "m-2"))
    stack.runner.publish_feedback([first, first, second])
    profile = get_profile("u-open")
    assert profile is not None and profile.engagement.emails_since == 2
    stack.runner.publish_feedback([json.dumps(_record("ses_open_record.json"))])
    profile = get_profile("u-open")
    assert profile is not None and profile.engagement.emails_since == 0
