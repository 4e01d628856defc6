"""Rewriting an S3 object without some of its records, streamed in and out: memory holds one part
(PART_SIZE) and one record, however large the object (an audience CSV of 250,000 rows, a history file
of millions of lines).

The object is read line by line from the response stream and the lines kept go into a multipart
upload (S3 wants parts of at least 5 MiB but the last); an object that never fills a part is written
with one PutObject. Nothing changes when no line is dropped: the upload is aborted, never completed.
Then the older versions of the key are deleted too (a bucket that was ever versioned keeps them), so
a removed line survives nowhere in the bucket.

A CSV history file may hold a quoted field across lines, so CSV rows are read and written with the
csv module (re-quoted minimally, which changes no value); the audience files and JSON Lines are
handled as raw lines.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from winback.adapters import clients

if TYPE_CHECKING:
    from mypy_boto3_s3.type_defs import CompletedPartTypeDef

MIB = 1024 * 1024
PART_SIZE = 8 * MIB
READ_CHUNK = 1 * MIB
# USER_ID_PATTERN's characters: a needle is named only where none of them borders it.
_ID_CHARS = rb"A-Za-z0-9_.:@+\-"
_ID_CHAR = re.compile(rb"[" + _ID_CHARS + rb"]")
_ID_EDGE_BEFORE = rb"(?<![" + _ID_CHARS + rb"])"
_ID_EDGE_AFTER = rb"(?![" + _ID_CHARS + rb"])"


class _Upload:
    """The kept lines of one object, as a multipart upload begun only once a part is full."""

    def __init__(self, bucket: str, key: str, content_type: str, part_size: int) -> None:
        self.bucket, self.key, self.content_type, self.part_size = bucket, key, content_type, part_size
        self.buffer = bytearray()
        self.upload_id: str | None = None
        self.parts: list[CompletedPartTypeDef] = []

    def write(self, data: bytes) -> None:
        self.buffer += data
        if len(self.buffer) >= self.part_size:
            self._part()

    def _part(self) -> None:
        s3 = clients.s3()
        if self.upload_id is None:
            reply = s3.create_multipart_upload(Bucket=self.bucket, Key=self.key, ContentType=self.content_type)
            self.upload_id = reply["UploadId"]
        number = len(self.parts) + 1
        part = s3.upload_part(
            Bucket=self.bucket, Key=self.key, UploadId=self.upload_id, PartNumber=number, Body=bytes(self.buffer)
        )
        self.parts.append({"ETag": part["ETag"], "PartNumber": number})
        self.buffer.clear()

    def complete(self) -> str | None:
        """Make the new object visible; its version id (None where the bucket keeps no versions)."""
        s3 = clients.s3()
        if self.upload_id is None:
            reply: Any = s3.put_object(
                Bucket=self.bucket, Key=self.key, Body=bytes(self.buffer), ContentType=self.content_type
            )
        else:
            if self.buffer:
                self._part()
            reply = s3.complete_multipart_upload(
                Bucket=self.bucket, Key=self.key, UploadId=self.upload_id, MultipartUpload={"Parts": self.parts}
            )
        self.buffer.clear()
        version = reply.get("VersionId")
        return str(version) if version else None

    def abort(self) -> None:
        self.buffer.clear()
        if self.upload_id is not None:
            clients.s3().abort_multipart_upload(Bucket=self.bucket, Key=self.key, UploadId=self.upload_id)


def _chunks(body: Any) -> Iterator[bytes]:
    while chunk := body.read(READ_CHUNK):
        yield chunk


def _lines(body: Any) -> Iterator[bytes]:
    """The object's lines with their line endings, one at a time."""
    pending = b""
    for chunk in _chunks(body):
        pending += chunk
        *complete, pending = pending.split(b"\n")
        for line in complete:
            yield line + b"\n"
    if pending:
        yield pending


def _csv_rows(body: Any) -> Iterator[list[str]]:
    decoder = codecs.getincrementaldecoder("utf-8-sig")()
    text = (decoder.decode(chunk) for chunk in _chunks(body))
    yield from csv.reader(_text_lines(text))


def _text_lines(chunks: Iterator[str]) -> Iterator[str]:
    pending = ""
    for chunk in chunks:
        pending += chunk
        *complete, pending = pending.split("\n")
        yield from (line + "\n" for line in complete)
    if pending:
        yield pending


def _csv_line(row: list[str]) -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerow(row)
    return out.getvalue().encode("utf-8")


def _finish(upload: _Upload, dropped: int) -> int:
    if not dropped:
        upload.abort()
        return 0
    version = upload.complete()
    _forget_older_versions(upload.bucket, upload.key, keep=version)
    return dropped


def rewrite_lines(bucket: str, key: str, drop: Callable[[bytes], bool], part_size: int = PART_SIZE) -> int:
    """Rewrite the object without the lines `drop` picks (a raw line, with its line ending); the
    number dropped (0: the object was left as it was)."""
    reply = clients.s3().get_object(Bucket=bucket, Key=key)
    upload = _Upload(bucket, key, str(reply.get("ContentType") or "application/octet-stream"), part_size)
    dropped = 0
    try:
        for line in _lines(reply["Body"]):
            if drop(line):
                dropped += 1
            else:
                upload.write(line)
    except BaseException:
        upload.abort()
        raise
    return _finish(upload, dropped)


def rewrite_csv(bucket: str, key: str, drop: Callable[[dict[str, str]], bool], part_size: int = PART_SIZE) -> int:
    """Rewrite a CSV object with a header row without the rows `drop` picks (a row by column name);
    the number dropped."""
    reply = clients.s3().get_object(Bucket=bucket, Key=key)
    upload = _Upload(bucket, key, str(reply.get("ContentType") or "text/csv"), part_size)
    dropped = 0
    try:
        rows = _csv_rows(reply["Body"])
        header = next(rows, None)
        if header is not None:
            upload.write(_csv_line(header))
        for row in rows:
            if header is not None and drop(dict(zip(header, row, strict=False))):
                dropped += 1
            else:
                upload.write(_csv_line(row))
    except BaseException:
        upload.abort()
        raise
    return _finish(upload, dropped)


def names_any(bucket: str, key: str, needles: list[bytes]) -> bool:
    """Whether the object names any of `needles` as a whole token (no USER_ID_PATTERN character right
    before or after it): as a JSON value, a key, a CSV cell or a word of a message. Read a chunk at a
    time; a needle across two chunks is found too."""
    needles = [n for n in needles if n]
    if not needles:
        return False
    found = re.compile(b"|".join(_ID_EDGE_BEFORE + re.escape(n) + _ID_EDGE_AFTER for n in needles))
    keep = max(len(n) for n in needles) + 1  # a needle not yet whole, and the character before it
    chunks = _chunks(clients.s3().get_object(Bucket=bucket, Key=key)["Body"])
    tail, chunk = b"", next(chunks, b"")
    while chunk:
        window, chunk = tail + chunk, next(chunks, b"")
        if any(_whole(m, window, len(tail) == keep, chunk[:1]) for m in found.finditer(window)):
            return True
        tail = window[-keep:]
    return False


def _whole(match: re.Match[bytes], window: bytes, cut: bool, ahead: bytes) -> bool:
    """Whether a match in `window` is a whole token. When the window's first byte is not the object's
    (`cut`), a match there was judged in the previous window, where the byte before it was seen; a
    match at the window's end is whole only if the next chunk, `ahead`, does not go on with an id
    character."""
    if cut and match.start() == 0:
        return False
    return match.end() < len(window) or not _ID_CHAR.match(ahead)


def _forget_older_versions(bucket: str, key: str, keep: str | None) -> None:
    """Delete every version of `key` but `keep` (and delete markers): an old version would still hold
    the lines just removed."""
    s3 = clients.s3()
    current = keep or "null"  # a write to a bucket whose versioning is suspended (or off) is "null"
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket, Prefix=key):
        for entry in [*page.get("Versions", []), *page.get("DeleteMarkers", [])]:
            version = entry.get("VersionId")
            if entry.get("Key") == key and version and version != current and not entry.get("IsLatest"):
                s3.delete_object(Bucket=bucket, Key=key, VersionId=version)
