"""`winback validate-program [PATH]`: load program.yaml as a function would (schema, default locale,
every template of every campaign step in every locale), so that `make sam` and CI refuse to build
a deploy whose program would fail at run time. Exit 0 when it loads, 1 with the reasons otherwise."""

from __future__ import annotations

import sys
from pathlib import Path


def validate_program(path: Path | None = None) -> list[str]:
    """The reasons the program at `path` (default: the shipped one) would not load; empty when it does."""
    from pydantic import ValidationError

    from winback.config.loader import DEFAULT_PROGRAM_PATH, load_program

    source = path or DEFAULT_PROGRAM_PATH
    load_program.cache_clear()
    try:
        load_program(str(source))
    except ValidationError as exc:
        return [f"{'.'.join(str(p) for p in e['loc']) or 'program'}: {e['msg']}" for e in exc.errors()]
    except Exception as exc:  # YAML syntax, a missing file or template, a template error
        return [f"{type(exc).__name__}: {exc}"]
    finally:
        load_program.cache_clear()
    return []


def run(path: Path | None) -> int:
    problems = validate_program(path)
    for problem in problems:
        print(f"winback: program invalid: {problem}", file=sys.stderr)
    if not problems:
        print(f"program {path or 'shipped with the layer'}: valid")
    return 1 if problems else 0
