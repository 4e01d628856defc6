"""Audience export: per segment, the hashed identifiers of dormant users who consented to ads.

The ActivityTable is scanned one page at a time (memory: one page plus one part buffer per
segment). A user is exported when the scan marked a dormancy tier we export, the user consented to
advertising use (`consent["ads"] is True`; unknown is no), has an email or phone that survives
normalization, and `segment_of` names a segment. Each segment becomes one CSV of hashes (see
`winback.domain.audience.hashing`); the manifest, written last, lists every object and its count.
Any failure aborts the run: no manifest, and no object of this run left visible.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from pydantic import AwareDatetime, BaseModel, ConfigDict

from winback.adapters.activity_store import ActivityStore
from winback.domain.audience.hashing import AUDIENCE_COLUMNS, HASH_FORMAT, PLATFORMS, audience_row
from winback.domain.journey.addresses import address_key

if TYPE_CHECKING:
    from winback.adapters.activity_store import ActivityStore
    from winback.config.program import Program
    from winback.models.profile import Profile

DEFAULT_PAGE_SIZE = 1000
MANIFEST_VERSION = 1


class SegmentWriter(Protocol):
    key: str

    def write(self, row: Sequence[str]) -> None: ...

    def close(self) -> int: ...


class RunSink(Protocol):
    def start(self) -> None: ...

    def open_segment(self, segment: str, columns: Sequence[str]) -> SegmentWriter: ...

    def publish_manifest(self, body: str) -> str: ...

    def abort(self) -> None: ...


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class ExportFormat(_Frozen):
    content_type: str = "text/csv"
    encoding: str = "utf-8"
    header: bool = True
    columns: tuple[str, ...] = AUDIENCE_COLUMNS
    hash: str = HASH_FORMAT
    platforms: tuple[str, ...] = PLATFORMS


class ExportedObject(_Frozen):
    segment: str
    key: str
    rows: int
    bytes: int


class AudienceManifest(_Frozen):
    """What a consumer reads first: every object of the run, with its row count."""

    version: int = MANIFEST_VERSION
    run_id: str
    generated_at: AwareDatetime
    format: ExportFormat = ExportFormat()
    segments: dict[str, int]
    objects: tuple[ExportedObject, ...]
    total_rows: int


@dataclass
class ExportResult:
    run_id: str
    manifest_key: str
    counts: dict[str, int]
    objects: tuple[ExportedObject, ...]
    tally: Counter[str] = field(default_factory=Counter)


def _segment_for(
    profile: Profile, tiers: Collection[str], segment_of: Callable[[Profile], str | None], tally: Counter[str]
) -> str | None:
    if profile.tier is None or profile.tier not in tiers:
        tally["not_dormant"] += 1
        return None
    if profile.consent.get("ads") is not True:
        tally["no_ads_consent"] += 1
        return None
    segment = segment_of(profile)
    if segment is None:
        tally["no_segment"] += 1
    return segment


def _address_keys(profile: Profile) -> list[str]:
    keys = [address_key("email", profile.email)] if profile.email else []
    return keys + ([address_key("sms", profile.phone)] if profile.phone else [])


@dataclass
class _Run:
    """One export run's writers and counts, fed one page of profiles at a time."""

    sink: RunSink
    segment_of: Callable[[Profile], str | None]
    tiers: Collection[str]
    suppressed: Callable[[Iterable[str]], set[str]] | None
    max_failed_journeys: int | None
    writers: dict[str, SegmentWriter] = field(default_factory=dict)
    counts: Counter[str] = field(default_factory=Counter)
    tally: Counter[str] = field(default_factory=Counter)

    def add_page(self, profiles: Sequence[Profile]) -> None:
        self.tally["pages"] += 1
        self.tally["scanned"] += len(profiles)
        chosen = [(p, s) for p in profiles if (s := self._segment(p)) is not None]
        refused = self._refused(chosen)
        for profile, segment in chosen:
            row = self._row(profile, refused)
            if row is not None:
                self._writer(segment).write(row)
                self.counts[segment] += 1

    def _segment(self, profile: Profile) -> str | None:
        return _segment_for(profile, self.tiers, self.segment_of, self.tally)

    def _refused(self, chosen: list[tuple[Profile, str]]) -> set[str]:
        """The address keys among the page's chosen users that are suppressed (one read per page)."""
        if self.suppressed is None or not chosen:
            return set()
        return self.suppressed([k for p, _ in chosen for k in _address_keys(p)])

    def _row(self, profile: Profile, refused: set[str]) -> tuple[str, ...] | None:
        if self.max_failed_journeys is not None and profile.journeys.failed >= self.max_failed_journeys:
            self.tally["sunset"] += 1
            return None
        if refused.intersection(_address_keys(profile)):
            self.tally["suppressed"] += 1
            return None
        row = audience_row(profile.email, profile.phone)
        if row is None:
            self.tally["no_identifier"] += 1
        return row

    def _writer(self, segment: str) -> SegmentWriter:
        writer = self.writers.get(segment)
        if writer is None:
            writer = self.writers[segment] = self.sink.open_segment(segment, AUDIENCE_COLUMNS)
        return writer

    def publish(self, run_id: str, now: datetime) -> tuple[str, tuple[ExportedObject, ...]]:
        """Close every segment's object, then write the manifest that lists them (last)."""
        objects = tuple(
            ExportedObject(segment=segment, key=writer.key, rows=self.counts[segment], bytes=writer.close())
            for segment, writer in sorted(self.writers.items())
        )
        manifest = AudienceManifest(
            run_id=run_id,
            generated_at=now,
            segments=dict(sorted(self.counts.items())),
            objects=objects,
            total_rows=sum(self.counts.values()),
        )
        return self.sink.publish_manifest(manifest.model_dump_json(indent=2)), objects


def export_audiences(
    store: ActivityStore,
    sink_factory: Callable[[str], RunSink],
    segment_of: Callable[[Profile], str | None],
    tiers: Collection[str],
    run_id: str,
    now: datetime,
    *,
    page_size: int = DEFAULT_PAGE_SIZE,
    suppressed: Callable[[Iterable[str]], set[str]] | None = None,
    max_failed_journeys: int | None = None,
) -> ExportResult:
    """Export one run; running it again with the same run id rewrites the same objects.

    A user who refused (an email or phone in `suppressed`, read once per page) or was sunset (at
    least `max_failed_journeys` failed journeys) is not exported, whatever their ads consent says."""
    run = _Run(sink_factory(run_id), segment_of, tiers, suppressed, max_failed_journeys)
    try:
        run.sink.start()
        key = None
        while True:
            page = store.scan_page(0, 1, key, page_size)
            run.add_page(page.profiles)
            key = page.next_key
            if not key:
                break
        manifest_key, objects = run.publish(run_id, now)
    except BaseException:
        run.sink.abort()
        raise
    run.tally["exported"] = sum(run.counts.values())
    return ExportResult(
        run_id=run_id, manifest_key=manifest_key, counts=dict(run.counts), objects=objects, tally=run.tally
    )


def current_segment(profile: Profile) -> str | None:
    """The user's segment in their current win-back (RFM group); tier-less users are not exported."""
    if profile.tier is None:
        return None
    a = profile.assignment
    return a.segment if a is not None and a.tier == profile.tier else profile.tier


def export_run_id(as_of: datetime) -> str:
    """The scheduled run's id: a retried invocation rewrites the same objects."""
    return f"export-{as_of:%Y%m%dT%H%M%SZ}"


def export_scheduled(
    as_of: datetime,
    store: ActivityStore,
    sink_factory: Callable[[str], RunSink],
    program: Program,
    now: datetime,
    suppressed: Callable[[Iterable[str]], set[str]] | None = None,
) -> ExportResult:
    """The weekly export: every dormancy tier of the program, users in their current segment, none
    who is suppressed or sunset."""
    tiers = program.dormancy.tier_names()
    return export_audiences(
        store,
        sink_factory,
        current_segment,
        tiers,
        run_id=export_run_id(as_of),
        now=now,
        suppressed=suppressed,
        max_failed_journeys=program.sunset.max_failed_journeys,
    )
