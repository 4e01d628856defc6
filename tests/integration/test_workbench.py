"""The operator's workbench against the local stack (moto, built from template.yaml): preview, test-send,
plan and report --html through the `winback` command, each writing nothing it should not."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml

from tests.integration.conftest import Stack
from tests.integration.helpers import count_calls, dormant_profile, sent_emails, use_program
from winback.adapters.messaging_store import MessagingStore
from winback.config.loader import DEFAULT_PROGRAM_PATH
from winback.config.settings import get_settings
from winback_dev.cli import main
from winback_dev.lambda_events import ses_bounce, ses_click, ses_delivery
from winback_dev.read_only import is_read

NOW = datetime.now(UTC)
DAYS = (10, 25, 45, 100, 200)  # active; lapsing only from 21 days; lapsing; dormant; lost


@pytest.fixture(autouse=True)
def _no_holdout(stack: Stack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The published program without a holdout (who is reached is then plain from the table)."""
    use_program(tmp_path, monkeypatch, experiments={"holdout_percent": 0})


def _people(n: int = 15) -> dict[str, int]:
    days = {f"u{i:03d}": DAYS[i % len(DAYS)] for i in range(n)}
    for user_id, quiet in days.items():
        dormant_profile(user_id, NOW - timedelta(days=quiet, hours=1))
    return days


def _items(table: str) -> int:
    return sum(page["Count"] for page in boto3.client("dynamodb").get_paginator("scan").paginate(TableName=table))


def _tables() -> dict[str, int]:
    s = get_settings()
    return {t: _items(t) for t in (s.messaging_table, s.incentive_table, s.deferral_table, s.activity_table)}


def _writes(calls: Counter[str]) -> set[str]:
    return {op for op in calls if not is_read(op)}


def test_preview_writes_the_html_prints_the_rest_and_writes_nothing_else(
    stack: Stack, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _people(5)
    before = _tables()
    out = tmp_path / "preview.html"
    with count_calls() as calls:
        assert main(["preview", "dormant-offer", "--step", "0", "--user", "u003", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "dormant-offer step 0 · template offer" in text and "u003@mail.example.com" in text
    assert "the sender: not sent: the user is not assigned to any campaign" in text  # no scan has run
    assert "WB-XXXX-XXXX-XXXX-XXXX" in out.read_text(encoding="utf-8")  # a placeholder, never an issued code
    assert _writes(calls) == set() and calls["BatchGetItem"] >= 1  # the sender's context, read in one batch
    assert _tables() == before and sent_emails() == []


def test_preview_as_json_for_the_sample_flags_a_long_sms(
    stack: Stack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        main(
            [
                "preview",
                "lost-question",
                "--step",
                "0",
                "--locale",
                "zh-CN",
                "--json",
                "--out",
                str(tmp_path / "p.html"),
            ]
        )
        == 0
    )
    preview = json.loads(capsys.readouterr().out)
    assert preview["sample"] is True and preview["locale"] == "zh-CN"
    [sms] = [r for r in preview["renderings"] if r["channel"] == "sms"]
    assert sms["sms"]["encoding"] == "UCS-2" and sms["sms"]["parts"] >= 1
    [email] = [r for r in preview["renderings"] if r["channel"] == "email"]
    assert set(email["links"]) >= {"cta_url", "unsubscribe_url", "reason_urls.competitor"}


def test_test_send_goes_to_a_test_recipient_only_and_counts_nowhere(
    stack: Stack, capsys: pytest.CaptureFixture[str]
) -> None:
    """Guard: test-send claims nothing, issues nothing, and its tags count in no report."""
    _people(5)
    before = _tables()
    assert main(["test-send", "dormant-offer", "--step", "0", "--to", "someone@mail.example.com"]) == 2
    assert "not one of the program's test_recipients" in capsys.readouterr().err and sent_emails() == []
    with count_calls() as calls:
        assert main(["test-send", "dormant-offer", "--step", "0", "--to", "qa@shop.example.com", "--json"]) == 0
    sent = json.loads(capsys.readouterr().out)
    [email] = sent_emails()
    assert email.destinations["ToAddresses"] == ["qa@shop.example.com"] and email.subject.startswith("[TEST] ")
    assert _writes(calls) == {"SendEmail"}  # the provider call, and no other write
    assert _tables() == before  # no ledger, cap slot, counter, coupon or deferral
    # What SES publishes about it (delivery, a click, even a bounce) counts in no experiment cell.
    tags = {"winback": "test"}
    notes = [ses_delivery("qa@shop.example.com", sent["message_id"], tags)]
    notes.append(ses_click("qa@shop.example.com", sent["message_id"], tags, "https://shop.example.com/", "Mozilla/5.0"))
    notes.append(ses_bounce("qa@shop.example.com", "Transient", sent["message_id"], tags))
    stack.runner.publish_feedback(notes)
    messaging = MessagingStore(get_settings().messaging_table)
    assert all(messaging.cells(c) == [] for c in ("lapsing-nudge", "dormant-vip", "dormant-offer", "lost-question"))


def _changed_program(tmp_path: Path) -> Path:
    data: dict[str, Any] = yaml.safe_load(DEFAULT_PROGRAM_PATH.read_text(encoding="utf-8"))
    data["experiments"]["holdout_percent"] = 0
    data["dormancy"]["tiers"][0]["after_days"] = 21  # lapsing from 21 days
    data["campaigns"] = [c for c in data["campaigns"] if c["id"] != "lost-question"]
    path = tmp_path / "changed" / "program.yaml"
    path.parent.mkdir()
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path.parent


def test_plan_of_a_changed_program_reports_exactly_whom_it_adds_and_removes(
    stack: Stack, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    days = _people(25)
    before = _tables()
    changes = tmp_path / "changes.jsonl"
    with count_calls() as calls:
        code = main(["plan", "--program", str(_changed_program(tmp_path)), "--json", "--changes", str(changes)])
    assert code == 0
    plan = json.loads(capsys.readouterr().out)
    added = {u for u, d in days.items() if d == 25}
    removed = {u for u, d in days.items() if d == 200}
    assert (plan["reach"]["added"], plan["reach"]["removed"], plan["reach"]["moved"]) == (len(added), len(removed), 0)
    lines = [json.loads(line) for line in changes.read_text(encoding="utf-8").splitlines()]
    assert {c["user_id"] for c in lines if c["change"] == "added"} == added
    assert {c["user_id"] for c in lines if c["change"] == "removed"} == removed
    assert plan["scanned"] == 25 and plan["planned"]["tiers"]["lapsing"] == 10
    assert plan["first_step"]["by_channel"] == {"email": 15}  # every user reached (25, 45, 100 days), by email
    assert plan["pace"]["rates"]["email"]["source"].startswith("assumed: the SES sandbox")  # moto lacks GetAccount
    assert plan["pace"]["days"] == pytest.approx(15 / 200)
    assert _writes(calls) == set() and _tables() == before


def test_plan_refuses_a_program_that_does_not_load(
    stack: Stack, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text(
        DEFAULT_PROGRAM_PATH.read_text(encoding="utf-8").replace("{template: nostalgic}", "{template: nope}", 1)
    )
    assert main(["plan", "--program", str(broken)]) == 2
    assert "does not load" in capsys.readouterr().err


def test_report_writes_the_html_report_from_the_counters(stack: Stack, tmp_path: Path) -> None:
    messaging = MessagingStore(get_settings().messaging_table)
    messaging.add_cell("dormant-offer", None, "coupon", "at_risk", {"assigned": 40, "reactivated": 9})
    messaging.add_cell("dormant-offer", None, "holdout", "at_risk", {"assigned": 40, "reactivated": 3})
    html = tmp_path / "report.html"
    assert main(["report", "dormant-offer", "--html", str(html)]) == 0
    page = html.read_text(encoding="utf-8")
    assert "<svg" in page and "dormant-offer" in page and "Content-Security-Policy" in page
