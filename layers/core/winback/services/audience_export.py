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
    sink = sink_factory(run_id)
    writers: dict[str, SegmentWriter] = {}
    counts: Counter[str] = Counter()
    tally: Counter[str] = Counter()
    try:
        sink.start()
        key = None
        while True:
            page = store.scan_page(0, 1, key, page_size)
            tally["pages"] += 1
            tally["scanned"] += len(page.profiles)
            chosen = [(p, s) for p in page.profiles if (s := _segment_for(p, tiers, segment_of, tally)) is not None]
            refused = suppressed([k for p, _ in chosen for k in _address_keys(p)]) if suppressed and chosen else set()
            for profile, segment in chosen:
                if max_failed_journeys is not None and profile.journeys.failed >= max_failed_journeys:
                    tally["sunset"] += 1
                    continue
                if refused.intersection(_address_keys(profile)):
                    tally["suppressed"] += 1
                    continue
                row = audience_row(profile.email, profile.phone)
                if row is None:
                    tally["no_identifier"] += 1
                    continue
                writer = writers.get(segment)
                if writer is None:
                    writer = writers[segment] = sink.open_segment(segment, AUDIENCE_COLUMNS)
                writer.write(row)
                counts[segment] += 1
            key = page.next_key
            if not key:
                break
        objects = tuple(
            ExportedObject(segment=segment, key=writer.key, rows=counts[segment], bytes=writer.close())
            for segment, writer in sorted(writers.items())
        )
        manifest = AudienceManifest(
            run_id=run_id,
            generated_at=now,
            segments=dict(sorted(counts.items())),
            objects=objects,
            total_rows=sum(counts.values()),
        )
        manifest_key = sink.publish_manifest(manifest.model_dump_json(indent=2))
    except BaseException:
        sink.abort()
        raise
    tally["exported"] = sum(counts.values())
    return ExportResult(run_id=run_id, manifest_key=manifest_key, counts=dict(counts), objects=objects, tally=tally)


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
    tiers = {tier.name for tier in program.dormancy.tiers}
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
