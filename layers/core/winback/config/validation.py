"""Every load-time check of a program version at once, each problem named by file, line and field.

The loader (config/loader.py) stops at the first problem, which is all a function needs to refuse a
version; `winback validate` and `winback program publish` show them all, where an operator can fix
them: `program.yaml:42: campaigns.1.steps.0.template: ...`, `templates/offer/en/email.html:7: ...`.
The checks are the loader's: the schema, the default locale, every locale's texts, every template
file, and every template every campaign needs, in every locale.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pydantic import ValidationError

    from winback.config.bundle import Bundle
    from winback.config.program import Program
    from winback.content.rendering import TemplateIssue

Location = tuple[str | int, ...]


@dataclass(frozen=True)
class Problem:
    """One reason a program version would not load."""

    file: str
    message: str
    line: int | None = None
    column: int | None = None
    field: str = ""

    def __str__(self) -> str:
        where = self.file + "".join(f":{n}" for n in (self.line, self.column) if n is not None)
        return f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"


@dataclass(frozen=True)
class Labels:
    """How problems name the files: the program file, and the folder its templates come from."""

    program: str = "program.yaml"
    templates: str = "templates"


def check_bundle(bundle: Bundle, templates: Path, labels: Labels = Labels()) -> list[Problem]:
    """Every problem of `bundle`, whose template tree is written at `templates`."""
    import yaml

    text = bundle.program_text
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        return [_yaml_problem(exc, labels.program)]
    lines = yaml_lines(text)
    program, problems = _schema(data, lines, labels.program)
    problems += _locale_problems(program, templates, lines, labels)
    problems += _template_problems(program, templates, lines, labels)
    return _unique(problems)


def yaml_lines(text: str) -> dict[Location, int]:
    """The line (from 1) each key and list item of a YAML document starts on, by its path."""
    import yaml

    found: dict[Location, int] = {}
    root = yaml.compose(text, Loader=yaml.SafeLoader)
    pending: list[tuple[Location, Any]] = [((), root)] if root is not None else []
    while pending:
        path, node = pending.pop()
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                child = (*path, str(key.value))
                found[child] = key.start_mark.line + 1
                pending.append((child, value))
        elif isinstance(node, yaml.SequenceNode):
            for index, value in enumerate(node.value):
                found[(*path, index)] = value.start_mark.line + 1
                pending.append(((*path, index), value))
    return found


def line_of(location: Location, lines: Mapping[Location, int]) -> int | None:
    """The line of the deepest part of `location` the document has (a validator's own names, such as
    a union's tag, are skipped)."""
    path: Location = ()
    line = None
    for part in location:
        if (*path, part) in lines:
            path = (*path, part)
            line = lines[path]
    return line


def _yaml_problem(exc: Exception, file: str) -> Problem:
    mark = getattr(exc, "problem_mark", None)
    words = "; ".join(str(w) for w in (getattr(exc, "context", None), getattr(exc, "problem", None)) if w)
    if mark is None:
        return Problem(file, words or str(exc))
    return Problem(file, words or str(exc), mark.line + 1, mark.column + 1)


def _schema(data: Any, lines: Mapping[Location, int], file: str) -> tuple[Program | None, list[Problem]]:
    from pydantic import ValidationError

    from winback.config.program import Program

    try:
        return Program.model_validate(data), []
    except ValidationError as exc:
        return None, _validation_problems(exc, lines, file)


def _validation_problems(exc: ValidationError, lines: Mapping[Location, int], file: str) -> list[Problem]:
    problems = []
    for error in exc.errors():
        location: Location = tuple(error["loc"])
        field = ".".join(str(part) for part in location)
        problems.append(Problem(file, error["msg"], line_of(location, lines), field=field))
    return problems


def _locale_problems(
    program: Program | None, templates: Path, lines: Mapping[Location, int], labels: Labels
) -> list[Problem]:
    from pydantic import ValidationError

    from winback.config.loader import check_default_locale
    from winback.content.locales import missing_texts

    missing = missing_texts(templates)
    problems = [Problem(f"{labels.templates}/{path}", "missing (every locale folder holds it)") for path in missing]
    if program is not None:
        try:
            check_default_locale(program, templates)
        except ValidationError as exc:
            problems += _validation_problems(exc, lines, labels.program)
    return problems


def _template_problems(
    program: Program | None, templates: Path, lines: Mapping[Location, int], labels: Labels
) -> list[Problem]:
    from winback.config.loader import campaign_templates
    from winback.content.rendering import MISSING, template_issues, template_scan, tree_issues

    scan = template_scan(templates)
    problems = [_issue_problem(issue, labels) for issue in tree_issues(templates, scan)]
    missing: dict[str, list[str]] = {}  # file -> the campaigns that need it
    for index, campaign in enumerate(program.campaigns if program is not None else ()):
        owner = f"campaign {campaign.id} ({labels.program}:{line_of(('campaigns', index), lines)})"
        for issue in template_issues(owner, campaign_templates(campaign), campaign.channels, templates, scan):
            if issue.message == MISSING:
                missing.setdefault(issue.file, []).append(owner)
            else:
                problems.append(_issue_problem(issue, labels))
    needed = [Problem(f"{labels.templates}/{f}", f"missing, needed by {', '.join(o)}") for f, o in missing.items()]
    return problems + needed


def _issue_problem(issue: TemplateIssue, labels: Labels) -> Problem:
    return Problem(f"{labels.templates}/{issue.file}", issue.message, issue.line)


def _unique(problems: list[Problem]) -> list[Problem]:
    """Each problem once (a layout's problem is found again through every template that extends it)."""
    return list(dict.fromkeys(problems))


def problems_of(source: Path, shipped_templates: Path) -> Iterator[Problem]:
    """Every problem of the program folder or file at `source` (config/bundle.py: a folder without
    `templates/`, and a file, take `shipped_templates`), checked as the bundle it would publish."""
    import tempfile

    from winback.config.bundle import Bundle, BundleProblem, templates_source

    tree = templates_source(source, shipped_templates)
    program_file = source / "program.yaml" if source.is_dir() else source
    labels = Labels(program=str(program_file), templates=str(tree))
    try:
        bundle = Bundle.from_source(source, shipped_templates)
    except BundleProblem as exc:
        yield Problem(_label(exc.file, labels), exc.message)
        return
    with tempfile.TemporaryDirectory() as scratch:
        yield from check_bundle(bundle, bundle.materialize(Path(scratch)), labels)


def _label(file: str, labels: Labels) -> str:
    from winback.config.bundle import PROGRAM_FILE, TEMPLATES_DIR

    if file == PROGRAM_FILE:
        return labels.program
    if file.startswith(f"{TEMPLATES_DIR}/"):
        return f"{labels.templates}/{file.removeprefix(TEMPLATES_DIR + '/')}"
    return file
