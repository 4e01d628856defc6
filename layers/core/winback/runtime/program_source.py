"""The program a function runs, and the template tree it renders from.

With a program bucket (PROGRAM_BUCKET, as template.yaml sets it), the published version: the pointer
is read on first use and then at most once a minute (a conditional GET: 304 with no body while it is
unchanged), never per message; a new version's bundle is read once, its hash checked, its program and
templates validated as `winback validate` does, and only then used. A version that cannot be read or
fails its checks is refused (logged, and counted in `ProgramLoadFailed`): the container keeps the
version it has; a container that has none yet takes the newest published version that loads. Until
the first publish the pointer is absent, and the program shipped with the layer runs.

Without a bucket, or with WINBACK_PROGRAM_PATH (development and tests), the file: that path, or the
layer's program.yaml.

Each version a container starts using is logged (`program version in use`), counted (`ProgramLoaded`,
the version in the metric's metadata), and from then on named on every log line (`program_version`);
the sends of each version are counted as `Send_program_<version>` (services/send/record.py).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from winback.runtime.observability import logger, metrics

if TYPE_CHECKING:
    from winback.config.program import Program
    from winback.models.program_release import Pointer, ProgramRelease, Unchanged

RECHECK_SECONDS = 60.0
# How far back in the history a container with no version yet looks for one that loads.
FALLBACK_ENTRIES = 10
LOAD_FAILED_METRIC = "ProgramLoadFailed"
LOADED_METRIC = "ProgramLoaded"


class PublishedVersions(Protocol):
    """What the source reads of the published versions (adapters/program_bundles.py reads ProgramBucket)."""

    def pointer(self, etag: str | None = None) -> Pointer | Unchanged | None: ...
    def bundle(self, version: str) -> bytes: ...
    def history_keys(self) -> list[str]: ...
    def release(self, key: str) -> ProgramRelease: ...


class ProgramUnavailable(RuntimeError):
    """No program version could be loaded, and the container has none to keep using."""


@dataclass(frozen=True)
class InUse:
    program: Program
    templates: Path
    origin: str  # "published", "layer" (nothing published yet) or "file" (WINBACK_PROGRAM_PATH)


class ProgramSource:
    """The program in use. `monotonic` (seconds) is the clock that decides when the pointer is read
    again; tests move it instead of sleeping."""

    def __init__(
        self,
        bundles: PublishedVersions | None,
        path: str,
        cache_dir: Path,
        monotonic: Callable[[], float] = time.monotonic,
        recheck_seconds: float = RECHECK_SECONDS,
    ) -> None:
        self._bundles = bundles
        self._path = path
        self._cache_dir = cache_dir
        self.monotonic = monotonic
        self._recheck = recheck_seconds
        self._in_use: InUse | None = None
        self._checked_at: float | None = None
        self._etag: str | None = None
        self._unavailable: ProgramUnavailable | None = None
        self.refused: set[str] = set()  # versions that did not load (immutable: never tried again)

    @property
    def in_use(self) -> InUse | None:
        return self._in_use

    def current(self) -> Program:
        if self._bundles is None:
            return self._from_file()
        now = self.monotonic()
        if self._checked_at is not None and now - self._checked_at < self._recheck:
            if self._in_use is not None:
                return self._in_use.program
            assert self._unavailable is not None
            raise self._unavailable
        self._checked_at = now
        return self._check(self._bundles).program

    def _from_file(self) -> Program:
        from winback.config.loader import load_program
        from winback.content.locales import TEMPLATE_ROOT

        program = load_program(self._path)
        if self._in_use is None or self._in_use.program is not program:
            self._switch(InUse(program, TEMPLATE_ROOT, "file"), activate=False)
        return program

    def _check(self, bundles: PublishedVersions) -> InUse:
        from winback.models.program_release import Unchanged

        in_use = self._in_use
        try:
            pointer = bundles.pointer(self._etag if in_use is not None else None)
        except Exception as exc:  # unreachable, denied, or not a release: keep what runs
            return self._keep(bundles, "the program pointer could not be read", exc)
        if isinstance(pointer, Unchanged) and in_use is not None:
            return in_use
        if pointer is None or isinstance(pointer, Unchanged):  # nothing published: the layer's program
            self._etag = None
            return in_use if in_use is not None and in_use.origin == "layer" else self._switch(self._layer())
        self._etag = pointer.etag
        release = pointer.release
        if in_use is not None and in_use.program.version == release.version:
            return in_use
        if release.version in self.refused:
            return self._keep(bundles, f"program version {release.version} was refused before", None)
        return self._take(bundles, release)

    def _take(self, bundles: PublishedVersions, release: ProgramRelease) -> InUse:
        """Switch to `release`'s version, or keep the one in use: read again in a minute if its bundle
        could not be read, refused for good if it does not load (a bundle never changes)."""
        try:
            data = bundles.bundle(release.version)
        except Exception as exc:  # unreachable, or missing: the pointer is read again next time
            self._etag = None
            return self._keep(bundles, f"program version {release.version} could not be read", exc)
        try:
            loaded = self._load(data, release)
        except Exception as exc:  # corrupt, not the bundle published under that name, or failing a check
            self.refused.add(release.version)
            return self._keep(bundles, f"program version {release.version} did not load", exc)
        return self._switch(loaded)

    def _load(self, data: bytes, release: ProgramRelease) -> InUse:
        from winback.config.bundle import Bundle
        from winback.config.loader import load_bundle

        program, templates = load_bundle(Bundle.parse(data, release.sha256), self._cache_dir)
        return InUse(program, templates, "published")

    def _layer(self) -> InUse:
        from winback.config.loader import load_program
        from winback.content.locales import SHIPPED_TEMPLATE_ROOT
        from winback.content.rendering import use_templates

        use_templates(SHIPPED_TEMPLATE_ROOT)
        return InUse(load_program(), SHIPPED_TEMPLATE_ROOT, "layer")

    def _keep(self, bundles: PublishedVersions, why: str, exc: Exception | None) -> InUse:
        """The version in use, after a newer one could not be read or loaded; a container without
        one takes the newest published version that loads, or raises ProgramUnavailable."""
        from aws_lambda_powertools.metrics import MetricUnit

        metrics.add_metric(name=LOAD_FAILED_METRIC, unit=MetricUnit.Count, value=1)
        kept = self._in_use.program.version if self._in_use is not None else None
        logger.error(f"{why}; keeping the version in use", extra={"kept_version": kept, "error": repr(exc)})
        if self._in_use is not None:
            return self._in_use
        fallback = self._newest_that_loads(bundles)
        if fallback is None:
            self._unavailable = ProgramUnavailable(f"{why}, and no published version loads")
            raise self._unavailable
        return self._switch(fallback)

    def _newest_that_loads(self, bundles: PublishedVersions) -> InUse | None:
        try:
            keys = bundles.history_keys()[-FALLBACK_ENTRIES:]
        except Exception:
            logger.exception("the program history could not be read")
            return None
        for key in reversed(keys):
            try:
                release = bundles.release(key)
            except Exception:
                logger.exception("a program history entry could not be read", extra={"entry": key})
                continue
            if release.version in self.refused:
                continue
            try:
                return self._load(bundles.bundle(release.version), release)
            except Exception:
                logger.exception("an earlier program version did not load either", extra={"version": release.version})
                self.refused.add(release.version)
        return None

    def _switch(self, loaded: InUse, *, activate: bool = True) -> InUse:
        from aws_lambda_powertools.metrics import MetricUnit

        from winback.content.rendering import use_templates

        if activate:
            use_templates(loaded.templates)
        previous = self._in_use.program.version if self._in_use is not None else None
        self._in_use, self._unavailable = loaded, None
        version = loaded.program.version
        logger.append_keys(program_version=version)
        logger.info("program version in use", extra={"origin": loaded.origin, "replaced_version": previous})
        # Flushed with the invocation's metrics; the version rides along as EMF metadata.
        metrics.add_metric(name=LOADED_METRIC, unit=MetricUnit.Count, value=1)
        metrics.add_metadata(key="program_version", value=version)
        return loaded
