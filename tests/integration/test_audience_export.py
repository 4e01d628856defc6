"""Audience export on moto: DynamoDB ActivityTable in, hashed CSVs and a manifest in S3 out."""

from __future__ import annotations

import csv
import importlib.util
import io
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from tests.integration.helpers import create_user_table, fake_aws_env
from winback.adapters import clients
from winback.adapters.activity_store import ActivityStore, ScanPage
from winback.adapters.audience_sink import S3AudienceSink, S3CsvUpload
from winback.config.loader import load_program
from winback.domain.audience.hashing import AUDIENCE_COLUMNS, hashed_email, hashed_phone
from winback.models.profile import Profile
from winback.runtime.deps import reset
from winback.runtime.observability import metrics
from winback.services.audience_export import ExportResult, export_audiences
from winback_dev.lambda_events import FakeContext

ROOT = Path(__file__).resolve().parents[2]
TABLE = "ActivityTable"
BUCKET = "winback-audiences"
PREFIX = "audiences"
RUN = "export-20261130T040000Z"
NOW = datetime(2026, 11, 30, 4, 0, tzinfo=UTC)
PART = 1024  # a small part threshold, and moto's minimum part size lowered to match


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    fake_aws_env(monkeypatch)
    monkeypatch.setattr("moto.s3.models.S3_UPLOAD_PART_MIN_SIZE", PART)
    with mock_aws():
        reset()
        try:
            create_user_table(TABLE)
            s3 = boto3.client("s3")
            s3.create_bucket(Bucket=BUCKET)
            s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
            yield
        finally:
            reset()


def put(user_id: str, tier: str | None, ads: bool | None = True, **fields: Any) -> Profile:
    consent: dict[str, bool] = {"email": True}
    if ads is not None:
        consent["ads"] = ads
    data: dict[str, Any] = {"user_id": user_id, "version": 1, "tier": tier, "consent": consent, **fields}
    profile = Profile.model_validate(data)
    assert ActivityStore(TABLE).put(profile, expected_version=0)
    return profile


def export(
    sink: S3AudienceSink | None = None, store: ActivityStore | None = None, page_size: int = 100
) -> ExportResult:
    return export_audiences(
        store or ActivityStore(TABLE),
        (sink or S3AudienceSink(BUCKET, PREFIX, part_size=PART)).run,
        lambda profile: profile.tier,
        {"lapsing", "dormant"},
        RUN,
        NOW,
        page_size=page_size,
    )


def visible_keys() -> list[str]:
    return sorted(o["Key"] for o in boto3.client("s3").list_objects_v2(Bucket=BUCKET).get("Contents", []))


def read(key: str) -> bytes:
    return boto3.client("s3").get_object(Bucket=BUCKET, Key=key)["Body"].read()


def rows(key: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(read(key).decode("utf-8"))))


def open_uploads() -> list[Any]:
    return list(boto3.client("s3").list_multipart_uploads(Bucket=BUCKET).get("Uploads", []))


def record_s3_calls() -> list[tuple[str, str]]:
    """(operation, key) of every S3 call the export's client makes from now on, in order."""
    calls: list[tuple[str, str]] = []

    def hook(params: dict[str, Any], model: Any, **_: Any) -> None:
        calls.append((model.name, str(params.get("Key", ""))))

    clients.s3().meta.events.register("before-parameter-build.s3", hook)
    return calls


def fail_on(operation: str, key_suffix: str) -> None:
    def hook(params: dict[str, Any], model: Any, **_: Any) -> None:
        if model.name == operation and str(params.get("Key", "")).endswith(key_suffix):
            raise ConnectionError(f"simulated failure of {operation} {key_suffix}")

    clients.s3().meta.events.register("before-parameter-build.s3", hook)


def many_dormant(count: int, tier: str = "dormant") -> None:
    for i in range(count):
        put(f"u-{tier}-{i:04d}", tier, email=f"user{i}@mail.example.com", phone=f"+1415555{i:04d}")


def test_only_consented_dormant_users_with_an_identifier_are_exported(aws: None) -> None:
    put("u-email", "dormant", email="Ann@Mail.example.com")
    put("u-phone", "lapsing", phone="+8613800138000")
    put("u-no-ads-consent", "dormant", ads=None, email="b@mail.example.com")
    put("u-ads-refused", "dormant", ads=False, email="c@mail.example.com")
    put("u-active", None, email="d@mail.example.com")
    put("u-other-tier", "lost", email="e@mail.example.com")
    put("u-no-contact", "dormant")

    result = export()

    assert result.counts == {"dormant": 1, "lapsing": 1}
    assert result.tally["no_ads_consent"] == 2
    assert result.tally["not_dormant"] == 2
    assert result.tally["no_identifier"] == 1
    dormant = rows(f"{PREFIX}/{RUN}/dormant.csv")
    assert [r["meta_email_sha256"] for r in dormant] == [hashed_email("ann@mail.example.com", "meta")]
    lapsing = rows(f"{PREFIX}/{RUN}/lapsing.csv")
    assert [r["google_phone_sha256"] for r in lapsing] == [hashed_phone("+8613800138000", "google")]
    assert lapsing[0]["meta_email_sha256"] == ""


def test_one_csv_per_segment_under_the_run_prefix(aws: None) -> None:
    many_dormant(3, "dormant")
    many_dormant(2, "lapsing")

    result = export()

    assert visible_keys() == [
        f"{PREFIX}/{RUN}/dormant.csv",
        f"{PREFIX}/{RUN}/lapsing.csv",
        f"{PREFIX}/{RUN}/manifest.json",
    ]
    assert result.counts == {"dormant": 3, "lapsing": 2}
    header = read(f"{PREFIX}/{RUN}/dormant.csv").decode().splitlines()[0]
    assert header == ",".join(AUDIENCE_COLUMNS)


def test_objects_hold_hashes_not_plaintext(aws: None) -> None:
    put("u-1", "dormant", email="plain.text@gmail.com", phone="+14155550123")

    export()

    body = read(f"{PREFIX}/{RUN}/dormant.csv")
    assert b"@" not in body
    assert b"4155550123" not in body
    assert b"gmail" not in body
    (row,) = rows(f"{PREFIX}/{RUN}/dormant.csv")
    assert row["google_email_sha256"] == hashed_email("plaintext@gmail.com", "google")
    assert row["meta_email_sha256"] == hashed_email("plain.text@gmail.com", "meta")
    assert row["meta_phone_sha256"] == hashed_phone("+14155550123", "meta")


def test_manifest_is_written_last_and_lists_every_object(aws: None) -> None:
    many_dormant(40, "dormant")  # several parts at the small threshold: a multipart upload
    many_dormant(2, "lapsing")  # one PutObject
    calls = record_s3_calls()

    result = export()

    writes = [(op, key) for op, key in calls if op in {"PutObject", "UploadPart", "CompleteMultipartUpload"}]
    assert writes[-1] == ("PutObject", f"{PREFIX}/{RUN}/manifest.json")
    assert ("CompleteMultipartUpload", f"{PREFIX}/{RUN}/dormant.csv") in writes
    manifest = json.loads(read(result.manifest_key))
    listed = {o["key"]: o for o in manifest["objects"]}
    assert sorted(listed) == [k for k in visible_keys() if k.endswith(".csv")]
    for key, entry in listed.items():
        assert entry["rows"] == len(rows(key))
        assert entry["bytes"] == len(read(key))
    assert manifest["segments"] == {"dormant": 40, "lapsing": 2}
    assert manifest["total_rows"] == 42
    assert manifest["run_id"] == RUN
    assert manifest["generated_at"].startswith("2026-11-30T04:00:00")
    assert manifest["format"]["columns"] == list(AUDIENCE_COLUMNS)


class FailingOnSecondPage(ActivityStore):
    def __init__(self, table: str) -> None:
        super().__init__(table)
        self.pages = 0

    def scan_page(self, segment: int, total_segments: int, start_key: dict[str, Any] | None, limit: int) -> ScanPage:
        self.pages += 1
        if self.pages == 2:
            raise ConnectionError("simulated scan failure")
        return super().scan_page(segment, total_segments, start_key, limit)


def test_failure_mid_export_aborts_multipart_and_leaves_nothing_visible(aws: None) -> None:
    many_dormant(60, "dormant")
    calls = record_s3_calls()

    with pytest.raises(ConnectionError):
        export(store=FailingOnSecondPage(TABLE), page_size=40)

    assert sum(op == "UploadPart" for op, _ in calls) >= 2  # the failure came mid multipart upload
    assert ("AbortMultipartUpload", f"{PREFIX}/{RUN}/dormant.csv") in calls
    assert open_uploads() == []
    assert visible_keys() == []


def test_failure_writing_the_manifest_removes_completed_objects(aws: None) -> None:
    many_dormant(40, "dormant")
    many_dormant(2, "lapsing")
    fail_on("PutObject", "manifest.json")

    with pytest.raises(ConnectionError):
        export()

    assert visible_keys() == []
    assert open_uploads() == []


def test_rerun_withdraws_the_earlier_manifest_before_writing(aws: None) -> None:
    many_dormant(2, "dormant")
    export()
    calls = record_s3_calls()

    export()

    assert calls[0] == ("DeleteObject", f"{PREFIX}/{RUN}/manifest.json")
    assert calls[-1] == ("PutObject", f"{PREFIX}/{RUN}/manifest.json")


def test_a_segment_name_that_is_not_a_key_component_fails_without_output(aws: None) -> None:
    many_dormant(1, "dormant")

    with pytest.raises(ValueError, match="segment"):
        export_audiences(
            ActivityStore(TABLE), S3AudienceSink(BUCKET, PREFIX).run, lambda p: "../escape", {"dormant"}, RUN, NOW
        )

    assert visible_keys() == []


def test_parts_are_flushed_at_the_threshold_so_memory_stays_bounded(aws: None) -> None:
    upload = S3CsvUpload(BUCKET, "audiences/t/big.csv", AUDIENCE_COLUMNS, part_size=PART)
    row = ("a" * 64, "b" * 64, "c" * 64, "d" * 64)  # 260 bytes a line
    lines = [",".join(AUDIENCE_COLUMNS)]
    for _ in range(50):
        upload.write(row)
        lines.append(",".join(row))
        assert upload.buffered < PART

    expected = ("\n".join(lines) + "\n").encode()
    assert upload.parts_uploaded == len(expected) // PART  # full parts only; the rest is still buffered
    (pending,) = open_uploads()
    parts = boto3.client("s3").list_parts(Bucket=BUCKET, Key=upload.key, UploadId=pending["UploadId"])["Parts"]
    assert len(parts) == upload.parts_uploaded
    assert all(p["Size"] >= PART for p in parts)
    assert visible_keys() == []  # nothing visible before close

    size = upload.close()

    assert read(upload.key) == expected
    assert size == len(expected)
    assert open_uploads() == []


def test_a_small_segment_is_written_with_one_put_object(aws: None) -> None:
    calls = record_s3_calls()
    upload = S3CsvUpload(BUCKET, "audiences/t/small.csv", AUDIENCE_COLUMNS, part_size=PART)
    upload.write(("x", "", "y", ""))

    upload.close()

    assert [op for op, _ in calls] == ["PutObject"]
    assert read(upload.key) == f"{','.join(AUDIENCE_COLUMNS)}\nx,,y,\n".encode()


def load_handler() -> Any:
    spec = importlib.util.spec_from_file_location("winback_functions.export", ROOT / "functions/export/app.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.lambda_handler


def test_handler_exports_program_tiers_for_the_scheduled_run(aws: None, monkeypatch: pytest.MonkeyPatch) -> None:
    for var, value in {
        "ACTIVITY_TABLE": TABLE,
        "SUPPRESSION_TABLE": "suppression",
        "MESSAGING_TABLE": "unused",
        "AUDIENCE_BUCKET": BUCKET,
    }.items():
        monkeypatch.setenv(var, value)
    boto3.client("dynamodb").create_table(  # the export leaves suppressed users out
        TableName="suppression",
        KeySchema=[{"AttributeName": "address", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "address", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    monkeypatch.delenv("WINBACK_PROGRAM_PATH", raising=False)
    # The shared Metrics object may predate the environment above (it is created at import).
    monkeypatch.setattr(metrics, "namespace", "Winback")
    reset()
    tiers = [t.name for t in load_program().dormancy.tiers]
    put("u-1", tiers[0], email="one@mail.example.com")
    put("u-2", tiers[-1], phone="+14155550199")
    put("u-3", None, email="active@mail.example.com")
    event = json.loads((ROOT / "events/export_schedule.json").read_text(encoding="utf-8"))

    try:
        reply = load_handler()(event, FakeContext(function_name="export"))
    finally:
        reset()

    run_id = "export-20261130T040000Z"
    assert reply["run_id"] == run_id
    assert reply["manifest_key"] == f"audiences/{run_id}/manifest.json"
    assert reply["segments"] == {tiers[0]: 1, tiers[-1]: 1}
    assert f"audiences/{run_id}/{tiers[0]}.csv" in visible_keys()
