"""Benchmark 4: handler import time (the code part of a cold start), each in a fresh interpreter.

Each handler file is loaded the way Lambda (and winback_dev.handlers) does, by file, in a new
subprocess of this venv's python; the time to import the module is measured inside the child.
Interpreter start-up is reported apart. One handler is also run under ``-X importtime``.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from typing import Any

from bench.env import BASE_ENV
from bench.moto_server import REPO_ROOT
from winback_dev.handlers import FUNCTIONS

RUNS = 5
IMPORTTIME_FUNCTION = "ingest"
DEV_ONLY = ("winback_dev", "moto", "bench", "pytest")

_CHILD = """
import importlib.util, json, sys, time
name, path = sys.argv[1], sys.argv[2]
before = set(sys.modules)
started = time.perf_counter()
spec = importlib.util.spec_from_file_location(f"winback_functions.{name}", path)
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
elapsed = time.perf_counter() - started
assert callable(module.lambda_handler)
loaded = set(sys.modules) - before
dev = sorted(m for m in loaded if m.split(".")[0] in DEV_ONLY)
print(json.dumps({"import_s": elapsed, "modules": len(loaded), "dev_only": dev}))
"""


def _child_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_ENDPOINT", "PYTHON"))}
    env.update(BASE_ENV)
    # Names only: importing must not need the stack (nothing should read settings at import time).
    for var in ("ACTIVITY_TABLE", "SUPPRESSION_TABLE", "MESSAGING_TABLE", "IDEMPOTENCY_TABLE"):
        env[var] = f"bench-{var.lower()}"
    return env


def _code() -> str:
    return f"DEV_ONLY = {DEV_ONLY!r}\n" + _CHILD


def _once(function: str, env: dict[str, str], *extra: str) -> tuple[dict[str, Any], float, str]:
    path = str(REPO_ROOT / "functions" / function / "app.py")
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, *extra, "-c", _code(), function, path],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"importing {function} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1]), wall, done.stderr


def _importtime(stderr: str) -> dict[str, Any]:
    """Top imports from ``-X importtime``: by module (cumulative) and by top-level package (self)."""
    rows: list[tuple[str, int, int]] = []
    for line in stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        self_text, cumulative_text, module = line.removeprefix("import time:").split("|", 2)
        rows.append((module.strip(), int(self_text), int(cumulative_text)))
    by_package: dict[str, int] = defaultdict(int)
    for module_name, self_us, _ in rows:
        by_package[module_name.split(".")[0]] += self_us
    modules = sorted((r for r in rows if not r[0].startswith("winback_functions")), key=lambda r: -r[2])
    return {
        "function": IMPORTTIME_FUNCTION,
        "top_modules_cumulative_ms": [(n, c / 1000) for n, _, c in modules[:5]],
        "top_packages_self_ms": [(n, us / 1000) for n, us in sorted(by_package.items(), key=lambda kv: -kv[1])[:5]],
        "total_ms": sum(s for _, s, _ in rows) / 1000,
    }


def run() -> dict[str, Any]:
    env = _child_env()
    _once("plan", env)  # warm the OS page cache and .pyc files, so run 1 is not an outlier
    results: dict[str, Any] = {}
    for function in FUNCTIONS:
        imports, walls, modules, dev = [], [], 0, []
        for _ in range(RUNS):
            child, wall, _ = _once(function, env)
            imports.append(child["import_s"])
            walls.append(wall)
            modules, dev = child["modules"], child["dev_only"]
        results[function] = {
            "import_ms_median": statistics.median(imports) * 1000,
            "import_ms_min": min(imports) * 1000,
            "import_ms_max": max(imports) * 1000,
            "process_ms_median": statistics.median(walls) * 1000,
            "modules_loaded": modules,
            "dev_only_modules": dev,
        }
    _, _, stderr = _once(IMPORTTIME_FUNCTION, env, "-X", "importtime")
    return {"runs": RUNS, "handlers": results, "importtime": _importtime(stderr)}
