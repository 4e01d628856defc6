"""runtime/program_source.py: the functions take the published program version, read the pointer at
most once a minute (a clock the tests move, never a sleep), keep the last good version when a newer one
does not load (and count it), and run the layer's program until the first publish."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from winback.adapters.program_bundles import POINTER_KEY, bundle_key, history_key
from winback.config.bundle import Bundle
from winback.config.loader import DEFAULT_PROGRAM_PATH, load_program
from winback.content import locales
from winback.content.locales import SHIPPED_TEMPLATE_ROOT
from winback.content.rendering import VARIABLES, render, use_templates
from winback.models.program_release import UNCHANGED, Pointer, ProgramRelease, Unchanged
from winback.runtime.deps import Deps
from winback.runtime.observability import metrics
from winback.runtime.program_source import LOAD_FAILED_METRIC, ProgramSource, ProgramUnavailable

SUBJECT = "templates/offer/en/subject.txt"


class Clock:
    """Monotonic seconds that move only when a test says so."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Versions:
    """The published versions in memory, as ProgramBucket holds them, with the reads counted."""

    def __init__(self) -> None:
        self.objects: dict[str, bytes] = {}
        self.pointer_reads = 0
        self.bundle_reads = 0
        self.fail_pointer = False
        self.fail_bundle = False

    def publish(self, bundle: Bundle, *, body: bytes | None = None) -> ProgramRelease:
        seq = len([k for k in self.objects if k.startswith("history/")]) + 1
        current = self.pointer()
        release = ProgramRelease(
            seq=seq,
            action="publish",
            version=bundle.version,
            sha256=bundle.sha256,
            at=datetime(2026, 12, 7, tzinfo=UTC),
            by="arn:aws:iam::123456789012:user/ops",
            previous=current.release.version if isinstance(current, Pointer) else None,
        )
        self.objects[bundle_key(bundle.version)] = bundle.canonical if body is None else body
        self.objects[history_key(seq)] = self.objects[POINTER_KEY] = release.model_dump_json().encode()
        self.pointer_reads -= 1  # the read above was the test's, not the source's
        return release

    def pointer(self, etag: str | None = None) -> Pointer | Unchanged | None:
        self.pointer_reads += 1
        if self.fail_pointer:
            raise ConnectionError("S3 is unreachable")
        body = self.objects.get(POINTER_KEY)
        if body is None:
            return None
        tag = hashlib.md5(body).hexdigest()
        return UNCHANGED if tag == etag else Pointer(ProgramRelease.model_validate_json(body), tag)

    def bundle(self, version: str) -> bytes:
        self.bundle_reads += 1
        if self.fail_bundle:
            raise ConnectionError("S3 is unreachable")
        return self.objects[bundle_key(version)]

    def history_keys(self) -> list[str]:
        return sorted(k for k in self.objects if k.startswith("history/"))

    def release(self, key: str) -> ProgramRelease:
        return ProgramRelease.model_validate_json(self.objects[key])


def shipped() -> Bundle:
    return Bundle.from_source(DEFAULT_PROGRAM_PATH, SHIPPED_TEMPLATE_ROOT)


def with_subject(subject: str) -> Bundle:
    return Bundle({**shipped().files, SUBJECT: subject})


def subject_in_use() -> str:
    values = dict.fromkeys(VARIABLES, "x") | dict.fromkeys(("coupon", "recommendations", "reason_urls"))
    return render("offer", "email", "en", values).subject


@pytest.fixture(autouse=True)
def shipped_templates_after() -> Iterator[None]:
    metrics.clear_metrics()
    yield
    use_templates(SHIPPED_TEMPLATE_ROOT)
    metrics.clear_metrics()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def versions() -> Versions:
    return Versions()


@pytest.fixture
def source(versions: Versions, clock: Clock, tmp_path: Path) -> ProgramSource:
    return ProgramSource(versions, "", tmp_path / "cache", monotonic=clock)


def test_until_the_first_publish_the_layers_program_runs(source: ProgramSource) -> None:
    assert source.current() is load_program()
    assert source.in_use is not None and source.in_use.origin == "layer"
    assert source.current().version == shipped().version
    assert locales.TEMPLATE_ROOT == SHIPPED_TEMPLATE_ROOT


def test_a_published_version_runs_with_its_own_templates(source: ProgramSource, versions: Versions) -> None:
    published = with_subject("Something new, {{ name }}")
    versions.publish(published)
    program = source.current()
    assert program.version == published.version
    assert subject_in_use() == "Something new, x"
    assert locales.TEMPLATE_ROOT != SHIPPED_TEMPLATE_ROOT


def test_the_pointer_is_read_at_most_once_a_minute(source: ProgramSource, versions: Versions, clock: Clock) -> None:
    """Guard: ProgramSource.current's `now - checked_at < recheck` (one GET per container per minute)."""
    versions.publish(with_subject("v1"))
    for _ in range(600):  # every 0.1 s for a minute: one read
        source.current()
        clock.now += 0.0999
    assert versions.pointer_reads == 1
    clock.now += 0.1
    source.current()
    assert versions.pointer_reads == 2
    assert versions.bundle_reads == 1  # unchanged pointer: the bundle is not read again


def test_a_new_version_is_taken_at_the_next_check(source: ProgramSource, versions: Versions, clock: Clock) -> None:
    first = versions.publish(with_subject("first"))
    assert source.current().version == first.version
    second = versions.publish(with_subject("second"))
    clock.now += 30
    assert source.current().version == first.version and subject_in_use() == "first"
    clock.now += 30
    assert source.current().version == second.version and subject_in_use() == "second"


def test_a_corrupt_bundle_keeps_the_last_good_version_and_is_counted(
    source: ProgramSource, versions: Versions, clock: Clock
) -> None:
    """Guard: the hash check in Bundle.parse and ProgramSource._keep (no switch, ProgramLoadFailed)."""
    good = versions.publish(with_subject("good"))
    source.current()
    bad = versions.publish(with_subject("tampered"), body=with_subject("good, then tampered").canonical)
    clock.now += 60
    assert source.current().version == good.version
    assert subject_in_use() == "good"
    assert LOAD_FAILED_METRIC in metrics.metric_set
    assert source.refused == {bad.version}
    reads = versions.bundle_reads
    clock.now += 60
    assert source.current().version == good.version
    assert versions.bundle_reads == reads  # refused once, never fetched again


def test_a_version_failing_its_checks_is_refused(source: ProgramSource, versions: Versions, clock: Clock) -> None:
    good = versions.publish(with_subject("good"))
    source.current()
    versions.publish(with_subject("{% if %}"))
    clock.now += 60
    assert source.current().version == good.version
    assert subject_in_use() == "good"
    assert LOAD_FAILED_METRIC in metrics.metric_set


def test_a_bundle_that_could_not_be_read_is_read_again_at_the_next_check(
    source: ProgramSource, versions: Versions, clock: Clock
) -> None:
    """Guard: ProgramSource._take forgets the ETag after a failed read (a refusal would be for good)."""
    first = versions.publish(with_subject("first"))
    source.current()
    second = versions.publish(with_subject("second"))
    versions.fail_bundle = True
    clock.now += 60
    assert source.current().version == first.version
    versions.fail_bundle = False
    clock.now += 60
    assert source.current().version == second.version
    assert source.refused == set()


def test_a_cold_container_takes_the_newest_version_that_loads(versions: Versions, clock: Clock, tmp_path: Path) -> None:
    good = versions.publish(with_subject("good"))
    versions.publish(with_subject("broken"), body=b"not a bundle")
    source = ProgramSource(versions, "", tmp_path, monotonic=clock)
    assert source.current().version == good.version
    assert subject_in_use() == "good"
    assert LOAD_FAILED_METRIC in metrics.metric_set


def test_with_nothing_that_loads_a_cold_container_raises_and_waits_a_minute(
    versions: Versions, clock: Clock, tmp_path: Path
) -> None:
    versions.publish(with_subject("broken"), body=b"{}")
    source = ProgramSource(versions, "", tmp_path, monotonic=clock)
    with pytest.raises(ProgramUnavailable):
        source.current()
    with pytest.raises(ProgramUnavailable):
        source.current()
    assert versions.pointer_reads == 1


def test_an_unreadable_pointer_keeps_the_version_in_use(
    source: ProgramSource, versions: Versions, clock: Clock
) -> None:
    good = versions.publish(with_subject("good"))
    source.current()
    versions.fail_pointer = True
    clock.now += 60
    assert source.current().version == good.version
    assert LOAD_FAILED_METRIC in metrics.metric_set


def test_a_program_file_overrides_the_bucket(versions: Versions, clock: Clock, tmp_path: Path) -> None:
    versions.publish(with_subject("published"))
    source = ProgramSource(None, str(DEFAULT_PROGRAM_PATH), tmp_path, monotonic=clock)
    assert source.current() is load_program(str(DEFAULT_PROGRAM_PATH))
    assert versions.pointer_reads == 0


def test_a_new_version_rebuilds_what_was_built_from_the_program(
    versions: Versions, clock: Clock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Guard: Deps._forget_derived (a container built its inbox channel from the earlier version)."""
    for var, value in {"ACTIVITY_TABLE": "a", "SUPPRESSION_TABLE": "s", "MESSAGING_TABLE": "m"}.items():
        monkeypatch.setenv(var, value)
    d = Deps()
    d.program_source = ProgramSource(versions, "", tmp_path, monotonic=clock)
    versions.publish(with_subject("first"))
    assert d.program.version
    inbox, pacer = d.inbox_channel, d.pacer
    versions.publish(Bundle({**with_subject("first").files, "program.yaml": _with_inbox_ttl(45)}))
    clock.now += 60
    assert d.program.inbox.ttl_days == 45
    assert d.inbox_channel is not inbox and d.pacer is pacer  # the pacing did not change


def _with_inbox_ttl(days: int) -> str:
    return DEFAULT_PROGRAM_PATH.read_text(encoding="utf-8") + f"\ninbox:\n  ttl_days: {days}\n"
