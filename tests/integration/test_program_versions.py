"""The program as published, versioned bundles (issue 17): `winback program publish|history|rollback|diff`
against the stack's ProgramBucket (created from template.yaml on moto), and the send function taking the
published version without a deploy.

The send function's container re-reads the pointer at most once a minute: these tests move its clock
(`deps().program_source.monotonic`) instead of sleeping.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml

from tests.integration.conftest import Stack
from tests.integration.helpers import count_calls, dormant_profile, sent_emails
from winback.adapters.messaging_store import outcome_key
from winback.config.bundle import Bundle
from winback.config.loader import DEFAULT_PROGRAM_PATH
from winback.config.settings import get_settings
from winback.content.locales import SHIPPED_TEMPLATE_ROOT
from winback.domain.links.tokens import sign_token
from winback.models.send_state import send_key
from winback.runtime.deps import deps, reset
from winback.services.report import campaign_report
from winback_dev.cli import main
from winback_dev.lambda_events import http_event, sqs_event, sqs_record

NOW = datetime.now(UTC)
LAST_ORDER = NOW - timedelta(days=100)
CAMPAIGN = "dormant-offer"
LAYER_SUBJECT = "A surprise is waiting for you"
SUBJECT_FILE = Path("templates/offer/en/subject.txt")


class Clock:
    def __init__(self) -> None:
        self.now = 5000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(stack: Stack) -> Iterator[Clock]:
    """The send container's clock for re-reading the pointer."""
    moving = Clock()
    deps().program_source.monotonic = moving
    yield moving


def program_folder(root: Path, subject: str | None = None, broken: str | None = None) -> Path:
    """The shipped program with its templates, as a business keeps it: quiet hours off (these tests send
    at any hour), the offer's English subject replaced, or a template broken."""
    root.mkdir(parents=True)
    data = yaml.safe_load(DEFAULT_PROGRAM_PATH.read_text(encoding="utf-8"))
    data["quiet_hours"] = {}
    (root / "program.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    shutil.copytree(SHIPPED_TEMPLATE_ROOT, root / "templates")
    if subject is not None:
        (root / SUBJECT_FILE).write_text(subject, encoding="utf-8")
    if broken is not None:
        (root / "templates" / broken).write_text("{% if coupon %}never closed", encoding="utf-8")
    return root


def version_of(folder: Path) -> str:
    return Bundle.from_source(folder, SHIPPED_TEMPLATE_ROOT).version


def send(stack: Stack, user_id: str) -> None:
    dormant_profile(user_id, LAST_ORDER)
    job = {
        "run_id": "run-test",
        "campaign_id": CAMPAIGN,
        "step": 0,
        "tier": "dormant",
        "recipients": [{"user_id": user_id, "episode": LAST_ORDER.isoformat(), "arm": "coupon", "segment": "all"}],
    }
    reply = stack.invoke("send", sqs_event([sqs_record(json.dumps(job), "arn:aws:sqs:us-east-1:123456789012:send")]))
    assert reply == {"batchItemFailures": []}


def subjects() -> list[str]:
    return [m.subject for m in sent_emails()]


def outcome(user_id: str) -> dict[str, Any]:
    key = outcome_key(user_id, send_key(CAMPAIGN, 0, LAST_ORDER.isoformat()))
    item = boto3.resource("dynamodb").Table(get_settings().messaging_table).get_item(Key=key)["Item"]
    assert isinstance(item, dict)
    return item


def bucket_keys() -> list[str]:
    found = boto3.client("s3").list_objects_v2(Bucket=get_settings().program_bucket).get("Contents", [])
    return sorted(o["Key"] for o in found)


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """Exit status, stdout and stderr of `winback ARGV` (what the functions printed before is dropped)."""
    capsys.readouterr()
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_a_published_program_is_used_by_the_next_send_without_a_deploy(
    stack: Stack, tmp_path: Path, clock: Clock, capsys: pytest.CaptureFixture[str]
) -> None:
    """Guard: ProgramSource reading the pointer and switching versions (comment out `_switch(loaded)`
    in `_check` and the second send keeps the layer's subject)."""
    send(stack, "u1")
    folder = program_folder(tmp_path / "program", subject="Come back to {{ brand }}")
    code, out, _ = cli(capsys, "program", "publish", str(folder), "--json")
    assert code == 0
    published = json.loads(out)["current"]
    assert published["version"] == version_of(folder) and published["seq"] == 1
    clock.now += 60
    send(stack, "u2")
    brand = deps().program.brand
    assert subjects() == [LAYER_SUBJECT, f"Come back to {brand}"]
    layer = Bundle.from_source(DEFAULT_PROGRAM_PATH, SHIPPED_TEMPLATE_ROOT).version
    assert outcome("u1")["program_version"] == layer
    assert outcome("u2")["program_version"] == published["version"]
    report = campaign_report(CAMPAIGN, deps(), NOW)
    assert report.program_versions == {layer: 1, published["version"]: 1}
    assert {v for row in report.by_step for v in row.program_versions} == {layer, published["version"]}


def test_a_bundle_with_a_broken_template_is_refused_and_nothing_changes(
    stack: Stack, tmp_path: Path, clock: Clock, capsys: pytest.CaptureFixture[str]
) -> None:
    """Guard: _publish runs the checks before anything is uploaded."""
    broken = program_folder(tmp_path / "broken", broken="offer/zh-CN/email.html")
    code, _, err = cli(capsys, "program", "publish", str(broken))
    assert code == 1
    assert f"{broken}/templates/offer/zh-CN/email.html:1: does not parse" in err
    assert bucket_keys() == []
    good = program_folder(tmp_path / "good", subject="Good {{ brand }}")
    assert cli(capsys, "program", "publish", str(good))[0] == 0
    before = bucket_keys()
    assert cli(capsys, "program", "publish", str(broken))[0] == 1
    assert bucket_keys() == before
    clock.now += 60
    send(stack, "u1")
    assert subjects() == [f"Good {deps().program.brand}"]


def test_rollback_restores_the_previous_version_for_the_next_send(
    stack: Stack, tmp_path: Path, clock: Clock, capsys: pytest.CaptureFixture[str]
) -> None:
    first = program_folder(tmp_path / "first", subject="First")
    second = program_folder(tmp_path / "second", subject="Second")
    assert cli(capsys, "program", "publish", str(first))[0] == 0
    assert cli(capsys, "program", "publish", str(second))[0] == 0
    send(stack, "u1")
    code, out, _ = cli(capsys, "program", "rollback")
    assert code == 0
    assert (
        out.strip()
        == f"rolled back to {version_of(first)} (history entry 3): now current, replacing {version_of(second)}"
    )
    clock.now += 60
    send(stack, "u2")
    assert subjects() == ["Second", "First"]
    code, out, _ = cli(capsys, "program", "history", "--json")
    history = json.loads(out)
    assert [(e["action"], e["version"], e["current"]) for e in history] == [
        ("publish", version_of(first), False),
        ("publish", version_of(second), False),
        ("rollback", version_of(first), True),
    ]
    assert all(e["by"] and e["sha256"].startswith(e["version"]) for e in history)
    assert len([k for k in bucket_keys() if k.startswith("bundles/")]) == 2  # nothing deleted


def test_diff_shows_program_and_template_changes(
    stack: Stack, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first = program_folder(tmp_path / "first", subject="First\n")
    second = program_folder(tmp_path / "second", subject="Second\n")
    data = yaml.safe_load((second / "program.yaml").read_text(encoding="utf-8"))
    data["brand"] = "Another Brand"
    (second / "program.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    assert cli(capsys, "program", "publish", str(first))[0] == 0
    assert cli(capsys, "program", "publish", str(second))[0] == 0
    code, out, _ = cli(capsys, "program", "diff")
    assert code == 0
    a, b = version_of(first), version_of(second)
    assert f"--- {a}/program.yaml\n+++ {b}/program.yaml\n" in out
    assert "+brand: Another Brand\n" in out
    assert f"--- {a}/templates/offer/en/subject.txt\n+++ {b}/templates/offer/en/subject.txt\n" in out
    assert "-First\n+Second\n" in out
    code, out, _ = cli(capsys, "program", "diff", "current", str(second), "--json")
    assert json.loads(out)["files"] == []


def test_a_corrupt_current_bundle_keeps_the_last_good_version_and_counts_it(
    stack: Stack, tmp_path: Path, clock: Clock, capsys: pytest.CaptureFixture[str]
) -> None:
    """Guard: the hash check (Bundle.parse) and ProgramSource._keep; a cold container falls back
    through the history (ProgramSource._newest_that_loads)."""
    good = program_folder(tmp_path / "good", subject="Good")
    assert cli(capsys, "program", "publish", str(good))[0] == 0
    send(stack, "u1")
    assert cli(capsys, "program", "publish", str(program_folder(tmp_path / "next", subject="Next")))[0] == 0
    (next_version,) = {k for k in bucket_keys() if k.startswith("bundles/")} - {f"bundles/{version_of(good)}.json"}
    # Written behind the CLI's back: a well-formed bundle, but not the one published under that name.
    tampered = Bundle.from_source(program_folder(tmp_path / "tampered", subject="Tampered"), SHIPPED_TEMPLATE_ROOT)
    boto3.client("s3").put_object(Bucket=get_settings().program_bucket, Key=next_version, Body=tampered.canonical)
    capsys.readouterr()
    clock.now += 60
    send(stack, "u2")
    emitted = capsys.readouterr().out
    assert '"ProgramLoadFailed"' in emitted  # the EMF line of the send invocation
    reset()  # a cold container: no version in memory
    send(stack, "u3")
    assert subjects() == ["Good", "Good", "Good"]
    assert outcome("u3")["program_version"] == version_of(good)


def test_the_pointer_is_read_once_a_minute_not_per_message(
    stack: Stack, tmp_path: Path, clock: Clock, capsys: pytest.CaptureFixture[str]
) -> None:
    """Guard: ProgramSource.current's once-a-minute check, on moto (count every S3 GetObject)."""
    send(stack, "u0")
    assert cli(capsys, "program", "publish", str(program_folder(tmp_path / "p", subject="New")))[0] == 0
    clock.now += 60
    with count_calls() as calls:
        send(stack, "u1")
    assert calls["GetObject"] == 2  # the pointer, then the new version's bundle, once
    with count_calls() as calls:
        for n in range(2, 8):
            clock.now += 9
            send(stack, f"u{n}")
    assert calls["GetObject"] == 0
    clock.now += 6
    with count_calls() as calls:
        send(stack, "u8")
    assert calls["GetObject"] == 1  # the pointer again: unchanged (304), no bundle


def test_unsubscribe_works_when_no_program_version_loads(stack: Stack) -> None:
    """Guard: runtime/page_defaults.py, with ProgramUnavailable from a corrupt pointer and no history."""
    dormant_profile("u1", LAST_ORDER, locale="zh-CN")
    boto3.client("s3").put_object(Bucket=get_settings().program_bucket, Key="current.json", Body=b"not a release")
    reset()
    token = sign_token(stack.unsubscribe_key, "u1", "email", CAMPAIGN, NOW, timedelta(days=30))
    form = {"content-type": "application/x-www-form-urlencoded"}
    event = http_event("POST", "/unsubscribe", "List-Unsubscribe=One-Click", form, {"token": token})
    reply = stack.invoke("unsubscribe", event)
    assert reply["statusCode"] == 200 and "退订成功" in reply["body"]


def test_validate_names_file_line_and_field(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = program_folder(tmp_path / "p", broken="nostalgic/en/sms.txt")
    text = (folder / "program.yaml").read_text(encoding="utf-8").replace("after_days: 90", "after_days: ninety")
    (folder / "program.yaml").write_text(text, encoding="utf-8")
    code, _, err = cli(capsys, "validate", str(folder))
    assert code == 1
    line = next(n for n, t in enumerate(text.splitlines(), 1) if "ninety" in t)
    assert f"{folder}/program.yaml:{line}: dormancy.tiers.1.after_days: Input should be a valid integer" in err
    assert f"{folder}/templates/nostalgic/en/sms.txt:1: does not parse" in err
    code, out, _ = cli(capsys, "validate", "--json")
    assert code == 0 and json.loads(out)["valid"] is True


def test_preview_and_plan_read_the_published_version(
    stack: Stack, tmp_path: Path, clock: Clock, capsys: pytest.CaptureFixture[str]
) -> None:
    """Guard: workbench_cli.published_program() takes the functions' published version (make it return
    `load_program()`, the layer's program, and the plan sees no change)."""
    quiet_days = {"p1": 25, "p2": 25, "p3": 100}
    for user_id, days in quiet_days.items():
        dormant_profile(user_id, NOW - timedelta(days=days, hours=1))
    folder = program_folder(tmp_path / "published", subject="Come back to {{ brand }}")
    data = yaml.safe_load((folder / "program.yaml").read_text(encoding="utf-8"))
    data["dormancy"]["tiers"][0]["after_days"] = 21  # lapsing from 21 days: the 25-day users are reached
    (folder / "program.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    assert cli(capsys, "program", "publish", str(folder))[0] == 0
    clock.now += 60

    code, out, _ = cli(capsys, "preview", CAMPAIGN, "--step", "0", "--out", str(tmp_path / "preview.html"))
    assert code == 0
    assert f"subject  Come back to {data['brand']}" in out

    code, out, _ = cli(capsys, "plan", "--program", str(DEFAULT_PROGRAM_PATH), "--json")
    assert code == 0
    plan = json.loads(out)
    assert plan["published"]["tiers"]["lapsing"] == 2 and plan["planned"]["tiers"].get("lapsing", 0) == 0
    assert plan["reach"]["removed"] == 2  # the layer's program (lapsing from 30 days) no longer reaches p1, p2
