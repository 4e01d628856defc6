"""tooling/winback_dev/backfill.py without AWS: the template's map settings, S3 URIs, polling."""

from __future__ import annotations

from typing import Any

import pytest

from winback_dev import backfill


def test_the_row_readers_come_from_the_template() -> None:
    """Guard: the local map takes its routes and batch sizes from template.yaml's state machine."""
    readers = {r.file_format: r for r in backfill.row_readers()}
    assert (readers["jsonl"].pattern, readers["jsonl"].input_type) == ("*.jsonl", "JSONL")
    assert (readers["csv"].pattern, readers["csv"].input_type) == ("*.csv", "CSV")
    assert all(r.max_items > 1 and r.max_bytes <= 262_144 for r in readers.values())


@pytest.mark.parametrize(
    ("uri", "expected"),
    [("s3://b/imports/2026/", ("b", "imports/2026/")), ("s3://b", ("b", "")), ("s3://b/", ("b", ""))],
)
def test_s3_uris(uri: str, expected: tuple[str, str]) -> None:
    assert backfill.parse_s3_uri(uri) == expected


@pytest.mark.parametrize("uri", ["b/imports/", "s3:///imports/", "https://b.s3.amazonaws.com/x"])
def test_not_an_s3_uri(uri: str) -> None:
    with pytest.raises(ValueError, match="s3://bucket/prefix/"):
        backfill.parse_s3_uri(uri)


def test_wait_for_polls_until_the_execution_leaves_running(monkeypatch: pytest.MonkeyPatch) -> None:
    statuses = iter(["RUNNING", "RUNNING", "FAILED"])

    class FakeStepFunctions:
        def describe_execution(self, executionArn: str) -> dict[str, Any]:  # noqa: N803 - boto3's name
            return {"executionArn": executionArn, "status": next(statuses)}

    monkeypatch.setattr("winback_dev.backfill.boto3.client", lambda service: FakeStepFunctions())
    seen: list[str] = []
    assert backfill.wait_for("arn:exec", poll_s=0, on_poll=seen.append) == "FAILED"
    assert seen == ["RUNNING", "RUNNING", "FAILED"]
