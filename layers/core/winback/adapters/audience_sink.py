"""S3 destination of an audience export: one CSV object per segment, streamed, and a manifest last.

Layout of one run: `<prefix>/<run_id>/<segment>.csv` and `<prefix>/<run_id>/manifest.json`.

Each CSV is buffered only up to `part_size` bytes: a full buffer becomes one part of a multipart
upload (S3 wants parts of at least 5 MiB, except the last), so memory stays bounded however large
the audience; an object that never fills a part is written with one PutObject. Nothing becomes
visible until the export completes: multipart uploads are completed only when the whole scan has
been written, an abort cancels open uploads and deletes objects this run already completed, and
the manifest is written after every object, so a consumer that waits for the manifest never reads
a partial export. (A Lambda killed mid-run cannot abort; the bucket's lifecycle rule
AbortIncompleteMultipartUpload reclaims those parts, which were never visible.)
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Literal

from botocore.exceptions import BotoCoreError, ClientError

from winback.adapters import clients
from winback.runtime.observability import logger

if TYPE_CHECKING:
    from mypy_boto3_s3.type_defs import CompletedPartTypeDef

MIB = 1024 * 1024
S3_MIN_PART_SIZE = 5 * MIB
DEFAULT_PART_SIZE = 8 * MIB
MANIFEST_NAME = "manifest.json"
CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
UploadState = Literal["open", "completed", "aborted"]
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")


def _checked_name(kind: str, value: str) -> str:
    # Segment and run names become key components: no slashes, no "..", nothing a path could escape with.
    if not _NAME.match(value) or ".." in value:
        raise ValueError(f"{kind} {value!r} is not a valid object name (letters, digits, '_', '-', '.')")
    return value


class S3CsvUpload:
    """One CSV object, written row by row; invisible until `close()` returns."""

    def __init__(self, bucket: str, key: str, columns: Sequence[str], part_size: int) -> None:
        if part_size <= 0:
            raise ValueError("part_size must be positive")
        self.bucket = bucket
        self.key = key
        self.part_size = part_size
        self.size = 0
        self._buffer = bytearray()
        self._line = io.StringIO()
        self._csv = csv.writer(self._line, lineterminator="\n")
        self._upload_id: str | None = None
        self._parts: list[CompletedPartTypeDef] = []
        self.state: UploadState = "open"
        self._append(columns)

    @property
    def buffered(self) -> int:
        """Bytes held in memory, waiting for the next part."""
        return len(self._buffer)

    @property
    def parts_uploaded(self) -> int:
        return len(self._parts)

    def write(self, row: Sequence[str]) -> None:
        self._require_open()
        self._append(row)
        if len(self._buffer) >= self.part_size:
            self._upload_part()

    def close(self) -> int:
        """Make the object visible; returns its size in bytes."""
        self._require_open()
        s3 = clients.s3()
        if self._upload_id is None:
            s3.put_object(Bucket=self.bucket, Key=self.key, Body=bytes(self._buffer), ContentType=CSV_CONTENT_TYPE)
            self.size = len(self._buffer)
        else:
            if self._buffer:
                self._upload_part()
            s3.complete_multipart_upload(
                Bucket=self.bucket, Key=self.key, UploadId=self._upload_id, MultipartUpload={"Parts": self._parts}
            )
        self._buffer.clear()
        self.state = "completed"
        return self.size

    def abort(self) -> None:
        """Cancel an unfinished upload (its parts are discarded; nothing was ever visible)."""
        self._buffer.clear()
        if self.state != "open":
            return
        self.state = "aborted"
        if self._upload_id is not None:
            clients.s3().abort_multipart_upload(Bucket=self.bucket, Key=self.key, UploadId=self._upload_id)

    def _require_open(self) -> None:
        if self.state != "open":
            raise RuntimeError(f"{self.key} is {self.state}")

    def _append(self, row: Sequence[str]) -> None:
        self._csv.writerow(row)
        self._buffer += self._line.getvalue().encode("utf-8")
        self._line.seek(0)
        self._line.truncate()

    def _upload_part(self) -> None:
        s3 = clients.s3()
        if self._upload_id is None:
            reply = s3.create_multipart_upload(Bucket=self.bucket, Key=self.key, ContentType=CSV_CONTENT_TYPE)
            self._upload_id = reply["UploadId"]
        number = len(self._parts) + 1
        part = s3.upload_part(
            Bucket=self.bucket, Key=self.key, UploadId=self._upload_id, PartNumber=number, Body=bytes(self._buffer)
        )
        self._parts.append({"ETag": part["ETag"], "PartNumber": number})
        self.size += len(self._buffer)
        self._buffer.clear()


class S3AudienceRun:
    """The objects of one export run under `<prefix>/<run_id>/`."""

    def __init__(self, bucket: str, prefix: str, run_id: str, part_size: int) -> None:
        self.bucket = bucket
        self.part_size = part_size
        self.base = f"{prefix}/{_checked_name('run id', run_id)}" if prefix else _checked_name("run id", run_id)
        self.manifest_key = f"{self.base}/{MANIFEST_NAME}"
        self._uploads: dict[str, S3CsvUpload] = {}

    def start(self) -> None:
        """Withdraw the manifest of an earlier attempt at this run, so nobody reads it while objects change."""
        clients.s3().delete_object(Bucket=self.bucket, Key=self.manifest_key)

    def open_segment(self, segment: str, columns: Sequence[str]) -> S3CsvUpload:
        if segment in self._uploads:
            raise ValueError(f"segment {segment!r} is already open")
        key = f"{self.base}/{_checked_name('segment', segment)}.csv"
        upload = S3CsvUpload(self.bucket, key, columns, self.part_size)
        self._uploads[segment] = upload
        return upload

    def publish_manifest(self, body: str) -> str:
        """Write the manifest; refused while any segment is still open, since it must come last."""
        unfinished = sorted(s for s, u in self._uploads.items() if u.state != "completed")
        if unfinished:
            raise RuntimeError(f"segments not completed: {unfinished}")
        clients.s3().put_object(
            Bucket=self.bucket, Key=self.manifest_key, Body=body.encode("utf-8"), ContentType="application/json"
        )
        return self.manifest_key

    def abort(self) -> None:
        """Best effort: cancel open uploads and delete completed objects of this run; never raises."""
        for upload in self._uploads.values():
            try:
                if upload.state == "completed":
                    clients.s3().delete_object(Bucket=self.bucket, Key=upload.key)
                else:
                    upload.abort()
            except (ClientError, BotoCoreError):
                logger.exception("audience export cleanup failed", extra={"key": upload.key})


class S3AudienceSink:
    """Where audience exports go; `run` is the sink factory the export service takes."""

    def __init__(self, bucket: str, prefix: str, part_size: int = DEFAULT_PART_SIZE) -> None:
        if not bucket:
            raise ValueError("an audience bucket is required")
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.part_size = part_size

    def run(self, run_id: str) -> S3AudienceRun:
        return S3AudienceRun(self.bucket, self.prefix, run_id, self.part_size)
