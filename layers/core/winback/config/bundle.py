"""A program version: program.yaml and its template tree as one bundle, named by its content.

A bundle is one JSON document, `{"format": 1, "files": {path: text}}`, with `program.yaml` and every
file under `templates/` (the tree `content/templates/` has in the layer: one folder per template and
locale, and `_layout/<locale>/`). Written canonically (keys sorted, compact, UTF-8), its SHA-256 names
it: the version id is the hash's first 12 hex digits. The same program and templates are the same
version wherever they come from (the layer, a folder, a rollback), and a bundle whose bytes do not
hash to its name is not the one published (`parse` refuses it).

Pure: no AWS. The functions read bundles through `adapters/program_bundles.py`; `winback program
publish` writes them.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

FORMAT = 1
PROGRAM_FILE = "program.yaml"
TEMPLATES_DIR = "templates"
VERSION_LENGTH = 12
# Bounds on what a bundle may hold (the shipped one: 67 files, 40 KB).
MAX_FILES = 2000
MAX_BYTES = 5 * 1024 * 1024
_PATH = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*(/[A-Za-z0-9_][A-Za-z0-9_.-]*)*$")
VERSION_PATTERN = rf"^[0-9a-f]{{{VERSION_LENGTH}}}$"
SHA256_PATTERN = r"^[0-9a-f]{64}$"
NAME_CHARACTERS = "A-Z a-z 0-9 _ . -"


class BundleProblem(ValueError):
    """A bundle (or the folder it is made from) that cannot be a program version; `file` names where."""

    def __init__(self, file: str, message: str) -> None:
        super().__init__(f"{file}: {message}")
        self.file = file
        self.message = message


@dataclass(frozen=True, eq=False)
class Bundle:
    """program.yaml and its templates: path (`program.yaml`, `templates/offer/en/email.html`) → text."""

    files: Mapping[str, str]

    @cached_property
    def canonical(self) -> bytes:
        document = {"format": FORMAT, "files": dict(sorted(self.files.items()))}
        return json.dumps(document, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()

    @cached_property
    def sha256(self) -> str:
        return hashlib.sha256(self.canonical).hexdigest()

    @property
    def version(self) -> str:
        return self.sha256[:VERSION_LENGTH]

    @property
    def program_text(self) -> str:
        return self.files[PROGRAM_FILE]

    def templates(self) -> dict[str, str]:
        """The template files, by their path under `templates/`."""
        prefix = f"{TEMPLATES_DIR}/"
        return {path.removeprefix(prefix): text for path, text in self.files.items() if path.startswith(prefix)}

    def materialize(self, cache_dir: Path) -> Path:
        """The bundle's template tree as files under `cache_dir/<version>/` (written once, atomically:
        a folder there is complete); returns the tree's root."""
        final = cache_dir / self.version
        if not final.is_dir():
            cache_dir.mkdir(parents=True, exist_ok=True)
            staging = Path(tempfile.mkdtemp(prefix=f".{self.version}-", dir=cache_dir))
            for path, text in self.files.items():
                target = staging / path
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(text, encoding="utf-8")
            (staging / TEMPLATES_DIR).mkdir(exist_ok=True)
            try:
                staging.rename(final)
            except OSError:  # written meanwhile by another process: theirs is the same content
                shutil.rmtree(staging, ignore_errors=True)
        return final / TEMPLATES_DIR

    @classmethod
    def parse(cls, data: bytes, expected_sha256: str | None = None) -> Bundle:
        """The bundle stored as `data`; with `expected_sha256`, only if that is what it hashes to."""
        if len(data) > MAX_BYTES:
            raise BundleProblem("bundle", f"larger than {MAX_BYTES} bytes")
        try:
            document = json.loads(data.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise BundleProblem("bundle", f"not a bundle document ({exc})") from None
        if not isinstance(document, dict) or document.get("format") != FORMAT:
            raise BundleProblem("bundle", f"not a bundle of format {FORMAT}")
        files = document.get("files")
        if not isinstance(files, dict) or not all(isinstance(v, str) for v in files.values()):
            raise BundleProblem("bundle", "its files are not a mapping of path to text")
        bundle = cls(_checked(files))
        if expected_sha256 is not None and bundle.sha256 != expected_sha256:
            raise BundleProblem("bundle", f"its content hashes to {bundle.sha256}, not {expected_sha256}")
        return bundle

    @classmethod
    def from_source(cls, source: Path, shipped_templates: Path) -> Bundle:
        """The bundle of a program folder (its `program.yaml`, and its `templates/` folder or, without
        one, `shipped_templates`) or of a program file (with `shipped_templates`)."""
        if source.is_dir():
            program_file = source / PROGRAM_FILE
            tree = source / TEMPLATES_DIR if (source / TEMPLATES_DIR).is_dir() else shipped_templates
        else:
            program_file, tree = source, shipped_templates
        files = {PROGRAM_FILE: _read(program_file, PROGRAM_FILE)}
        for path in sorted(tree.rglob("*")):
            relative = path.relative_to(tree).as_posix()
            if path.is_file() and not any(part.startswith(".") for part in relative.split("/")):
                name = f"{TEMPLATES_DIR}/{relative}"
                files[name] = _read(path, name)
        return cls(_checked(files))


def templates_source(source: Path, shipped_templates: Path) -> Path:
    """Where a program folder or file takes its templates from (see `Bundle.from_source`)."""
    if source.is_dir() and (source / TEMPLATES_DIR).is_dir():
        return source / TEMPLATES_DIR
    return shipped_templates


def _read(path: Path, name: str) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise BundleProblem(name, f"not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except OSError as exc:
        raise BundleProblem(name, exc.strerror or str(exc)) from None


def _checked(files: Mapping[str, str]) -> dict[str, str]:
    """`files`, if they can be a bundle: program.yaml, paths that stay inside the bundle, within bounds."""
    if PROGRAM_FILE not in files:
        raise BundleProblem(PROGRAM_FILE, "missing")
    for path in files:
        if path != PROGRAM_FILE and not (path.startswith(f"{TEMPLATES_DIR}/") and _PATH.match(path)):
            raise BundleProblem(path, f"a bundle holds program.yaml and templates/ files named with {NAME_CHARACTERS}")
    if len(files) > MAX_FILES:
        raise BundleProblem("bundle", f"more than {MAX_FILES} files")
    if sum(len(text.encode()) for text in files.values()) > MAX_BYTES:
        raise BundleProblem("bundle", f"larger than {MAX_BYTES} bytes")
    return dict(sorted(files.items()))
