"""Cold start without timing: what importing each handler loads, in a fresh interpreter.

A handler module is what Lambda imports on every cold start. Heavy libraries belong only to the
handlers that use them, and tracing that is off must not load the X-Ray SDK. A regression fails
here by name, with no clock involved (`make bench` has the timings).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from winback_dev.handlers import FUNCTIONS

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("aws_xray_sdk", "jinja2", "phonenumbers", "yaml", "numpy", "scipy")
# The only handlers that may load a heavy library when their module is imported, and why.
# numpy and scipy live in the stats layer (layers/stats) and no other function has them: only "stats"
# may ever list them here, once it fits the models (winback.domain.prediction.fitting).
NEEDS: dict[str, set[str]] = {
    "send": {"jinja2"},  # renders every message it sends
    "ingest": {"phonenumbers"},  # the webhook's events carry phone numbers to validate
    "segment": {"phonenumbers"},  # identify traits carry phone numbers, validated as POST /events does
    "export": {"phonenumbers"},  # hashes phone numbers into E.164 for ad audiences
    "privacy": {"phonenumbers"},  # an erasure finds the user's rows in audience files by their hashed phone
    "backfill": {"phonenumbers"},  # validates history rows with the webhook's event model
    "stats": {"numpy", "scipy"},  # fits BG/NBD and Gamma-Gamma (services/scan/model_fit.py), with the stats layer
}
# aws_xray_sdk: tracing is off here (POWERTOOLS_TRACE_DISABLED); yaml: program.yaml is parsed on the
# first invocation, by load_program.

_CHILD = """
import importlib.util, json, sys
name, path = sys.argv[1], sys.argv[2]
spec = importlib.util.spec_from_file_location(f"winback_functions.{name}", path)
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
assert callable(module.lambda_handler)
print(json.dumps(sorted({m.split(".")[0] for m in sys.modules})))
"""


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "LAMBDA_", "POWERTOOLS_"))}
    env |= {
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_SERVICE_NAME": "winback",
        "POWERTOOLS_METRICS_NAMESPACE": "Winback",
    }
    return env


@pytest.fixture(scope="module")
def loaded() -> dict[str, set[str]]:
    """Top-level packages in sys.modules after importing each handler; the processes run side by side."""
    env = _env()
    procs = {
        name: subprocess.Popen(
            [sys.executable, "-c", _CHILD, name, str(ROOT / "functions" / name / "app.py")],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name in FUNCTIONS
    }
    found: dict[str, set[str]] = {}
    for name, proc in procs.items():
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, f"importing {name} failed:\n{err[-3000:]}"
        found[name] = set(json.loads(out.strip().splitlines()[-1]))
    return found


def test_only_the_stats_function_may_need_numpy_or_scipy() -> None:
    assert all(not (needs & {"numpy", "scipy"}) for name, needs in NEEDS.items() if name != "stats")


def test_every_function_is_covered() -> None:
    on_disk = {p.parent.name for p in (ROOT / "functions").glob("*/app.py")}
    assert on_disk == set(FUNCTIONS)
    assert set(NEEDS) <= on_disk


@pytest.mark.parametrize("name", FUNCTIONS)
def test_handler_loads_only_the_heavy_libraries_it_needs(loaded: dict[str, set[str]], name: str) -> None:
    unexpected = sorted(m for m in HEAVY if m in loaded[name] and m not in NEEDS.get(name, set()))
    assert unexpected == [], f"importing functions/{name}/app.py loads {unexpected}"


@pytest.mark.parametrize("name", sorted(NEEDS))
def test_the_needs_list_is_not_stale(loaded: dict[str, set[str]], name: str) -> None:
    """A handler that stopped needing a library should lose its exemption, so it cannot creep back."""
    assert NEEDS[name] <= loaded[name]
