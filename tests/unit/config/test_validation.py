"""config/validation.py (what `winback validate` prints): every load-time problem of a program folder,
each naming its file, its line and, for program.yaml, the field."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from winback.config.loader import DEFAULT_PROGRAM_PATH
from winback.config.validation import Problem, line_of, problems_of, yaml_lines
from winback.content.locales import SHIPPED_TEMPLATE_ROOT


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """A copy of the shipped program with its templates."""
    folder = tmp_path / "program"
    folder.mkdir()
    shutil.copy(DEFAULT_PROGRAM_PATH, folder / "program.yaml")
    shutil.copytree(SHIPPED_TEMPLATE_ROOT, folder / "templates")
    return folder


def problems(root: Path) -> list[Problem]:
    return list(problems_of(root, SHIPPED_TEMPLATE_ROOT))


def edit(path: Path, old: str, new: str) -> int:
    """Replace `old` once; the line (from 1) it was on."""
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return text[: text.index(old)].count("\n") + 1


def test_the_shipped_program_has_no_problem(root: Path) -> None:
    assert problems(root) == []
    assert list(problems_of(DEFAULT_PROGRAM_PATH, SHIPPED_TEMPLATE_ROOT)) == []


def test_a_yaml_syntax_error_names_line_and_column(root: Path) -> None:
    line = edit(root / "program.yaml", "brand:", "brand: [unclosed\nx:")
    (problem,) = problems(root)
    assert problem.file == str(root / "program.yaml")
    assert problem.line == line + 1 and problem.column is not None
    assert "parsing" in problem.message


def test_a_schema_error_names_the_field_and_its_line(root: Path) -> None:
    line = edit(root / "program.yaml", "after_days: 90", "after_days: ninety")
    (problem,) = problems(root)
    assert (problem.field, problem.line) == ("dormancy.tiers.1.after_days", line)
    assert str(problem).startswith(f"{root}/program.yaml:{line}: dormancy.tiers.1.after_days: ")


def test_every_schema_error_is_listed(root: Path) -> None:
    edit(root / "program.yaml", "after_days: 90", "after_days: ninety")
    edit(root / "program.yaml", "id: lapsing-nudge", "id: lapsing-nudge\n    surprise: 1")
    assert {p.field for p in problems(root)} == {"dormancy.tiers.1.after_days", "campaigns.0.surprise"}


def test_an_unknown_variable_names_the_template_and_its_line(root: Path) -> None:
    line = edit(root / "templates/offer/en/email.html", "{{ brand }}", "{{ brnad }}")
    (problem,) = problems(root)
    assert (problem.file, problem.line) == (f"{root}/templates/offer/en/email.html", line)
    assert "brnad" in problem.message


def test_a_syntax_error_in_a_layout_is_listed_once(root: Path) -> None:
    """A layout is reached through every template that extends it: one problem, not one per template."""
    edit(root / "templates/_layout/en/email.html", "{% if recommendations %}", "{% if recommendations %")
    found = problems(root)
    assert [p.file for p in found] == [f"{root}/templates/_layout/en/email.html"]
    assert found[0].line is not None and "does not parse" in found[0].message


def test_a_missing_template_names_the_campaign_that_needs_it(root: Path) -> None:
    (root / "templates/lastchance/zh-CN/sms.txt").unlink()
    (problem,) = problems(root)
    assert problem.file == f"{root}/templates/lastchance/zh-CN/sms.txt"
    assert problem.message.startswith("missing, needed by campaign ")
    assert f"{root}/program.yaml:" in problem.message


def test_a_locale_without_its_texts_is_named(root: Path) -> None:
    shutil.copytree(root / "templates/_layout/en", root / "templates/_layout/ja")
    (root / "templates/_layout/ja/sms_opt_out.txt").unlink()
    found = problems(root)
    assert f"{root}/templates/_layout/ja/sms_opt_out.txt" in [p.file for p in found]


def test_a_default_locale_without_a_folder_is_named(root: Path) -> None:
    line = edit(root / "program.yaml", "default_locale: en", "default_locale: ja")
    (problem,) = problems(root)
    assert (problem.field, problem.line) == ("default_locale", line)


def test_a_missing_program_file_is_a_problem(tmp_path: Path) -> None:
    (problem,) = problems(tmp_path)
    assert problem.file == f"{tmp_path}/program.yaml"


def test_a_location_maps_to_the_deepest_line_the_document_has() -> None:
    lines = yaml_lines("a:\n  b:\n    - x: 1\n    - y: 2\n")
    assert lines[("a", "b", 1, "y")] == 4
    assert line_of(("a", "b", 1, "function-after[check]", "y"), lines) == 4
    assert line_of(("a", "nope"), lines) == 1
