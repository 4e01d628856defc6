"""The reasons a program would not load, as `winback validate` prints them (`make sam` runs it, so a
deploy whose program would fail at run time is never built)."""

from __future__ import annotations

from pathlib import Path


def validate_program(path: Path | None = None) -> list[str]:
    """The problems of the program folder or file at `path` (default: the shipped one), each naming its
    file, line and field; empty when it loads."""
    from winback.config.loader import DEFAULT_PROGRAM_PATH
    from winback.config.validation import problems_of
    from winback.content.locales import SHIPPED_TEMPLATE_ROOT

    return [str(problem) for problem in problems_of(path or DEFAULT_PROGRAM_PATH, SHIPPED_TEMPLATE_ROOT)]
