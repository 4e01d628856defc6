"""`winback validate-program`, which `make sam` runs before building a deploy."""

from __future__ import annotations

from pathlib import Path

import pytest

from winback.config.loader import DEFAULT_PROGRAM_PATH
from winback_dev.cli import main
from winback_dev.validate_program import validate_program


def test_the_shipped_program_is_valid() -> None:
    assert validate_program() == []
    assert main(["validate-program"]) == 0


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (lambda t: t.replace("brand:", "brand: [unclosed\nx:", 1), "parsing"),
        (lambda t: t.replace("{template: nostalgic}", "{template: no-such-template}", 1), "no-such-template"),
        (lambda t: t.replace("id: lapsing-nudge", "id: lapsing-nudge\n    surprise: 1", 1), "surprise"),
    ],
    ids=["yaml-syntax", "missing-template", "unknown-field"],
)
def test_a_broken_program_fails_with_its_reason(tmp_path: Path, edit: object, expected: str) -> None:
    """Guard: validate_program loads the program and its templates as a function would."""
    path = tmp_path / "program.yaml"
    path.write_text(edit(DEFAULT_PROGRAM_PATH.read_text(encoding="utf-8")), encoding="utf-8")  # type: ignore[operator]
    problems = validate_program(path)
    assert problems and expected.lower() in " ".join(problems).lower()
    assert main(["validate-program", str(path)]) == 1
