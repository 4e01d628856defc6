"""Benchmark 4: handler import time (the code part of a cold start), each a whole fresh process.

Each handler file is loaded the way Lambda (and winback_dev.handlers) does, by file, in a new
process of this venv's python, and the whole process is timed (interpreter start-up included), as is
a process that only runs ``import boto3``, in the same run: ``import_ratio`` is the one over the other.
Rounds interleave every process, so a burst of noise from a shared machine spreads over all of them;
the figure is the minimum over the rounds (noise only ever adds time), the median is kept beside it.

Two environments:
- untraced: ``POWERTOOLS_TRACE_DISABLED=true``, as the tests, the demo and this harness run (and a
  function deployed without active tracing); the headline figures.
- traced: as template.yaml deploys the functions (``Tracing: Active``; Lambda sets LAMBDA_TASK_ROOT),
  so the tracer is on and imports the X-Ray SDK and patches botocore while the handler loads.

One handler (the slowest untraced) is also run under ``-X importtime``, to show what its time is
spent on beyond a bare boto3 import.
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

RUNS = 7
BOTO3 = "boto3"
DEV_ONLY = ("winback_dev", "moto", "bench", "pytest")
# Worth a look when a handler loads one of these: each costs 10-80 ms, and most handlers need none
# (numpy and scipy: more, and only the stats function's layer has them).
WATCHED = ("aws_xray_sdk", "jinja2", "phonenumbers", "yaml", "numpy", "scipy")
ENVIRONMENTS = ("untraced", "traced")

_CHILD = """
import sys
before = set(sys.modules)
if len(sys.argv) > 1:
    import importlib.util
    name, path = sys.argv[1], sys.argv[2]
    spec = importlib.util.spec_from_file_location(f"winback_functions.{name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert callable(module.lambda_handler)
else:
    import boto3
loaded = set(sys.modules) - before
tops = {m.split(".")[0] for m in loaded}
import json
print(json.dumps({
    "modules": len(loaded),
    "dev_only": sorted(m for m in loaded if m.split(".")[0] in DEV_ONLY),
    "watched": sorted(m for m in WATCHED if m in tops),
}))
"""


def child_env(environment: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_ENDPOINT", "PYTHON", "LAMBDA_"))}
    env.update(BASE_ENV)
    env["POWERTOOLS_LOG_LEVEL"] = "INFO"
    # Names only: importing must not need the stack (nothing should read settings at import time).
    for var in ("ACTIVITY_TABLE", "SUPPRESSION_TABLE", "MESSAGING_TABLE", "IDEMPOTENCY_TABLE"):
        env[var] = f"bench-{var.lower()}"
    if environment == "traced":
        env.pop("POWERTOOLS_TRACE_DISABLED", None)
        env["LAMBDA_TASK_ROOT"] = "/var/task"
    return env


def _code() -> str:
    return f"DEV_ONLY = {DEV_ONLY!r}\nWATCHED = {WATCHED!r}\n" + _CHILD


def _args(target: str) -> list[str]:
    return [] if target == BOTO3 else [target, str(REPO_ROOT / "functions" / target / "app.py")]


def _once(target: str, env: dict[str, str], *extra: str) -> tuple[dict[str, Any], float, str]:
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, *extra, "-c", _code(), *_args(target)],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"importing {target} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1]), wall, done.stderr


def _importtime_rows(stderr: str) -> list[tuple[str, int, int]]:
    """(module, self us, depth) per ``-X importtime`` line, in its order: children before their parent."""
    rows: list[tuple[str, int, int]] = []
    for line in stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        self_text, _, module = line.removeprefix("import time:").split("|", 2)
        name = module.lstrip(" ")
        rows.append((name.strip(), int(self_text), (len(module) - len(name)) // 2))
    return rows


def _package(module: str) -> str:
    parts = module.split(".")
    return ".".join(parts[:2]) if parts[0] in ("winback", "aws_lambda_powertools", "pydantic") else parts[0]


def importtime_profile(function: str, env: dict[str, str], runs: int = 3) -> dict[str, Any]:
    """The least disturbed of `runs` profiles (one -X importtime run is as noisy as one timing)."""
    profiles = []
    for _ in range(runs):
        _, _, base_err = _once(BOTO3, env, "-X", "importtime")
        _, _, stderr = _once(function, env, "-X", "importtime")
        profiles.append(beyond_baseline(function, stderr, base_err))
    return min(profiles, key=lambda p: float(p["beyond_boto3_ms"]))


def beyond_baseline(function: str, stderr: str, baseline_stderr: str) -> dict[str, Any]:
    """What `function` imports beyond a bare boto3 (two ``-X importtime`` outputs): self time by
    package, and the modules whose imports (themselves and what they pull in) cost the most beyond it."""
    baseline = {name for name, _, _ in _importtime_rows(baseline_stderr)}
    by_package: dict[str, int] = defaultdict(int)
    beyond: dict[str, int] = {}
    pending: list[tuple[int, int]] = []  # (depth, time beyond boto3) of subtrees whose parent comes later
    for name, self_us, depth in _importtime_rows(stderr):
        own = 0 if name in baseline else self_us
        if own:
            by_package[_package(name)] += own
        while pending and pending[-1][0] > depth:
            own += pending.pop()[1]
        pending.append((depth, own))
        if not name.startswith("winback_functions"):
            beyond[name] = own
    return {
        "function": function,
        "beyond_boto3_ms": sum(by_package.values()) / 1000,
        "top_packages_self_ms": [(n, us / 1000) for n, us in sorted(by_package.items(), key=lambda kv: -kv[1])[:6]],
        "top_modules_cumulative_ms": [(n, us / 1000) for n, us in sorted(beyond.items(), key=lambda kv: -kv[1])[:6]],
    }


def run() -> dict[str, Any]:
    envs = {name: child_env(name) for name in ENVIRONMENTS}
    targets = (BOTO3, *FUNCTIONS)
    # Warm the OS page cache and the .pyc files, so round 1 is not an outlier.
    for target in targets:
        _once(target, envs["untraced"])
    walls: dict[tuple[str, str], list[float]] = defaultdict(list)
    seen: dict[tuple[str, str], dict[str, Any]] = {}
    for _ in range(RUNS):
        for target in targets:
            for environment, env in envs.items():
                child, wall, _ = _once(target, env)
                walls[target, environment].append(wall)
                seen[target, environment] = child

    def figures(target: str, environment: str) -> dict[str, Any]:
        runs = walls[target, environment]
        base = min(walls[BOTO3, environment])
        return {
            "import_s": min(runs),
            "median_s": statistics.median(runs),
            "import_ratio": min(runs) / base,
            "modules_loaded": seen[target, environment]["modules"],
            "watched_modules": seen[target, environment]["watched"],
        }

    handlers = {
        name: {
            **figures(name, "untraced"),
            "traced": figures(name, "traced"),
            "dev_only_modules": seen[name, "untraced"]["dev_only"],
        }
        for name in FUNCTIONS
    }
    slowest = max(FUNCTIONS, key=lambda name: handlers[name]["import_ratio"])
    return {
        "runs": RUNS,
        "boto3": {environment: figures(BOTO3, environment) for environment in ENVIRONMENTS},
        "handlers": handlers,
        "importtime": importtime_profile(slowest, envs["untraced"]),
    }
