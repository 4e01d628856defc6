"""config/bundle.py: a program version is program.yaml and its templates in one document, named by the
SHA-256 of its canonical form; a bundle that does not hash to its name, or whose paths leave the tree,
is refused."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest

from winback.config.bundle import MAX_BYTES, PROGRAM_FILE, Bundle, BundleProblem, templates_source
from winback.config.loader import DEFAULT_PROGRAM_PATH, load_bundle, load_program
from winback.content.locales import SHIPPED_TEMPLATE_ROOT


def shipped() -> Bundle:
    return Bundle.from_source(DEFAULT_PROGRAM_PATH, SHIPPED_TEMPLATE_ROOT)


def folder(tmp_path: Path, *, templates: bool = True) -> Path:
    root = tmp_path / "program"
    root.mkdir()
    shutil.copy(DEFAULT_PROGRAM_PATH, root / PROGRAM_FILE)
    if templates:
        shutil.copytree(SHIPPED_TEMPLATE_ROOT, root / "templates")
    return root


def test_the_version_is_the_hash_of_the_canonical_document() -> None:
    bundle = shipped()
    document = json.loads(bundle.canonical)
    assert document["format"] == 1 and document["files"][PROGRAM_FILE] == DEFAULT_PROGRAM_PATH.read_text()
    assert bundle.sha256 == hashlib.sha256(bundle.canonical).hexdigest()
    assert bundle.version == bundle.sha256[:12]
    assert b" " not in bundle.canonical.split(b'"files"')[0]  # compact


def test_the_same_program_and_templates_are_the_same_version_wherever_they_come_from(tmp_path: Path) -> None:
    assert Bundle.from_source(folder(tmp_path), SHIPPED_TEMPLATE_ROOT).version == shipped().version
    assert load_program().version == shipped().version
    assert Bundle(dict(reversed(list(shipped().files.items())))).version == shipped().version


def test_a_folder_without_templates_takes_the_layers(tmp_path: Path) -> None:
    root = folder(tmp_path, templates=False)
    assert templates_source(root, SHIPPED_TEMPLATE_ROOT) == SHIPPED_TEMPLATE_ROOT
    assert Bundle.from_source(root, SHIPPED_TEMPLATE_ROOT).files == shipped().files


def test_a_changed_template_is_another_version(tmp_path: Path) -> None:
    root = folder(tmp_path)
    (root / "templates/offer/en/subject.txt").write_text("Changed", encoding="utf-8")
    changed = Bundle.from_source(root, SHIPPED_TEMPLATE_ROOT)
    assert changed.version != shipped().version
    assert changed.templates()["offer/en/subject.txt"] == "Changed"


def test_hidden_files_are_left_out_and_odd_names_refused(tmp_path: Path) -> None:
    root = folder(tmp_path)
    (root / "templates/.DS_Store").write_bytes(b"\0\1")
    assert Bundle.from_source(root, SHIPPED_TEMPLATE_ROOT).version == shipped().version
    (root / "templates/offer/en/email copy.html").write_text("x", encoding="utf-8")
    with pytest.raises(BundleProblem, match=r"email copy\.html"):
        Bundle.from_source(root, SHIPPED_TEMPLATE_ROOT)


def test_a_template_that_is_not_utf8_is_named(tmp_path: Path) -> None:
    root = folder(tmp_path)
    (root / "templates/offer/en/sms.txt").write_bytes("Zurück".encode("latin-1"))
    with pytest.raises(BundleProblem, match=r"templates/offer/en/sms\.txt: not UTF-8"):
        Bundle.from_source(root, SHIPPED_TEMPLATE_ROOT)


def test_parse_round_trips_and_checks_the_hash() -> None:
    bundle = shipped()
    assert Bundle.parse(bundle.canonical, bundle.sha256).files == bundle.files
    other = Bundle({**bundle.files, "templates/offer/en/subject.txt": "Tampered"})
    with pytest.raises(BundleProblem, match="hashes to"):
        Bundle.parse(other.canonical, bundle.sha256)


@pytest.mark.parametrize(
    "files",
    [
        {"templates/x.txt": "no program"},
        {PROGRAM_FILE: "", "templates/../../etc/passwd": "x"},
        {PROGRAM_FILE: "", "/etc/passwd": "x"},
        {PROGRAM_FILE: "", "templates/./x": "x"},
        {PROGRAM_FILE: "", "elsewhere/x.txt": "x"},
        {PROGRAM_FILE: "", "templates/x.txt": "x" * (MAX_BYTES + 1)},
    ],
    ids=["no-program", "parent", "absolute", "dot", "outside-templates", "too-big"],
)
def test_a_bundle_whose_files_cannot_be_a_program_version_is_refused(files: dict[str, str]) -> None:
    """Guard: bundle._checked (a path from S3 is written under the cache folder: none may leave it)."""
    data = json.dumps({"format": 1, "files": files}).encode()
    with pytest.raises(BundleProblem):
        Bundle.parse(data)


@pytest.mark.parametrize("data", [b"\xff", b"[]", b'{"format": 2, "files": {}}', b'{"format": 1, "files": {"a": 1}}'])
def test_what_is_not_a_bundle_document_is_refused(data: bytes) -> None:
    with pytest.raises(BundleProblem):
        Bundle.parse(data)


def test_materialize_writes_the_tree_once(tmp_path: Path) -> None:
    bundle = shipped()
    root = bundle.materialize(tmp_path)
    assert root == tmp_path / bundle.version / "templates"
    assert (root / "offer/en/subject.txt").read_text() == (SHIPPED_TEMPLATE_ROOT / "offer/en/subject.txt").read_text()
    assert bundle.materialize(tmp_path) == root
    assert [p.name for p in tmp_path.iterdir()] == [bundle.version]  # no staging folder left behind


def test_a_bundle_loads_with_its_own_templates(tmp_path: Path) -> None:
    program, templates = load_bundle(shipped(), tmp_path)
    assert program.version == shipped().version and templates.is_dir()
