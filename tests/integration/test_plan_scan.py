"""Plan sizes the parallel scan; scan finds tiers, packs send jobs, skips handled users, continues near timeout."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml

from tests.integration.conftest import Stack
from tests.integration.helpers import dormant_profile, get_profile, queue_bodies, sample_event
from winback.config.loader import DEFAULT_PROGRAM_PATH
from winback.runtime.deps import reset
from winback_dev.lambda_events import sqs_event, sqs_record

AS_OF = datetime(2026, 11, 25, 3, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _no_holdout(stack: Stack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests are about scanning: every targeted user is treated (holdout: test_experiment_scan)."""
    _small_segments(tmp_path, monkeypatch)


def _small_segments(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, **scan: int) -> None:
    """Point the functions at a copy of the shipped program with other scan limits and no holdout."""
    data = yaml.safe_load(DEFAULT_PROGRAM_PATH.read_text(encoding="utf-8"))
    data["scan"].update(scan)
    data.setdefault("experiments", {})["holdout_percent"] = 0
    path = tmp_path / "program.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    monkeypatch.setenv("WINBACK_PROGRAM_PATH", str(path))
    reset()


def _scan(stack: Stack, job: dict[str, object], remaining_ms: int = 900_000) -> dict[str, object]:
    event = sqs_event([sqs_record(json.dumps(job), "arn:aws:sqs:us-east-1:123456789012:scan")])
    reply: dict[str, object] = stack.invoke("scan", event, remaining_ms=remaining_ms)
    return reply


def _job(segment: int = 0, total: int = 1) -> dict[str, object]:
    return {"run_id": "run-test", "as_of": AS_OF.isoformat(), "segment": segment, "total_segments": total}


def test_plan_enqueues_one_job_per_segment_sized_from_the_table(
    stack: Stack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _small_segments(tmp_path, monkeypatch, items_per_segment=2, max_segments=4)
    for i in range(7):
        dormant_profile(f"u{i}", AS_OF - timedelta(days=40))
    reply = stack.invoke("plan", sample_event("plan_schedule.json"))
    assert reply["segments"] == 4 and reply["item_count"] == 7  # ceil(7/2)=4, within max
    jobs = [json.loads(b) for b in queue_bodies(stack.table("ScanQueue"))]
    assert sorted(j["segment"] for j in jobs) == [0, 1, 2, 3]
    assert {j["total_segments"] for j in jobs} == {4}
    assert {j["run_id"] for j in jobs} == {"run-20261125T030000Z"}
    assert {j["as_of"] for j in jobs} == {"2026-11-25T03:00:00Z"}


def test_scan_assigns_tiers_and_packs_many_users_per_send_job(stack: Stack) -> None:
    for i in range(150):
        dormant_profile(f"lapsing{i}", AS_OF - timedelta(days=45))
    dormant_profile("dormant0", AS_OF - timedelta(days=100))
    dormant_profile("lost0", AS_OF - timedelta(days=300))
    dormant_profile("active0", AS_OF - timedelta(days=3))
    assert _scan(stack, _job()) == {"batchItemFailures": []}
    jobs = [json.loads(b) for b in queue_bodies(stack.table("SendQueue"))]
    by_campaign: dict[str, int] = {}
    for job in jobs:
        by_campaign[job["campaign_id"]] = by_campaign.get(job["campaign_id"], 0) + len(job["recipients"])
    assert by_campaign == {"lapsing-nudge": 150, "dormant-offer": 1, "lost-question": 1}
    assert max(len(j["recipients"]) for j in jobs) == 100  # packed, 100 users per message
    lapsing = get_profile("lapsing0")
    assert lapsing is not None and lapsing.tier == "lapsing" and lapsing.tier_entered_at == AS_OF
    active = get_profile("active0")
    assert active is not None and active.tier is None


def test_a_second_scan_skips_users_already_handled_for_their_tier(stack: Stack) -> None:
    dormant_profile("u1", AS_OF - timedelta(days=45))
    _scan(stack, _job())
    assert len(queue_bodies(stack.table("SendQueue"))) == 1
    _scan(stack, _job())
    assert queue_bodies(stack.table("SendQueue")) == []


def test_users_split_across_segments_are_each_scanned_once(stack: Stack) -> None:
    for i in range(40):
        dormant_profile(f"u{i}", AS_OF - timedelta(days=45))
    for segment in range(4):
        _scan(stack, _job(segment, 4))
    users = [r["user_id"] for b in queue_bodies(stack.table("SendQueue")) for r in json.loads(b)["recipients"]]
    assert sorted(users) == sorted(f"u{i}" for i in range(40))


def test_scan_near_timeout_enqueues_a_continuation_instead_of_failing(
    stack: Stack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _small_segments(tmp_path, monkeypatch, page_size=5)
    for i in range(12):
        dormant_profile(f"u{i}", AS_OF - timedelta(days=45))
    assert _scan(stack, _job(), remaining_ms=1_000) == {"batchItemFailures": []}
    continuations = [json.loads(b) for b in queue_bodies(stack.table("ScanQueue"))]
    assert len(continuations) == 1 and continuations[0]["start_key"] and continuations[0]["pages_done"] == 1
    first = [r["user_id"] for b in queue_bodies(stack.table("SendQueue")) for r in json.loads(b)["recipients"]]
    assert len(first) == 5
    job = continuations[0]
    while job:
        _scan(stack, job)
        nxt = [json.loads(b) for b in queue_bodies(stack.table("ScanQueue"))]
        job = nxt[0] if nxt else {}
    rest = [r["user_id"] for b in queue_bodies(stack.table("SendQueue")) for r in json.loads(b)["recipients"]]
    assert sorted(first + rest) == sorted(f"u{i}" for i in range(12))


def test_invalid_scan_job_is_reported_as_a_batch_item_failure(stack: Stack) -> None:
    event = sample_event("scan_sqs.json")
    event["Records"][0]["body"] = json.dumps({"segment": -1})
    reply = stack.invoke("scan", event)
    assert reply == {"batchItemFailures": [{"itemIdentifier": event["Records"][0]["messageId"]}]}


def test_run_figures_count_each_user_once_even_when_a_run_is_repeated(stack: Stack) -> None:
    from winback.adapters.messaging_store import MessagingStore
    from winback.config.settings import get_settings

    dormant_profile("lapsing", AS_OF - timedelta(days=45))
    dormant_profile("lost", AS_OF - timedelta(days=300))
    dormant_profile("active", AS_OF - timedelta(days=2))
    _scan(stack, _job())
    _scan(stack, _job())  # the same run's job delivered twice
    figures = MessagingStore(get_settings().messaging_table).run_figures("run-test")
    assert figures["scanned"] == 3
    assert (figures["active"], figures["tier_lapsing"], figures["tier_lost"]) == (1, 1, 1)
