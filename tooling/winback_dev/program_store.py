"""The operator's side of ProgramBucket: publish a version, roll back to one, list the history, compare
two versions. The functions only read the bucket (winback.adapters.program_bundles); this module writes
it, with the operator's credentials.

A publish or a rollback writes, in order: the bundle (once per version: content-addressed, so an
existing one is the same bytes), a history entry at the next sequence number, created only if that
number is free (S3 `If-None-Match: *`), and the pointer, replaced only if it is still the one read at
the start (`If-Match` on its ETag). Two operators at once: one wins, the other is told to run again;
nothing is deleted, ever.
"""

from __future__ import annotations

import difflib
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

from winback.adapters.program_bundles import (
    HISTORY_PREFIX,
    POINTER_KEY,
    ProgramBundles,
    bundle_key,
    history_key,
)
from winback.config.bundle import PROGRAM_FILE, Bundle
from winback.config.validation import Problem, check_bundle
from winback.content.locales import SHIPPED_TEMPLATE_ROOT
from winback.models.program_release import Pointer, ProgramRelease

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

PRECONDITION_FAILED = ("PreconditionFailed", "412", "ConditionalRequestConflict", "409")


class ProgramStoreError(RuntimeError):
    """A publish, rollback or lookup that cannot be done; the message says why."""


class Conflict(ProgramStoreError):
    """Someone else published or rolled back meanwhile."""


@dataclass(frozen=True)
class Outcome:
    """What a publish or rollback did: the release that is now current (`changed` False: that version
    already was, nothing was written), and the bundle."""

    release: ProgramRelease
    changed: bool


class ProgramStore(ProgramBundles):
    """ProgramBucket `bucket`, read and written with the operator's client."""

    def __init__(self, bucket: str, client: S3Client) -> None:
        super().__init__(bucket, client)

    def releases(self) -> list[ProgramRelease]:
        """The history, oldest first."""
        return [self.release(key) for key in self.history_keys()]

    def current(self) -> Pointer | None:
        """The current release (None: nothing published), read unconditionally."""
        found = self.pointer()
        return found if isinstance(found, Pointer) else None

    def load(self, release: ProgramRelease) -> Bundle:
        """The release's bundle, checked against the hash its release recorded."""
        return Bundle.parse(self.bundle(release.version), release.sha256)

    def put_bundle(self, bundle: Bundle) -> None:
        try:
            self.client.put_object(
                Bucket=self.bucket,
                Key=bundle_key(bundle.version),
                Body=bundle.canonical,
                ContentType="application/json",
                IfNoneMatch="*",
            )
        except ClientError as error:
            if not _precondition(error):  # stored before: the same bytes, by its name
                raise

    def record(self, release: ProgramRelease, pointer: Pointer | None) -> None:
        """Append `release` to the history and make it current, unless someone else did either first."""
        body = release.model_dump_json().encode()
        try:
            self.client.put_object(
                Bucket=self.bucket,
                Key=history_key(release.seq),
                Body=body,
                ContentType="application/json",
                IfNoneMatch="*",
            )
        except ClientError as error:
            if _precondition(error):
                raise Conflict("another publish or rollback took this history entry; run the command again") from None
            raise
        try:
            if pointer is None:
                self.client.put_object(
                    Bucket=self.bucket, Key=POINTER_KEY, Body=body, ContentType="application/json", IfNoneMatch="*"
                )
            else:
                self.client.put_object(
                    Bucket=self.bucket, Key=POINTER_KEY, Body=body, ContentType="application/json", IfMatch=pointer.etag
                )
        except ClientError as error:
            if _precondition(error):
                raise Conflict(
                    f"entry {release.seq} is in the history, but another publish or rollback made its version "
                    "current first; see `winback program history`"
                ) from None
            raise

    def next_seq(self) -> int:
        keys = self.history_keys()
        return int(keys[-1].removeprefix(HISTORY_PREFIX).removesuffix(".json")) + 1 if keys else 1


def _precondition(error: ClientError) -> bool:
    return error.response.get("Error", {}).get("Code") in PRECONDITION_FAILED


def bundle_problems(bundle: Bundle) -> list[Problem]:
    """The load-time checks of `bundle`, as the functions will run them."""
    with tempfile.TemporaryDirectory() as scratch:
        return check_bundle(bundle, bundle.materialize(Path(scratch)))


def publish(store: ProgramStore, bundle: Bundle, source: str, by: str, now: datetime) -> Outcome:
    """Make `bundle` (already validated) the current version."""
    pointer = store.current()
    if pointer is not None and pointer.release.version == bundle.version:
        return Outcome(pointer.release, changed=False)
    store.put_bundle(bundle)
    release = ProgramRelease(
        seq=store.next_seq(),
        action="publish",
        version=bundle.version,
        sha256=bundle.sha256,
        at=now,
        by=by,
        previous=pointer.release.version if pointer is not None else None,
        source=source,
    )
    store.record(release, pointer)
    return Outcome(release, changed=True)


def rollback(store: ProgramStore, version: str | None, by: str, now: datetime) -> Outcome:
    """Make an earlier version current again (default: the one current before the current one), if it
    still passes the checks; a new history entry, nothing deleted."""
    pointer = store.current()
    if pointer is None:
        raise ProgramStoreError("nothing is published: the functions run the program shipped with the layer")
    target = resolve(store.releases(), version or pointer.release.previous or "")
    if target.version == pointer.release.version:
        return Outcome(pointer.release, changed=False)
    bundle = store.load(target)
    problems = bundle_problems(bundle)
    if problems:
        listed = "; ".join(str(p) for p in problems[:5])
        raise ProgramStoreError(f"version {target.version} no longer passes the checks: {listed}")
    release = ProgramRelease(
        seq=store.next_seq(),
        action="rollback",
        version=target.version,
        sha256=target.sha256,
        at=now,
        by=by,
        previous=pointer.release.version,
        source=f"rollback to {target.version} (published as entry {target.seq})",
    )
    store.record(release, pointer)
    return Outcome(release, changed=True)


def resolve(releases: list[ProgramRelease], version: str) -> ProgramRelease:
    """The latest release of the version `version` names (a unique prefix of at least 4 digits)."""
    if not version:
        raise ProgramStoreError("there is no previous version: name the version to roll back to")
    if len(version) < 4:
        raise ProgramStoreError(f"{version!r}: name at least 4 digits of a version")
    matching = {r.version: r for r in releases if r.version.startswith(version)}
    if not matching:
        raise ProgramStoreError(f"no published version {version!r} (see `winback program history`)")
    if len(matching) > 1:
        raise ProgramStoreError(f"{version!r} names more than one version: {', '.join(sorted(matching))}")
    return next(iter(matching.values()))


@dataclass(frozen=True)
class Side:
    """One side of a diff: its label and its bundle."""

    label: str
    bundle: Bundle


def side(store: ProgramStore | None, name: str) -> Side:
    """`current`, `previous`, a published version (prefix), or a program folder or file on disk."""
    path = Path(name)
    if name not in ("current", "previous") and path.exists():
        return Side(name, Bundle.from_source(path, SHIPPED_TEMPLATE_ROOT))
    if store is None:
        raise ProgramStoreError(f"{name!r} is not a folder or file, and no program bucket is known")
    pointer = store.current()
    if pointer is None:
        raise ProgramStoreError("nothing is published yet")
    releases = store.releases()
    if name == "current":
        release = resolve(releases, pointer.release.version)
    elif name == "previous":
        release = resolve(releases, pointer.release.previous or "")
    else:
        release = resolve(releases, name)
    return Side(release.version, store.load(release))


@dataclass(frozen=True)
class FileDiff:
    path: str
    status: str  # added, removed, changed
    diff: str


def diff(a: Side, b: Side) -> list[FileDiff]:
    """Each file that differs between the two bundles (program.yaml first), as a unified diff."""
    paths = sorted(set(a.bundle.files) | set(b.bundle.files), key=lambda p: (p != PROGRAM_FILE, p))
    return [d for path in paths if (d := _file_diff(a, b, path)) is not None]


def _file_diff(a: Side, b: Side, path: str) -> FileDiff | None:
    before, after = a.bundle.files.get(path), b.bundle.files.get(path)
    if before == after:
        return None
    status = "added" if before is None else "removed" if after is None else "changed"
    lines = difflib.unified_diff(
        (before or "").splitlines(keepends=True),
        (after or "").splitlines(keepends=True),
        fromfile=f"{a.label}/{path}" if before is not None else "/dev/null",
        tofile=f"{b.label}/{path}" if after is not None else "/dev/null",
    )
    return FileDiff(path, status, "".join(_ended(lines)))


def _ended(lines: Iterator[str]) -> Iterator[str]:
    """Diff lines, each ending in a newline (a file's last line may not)."""
    for line in lines:
        yield line if line.endswith("\n") else line + "\n\\ No newline at end of file\n"
