"""ProgramBucket: the published program versions, read as the functions read them.

Keys:
  bundles/<version>.json     a version's bundle (config/bundle.py), written once, never changed
  history/<seq>.json         one entry per publish or rollback (models/program_release.py), seq
                             zero-padded so that keys sort in order; each written once
  current.json               the entry that made the current version current

The functions' role may only read this bucket; `winback program` (tooling/winback_dev/program_store.py)
writes it with the operator's credentials. Reading the pointer is a conditional GET: unchanged since
the last read, S3 answers 304 with no body.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

from winback.adapters import clients
from winback.models.program_release import UNCHANGED, Pointer, ProgramRelease, Unchanged

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

POINTER_KEY = "current.json"
BUNDLES_PREFIX = "bundles/"
HISTORY_PREFIX = "history/"
SEQ_DIGITS = 8


def bundle_key(version: str) -> str:
    return f"{BUNDLES_PREFIX}{version}.json"


def history_key(seq: int) -> str:
    return f"{HISTORY_PREFIX}{seq:0{SEQ_DIGITS}d}.json"


def not_found(error: ClientError) -> bool:
    return error.response.get("Error", {}).get("Code") in ("NoSuchKey", "404", "NotFound")


class ProgramBundles:
    """Reads the program versions published in `bucket`."""

    def __init__(self, bucket: str, client: S3Client | None = None) -> None:
        self.bucket = bucket
        self._client = client

    @property
    def client(self) -> S3Client:
        return self._client or clients.program_s3()

    def pointer(self, etag: str | None = None) -> Pointer | Unchanged | None:
        """The current release (None: nothing was ever published); UNCHANGED when its ETag is still
        `etag`. A pointer that is not a release raises (pydantic's ValidationError)."""
        try:
            if etag:
                reply = self.client.get_object(Bucket=self.bucket, Key=POINTER_KEY, IfNoneMatch=etag)
            else:
                reply = self.client.get_object(Bucket=self.bucket, Key=POINTER_KEY)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "304":
                return UNCHANGED
            if not_found(error):
                return None
            raise
        release = ProgramRelease.model_validate_json(reply["Body"].read())
        return Pointer(release, reply["ETag"])

    def bundle(self, version: str) -> bytes:
        """The stored bytes of a version's bundle (raises ClientError NoSuchKey for an unknown one)."""
        return self.client.get_object(Bucket=self.bucket, Key=bundle_key(version))["Body"].read()

    def history_keys(self) -> list[str]:
        """The history's keys, oldest first."""
        keys: list[str] = []
        for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=HISTORY_PREFIX):
            keys += [item["Key"] for item in page.get("Contents", [])]
        return sorted(keys)

    def release(self, key: str) -> ProgramRelease:
        return ProgramRelease.model_validate_json(self.client.get_object(Bucket=self.bucket, Key=key)["Body"].read())
