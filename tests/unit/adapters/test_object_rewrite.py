"""Rewriting an S3 object without some records, streamed (adapters/object_rewrite.py), against a fake
S3 client that streams like botocore's response body and keeps only the sizes of what is uploaded.

Guards: `_lines`/`_csv_rows` read the body a chunk at a time and `_Upload` holds at most one part, so
memory stays bounded whatever the object's size (an erasure used to read each audience CSV whole:
about 7 times the file in memory, so a segment of ~250,000 rows exhausted the function's 512 MB);
nothing is written when nothing is dropped.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import tracemalloc
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from winback.adapters import clients
from winback.adapters.user_records import UserRecords
from winback.domain.audience.hashing import AUDIENCE_COLUMNS

MIB = 1024 * 1024
PART_SIZE = 8 * MIB  # adapters/object_rewrite.py


class StreamingBody:
    """Like botocore's StreamingBody: `read(n)` hands out the object a chunk at a time."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._pending = b""

    def read(self, size: int = -1) -> bytes:
        while size < 0 or len(self._pending) < size:
            chunk = next(self._chunks, None)
            if chunk is None:
                break
            self._pending += chunk
        out, self._pending = (self._pending, b"") if size < 0 else (self._pending[:size], self._pending[size:])
        return out


class FakeS3:
    """One object, generated when read; what is written back is digested, never kept."""

    def __init__(self, make: Any) -> None:
        self.make = make
        self.parts: list[int] = []
        self.put: bytes | None = None
        self.written = hashlib.sha256()
        self.completed = self.aborted = 0

    def get_object(self, Bucket: str, Key: str) -> dict[str, Any]:  # noqa: N803 (boto3's names)
        return {"Body": StreamingBody(self.make()), "ContentType": "text/csv"}

    def create_multipart_upload(self, **_: Any) -> dict[str, Any]:
        return {"UploadId": "u1"}

    def upload_part(self, Body: bytes, PartNumber: int, **_: Any) -> dict[str, Any]:  # noqa: N803
        self.parts.append(len(Body))
        self.written.update(Body)
        return {"ETag": f"e{PartNumber}"}

    def complete_multipart_upload(self, **_: Any) -> dict[str, Any]:
        self.completed += 1
        return {}

    def abort_multipart_upload(self, **_: Any) -> None:
        self.aborted += 1

    def put_object(self, Body: bytes, **_: Any) -> dict[str, Any]:  # noqa: N803
        self.put = Body
        self.written.update(Body)
        return {}

    def get_paginator(self, name: str) -> Any:
        assert name == "list_object_versions"
        return type("P", (), {"paginate": staticmethod(lambda **_: iter([{"Versions": []}]))})()


SALTS = {"me": 1, "mp": 2, "ge": 3, "gp": 4}


def _hash(n: int, salt: str) -> str:
    """A 64-hex-digit cell, as a SHA-256 digest looks (computed cheaply: 1M of them per test)."""
    return f"{SALTS[salt]:08x}{n:056x}"


def audience_csv(rows: int, chunk_rows: int = 2000) -> Iterator[bytes]:
    """An audience CSV of `rows` users (four SHA-256 cells each, ~260 bytes a row), in 512 KiB-ish chunks."""
    yield (",".join(AUDIENCE_COLUMNS) + "\n").encode()
    for start in range(0, rows, chunk_rows):
        yield b"".join(_line(n) for n in range(start, min(rows, start + chunk_rows)))


@pytest.fixture
def fake_s3(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[FakeS3]]:
    made: list[FakeS3] = []
    monkeypatch.setattr(clients, "s3", lambda: made[-1])
    yield made


def test_an_erasure_rewrites_an_audience_file_of_250k_rows_in_bounded_memory(fake_s3: list[FakeS3]) -> None:
    rows = 250_000
    fake = FakeS3(lambda: audience_csv(rows))
    fake_s3.append(fake)
    records = UserRecords("a", "m", "i", "d", bucket="audience", prefix="audiences")
    target = _hash(123_456, "me")
    tracemalloc.start()
    try:
        removed = records.remove_rows("audiences/run/segment.csv", {target, _hash(123_456, "gp")})
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert removed == 1
    size = sum(fake.parts)
    assert size > 60 * MIB  # the file really is large: ~66 MB, less one row
    # One part (8 MiB), its copy for the upload and a read chunk, not the file: the old whole-file
    # read peaked at several times the file's size.
    assert peak < 24 * MIB, f"peak {peak / MIB:.1f} MiB for a {size / MIB:.0f} MiB file"
    assert fake.completed == 1 and len(fake.parts) == -(-size // PART_SIZE)
    expected = hashlib.sha256()
    for chunk in audience_csv(rows):
        expected.update(chunk.replace(_line(123_456), b""))
    assert fake.written.hexdigest() == expected.hexdigest()


def _line(n: int) -> bytes:
    h = f"{n:056x}"
    return f"00000001{h},00000002{h},00000003{h},00000004{h}\n".encode()


def test_nothing_is_written_when_no_row_is_the_users(fake_s3: list[FakeS3]) -> None:
    fake = FakeS3(lambda: audience_csv(5_000))
    fake_s3.append(fake)
    records = UserRecords("a", "m", "i", "d", bucket="audience", prefix="audiences")
    assert records.remove_rows("audiences/run/segment.csv", {"0" * 64}) == 0
    assert fake.put is None and fake.completed == 0


def test_a_csv_history_file_keeps_quoted_fields_across_lines(fake_s3: list[FakeS3]) -> None:
    text = (
        "user_id,type,occurred_at,name\n"
        'u-1,login,2026-01-01T00:00:00Z,"A\nB, ""C"""\n'
        "u-2,login,2026-01-02T00:00:00Z,x\n"
    )
    fake = FakeS3(lambda: iter([text.encode()[:17], text.encode()[17:]]))
    fake_s3.append(fake)
    records = UserRecords("a", "m", "i", "d", backfill_bucket="backfill")
    assert records.remove_history_rows("imports/h.csv", "u-2") == 1
    assert fake.put is not None
    assert list(csv.reader(io.StringIO(fake.put.decode()))) == [
        ["user_id", "type", "occurred_at", "name"],
        ["u-1", "login", "2026-01-01T00:00:00Z", 'A\nB, "C"'],
    ]


def test_a_json_lines_history_file_loses_only_the_users_rows(fake_s3: list[FakeS3]) -> None:
    lines = [
        b'{"user_id":"u-1","type":"login","occurred_at":"2026-01-01T00:00:00Z"}\n',
        b'{"user_id":"u-10","type":"login","note":"\\"u-1\\"","occurred_at":"2026-01-01T00:00:00Z"}\n',
        b'{"type":"login","user_id":"u-1","occurred_at":"2026-01-02T00:00:00Z"}',
    ]
    fake = FakeS3(lambda: iter([b"".join(lines)]))
    fake_s3.append(fake)
    records = UserRecords("a", "m", "i", "d", backfill_bucket="backfill")
    assert records.remove_history_rows("imports/h.jsonl", "u-1") == 2
    assert fake.put == lines[1]


# --- finding a user in bookkeeping (names_any): a whole token, at any chunk boundary ----------------

NAMED = [
    b'{"user_id": "u-03"}',  # a JSON value
    b'{"Input": "{\\"user_id\\": \\"u-03\\"}"}',  # inside a JSON string (a Step Functions result)
    b'{"Cause": "bad row for user_id u-03"}',  # a word of an error message
    b"u-03,login,2026-01-01\n",  # a CSV cell
    b'{"email": "u-03@mail.example.com"}',  # the address
]
NOT_NAMED = [b'{"user_id": "u-030"}', b'{"user_id": "xu-03"}', b'{"user_id": "u-03.b"}', b'{"e": "a@u-03"}']


@pytest.mark.parametrize("chunk", [1, 2, 3, 5, 7, 1024])
def test_bookkeeping_names_the_user_only_as_a_whole_token(
    fake_s3: list[FakeS3], monkeypatch: pytest.MonkeyPatch, chunk: int
) -> None:
    """Guard: names_any's token edges, kept across chunk boundaries (a needle split between two
    chunks, a longer id whose tail is in the next chunk)."""
    from winback.adapters import object_rewrite

    monkeypatch.setattr(object_rewrite, "READ_CHUNK", chunk)
    needles = [b"u-03", b"u-03@mail.example.com"]
    for body in NAMED + NOT_NAMED:
        fake_s3.append(FakeS3(lambda body=body: iter([body])))
        assert object_rewrite.names_any("b", "k", needles) is (body in NAMED), (body, chunk)


PIECES = [b"u-03", b"u-0", b"3", b"x", b'"', b" ", b",", b"@", b"\\"]  # ids, their parts, edges


@given(
    body=st.lists(st.sampled_from(PIECES), max_size=12).map(b"".join),
    chunk=st.integers(min_value=1, max_value=9),
)
@settings(max_examples=300, deadline=None)
def test_chunked_search_agrees_with_one_search_of_the_whole_object(body: bytes, chunk: int) -> None:
    """The chunked search finds exactly what one regex over the whole object finds."""
    from winback.adapters import object_rewrite

    whole = re.compile(rb"(?<![A-Za-z0-9_.:@+-])u-03(?![A-Za-z0-9_.:@+-])").search(body) is not None
    fake = FakeS3(lambda: iter([body]))
    original, object_rewrite.READ_CHUNK = object_rewrite.READ_CHUNK, chunk
    try:
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(clients, "s3", lambda: fake)
            assert object_rewrite.names_any("b", "k", [b"u-03"]) is whole
    finally:
        object_rewrite.READ_CHUNK = original
