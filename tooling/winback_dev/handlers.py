"""Loading the Lambda handlers from functions/<name>/app.py, the way Lambda does: by file.

Every function's module is called `app`, so each is loaded under its own name instead of
through sys.path, which would make them shadow one another.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]
FUNCTIONS = (
    "ingest",
    "plan",
    "scan",
    "send",
    "feedback",
    "unsubscribe",
    "release",
    "stats",
    "reasons",
    "inbox",
    "report",
    "export",
    "sweep",
    "privacy",
    "segment",
    "backfill",
    "preferences",
)

Handler = Callable[[dict[str, Any], Any], Any]


@cache
def load_module(name: str) -> ModuleType:
    if name not in FUNCTIONS:
        raise KeyError(name)
    path = REPO_ROOT / "functions" / name / "app.py"
    spec = importlib.util.spec_from_file_location(f"winback_functions.{name}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def handler(name: str) -> Handler:
    fn: Handler = load_module(name).lambda_handler
    return fn
