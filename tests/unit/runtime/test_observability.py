"""The tracer facade: off means the function itself (no X-Ray SDK, no wrapper); on follows Powertools' rule."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

import pytest

from winback.runtime.observability import PATCH_MODULES, LazyTracer, tracing_enabled

TRACE_ENV = ("POWERTOOLS_TRACE_DISABLED", "LAMBDA_TASK_ROOT", "AWS_SAM_LOCAL", "AWS_CHALICE_CLI_MODE")


@pytest.fixture
def lambda_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for var in TRACE_ENV:
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("LAMBDA_TASK_ROOT", "/var/task")
    return monkeypatch


def test_tracing_is_on_in_lambda(lambda_env: pytest.MonkeyPatch) -> None:
    assert tracing_enabled()


@pytest.mark.parametrize(
    ("var", "value"),
    [
        ("POWERTOOLS_TRACE_DISABLED", "true"),
        ("POWERTOOLS_TRACE_DISABLED", "1"),
        ("AWS_SAM_LOCAL", "true"),
        ("AWS_CHALICE_CLI_MODE", "true"),
    ],
)
def test_tracing_is_off_when_disabled_or_emulated(lambda_env: pytest.MonkeyPatch, var: str, value: str) -> None:
    lambda_env.setenv(var, value)
    assert not tracing_enabled()


def test_tracing_is_off_outside_lambda(lambda_env: pytest.MonkeyPatch) -> None:
    lambda_env.delenv("LAMBDA_TASK_ROOT")
    assert not tracing_enabled()


def test_tracing_stays_on_when_the_variable_says_false(lambda_env: pytest.MonkeyPatch) -> None:
    lambda_env.setenv("POWERTOOLS_TRACE_DISABLED", "false")
    assert tracing_enabled()


def test_disabled_tracer_returns_each_function_unchanged(lambda_env: pytest.MonkeyPatch) -> None:
    lambda_env.setenv("POWERTOOLS_TRACE_DISABLED", "true")
    tracer = LazyTracer(PATCH_MODULES)

    def handler(event: dict[str, Any], context: object) -> dict[str, Any]:
        return event

    def method(x: int) -> int:
        return x + 1

    assert tracer.capture_lambda_handler(handler) is handler
    assert tracer.capture_lambda_handler(capture_response=False)(handler) is handler
    assert tracer.capture_method(method) is method
    assert tracer.capture_method(capture_response=False)(method) is method


_ENABLED_CHILD = """
import sys
from winback.runtime.observability import tracer

@tracer.capture_method(capture_response=False)
def method(x):
    return x + 1

print("aws_xray_sdk.core" in sys.modules, hasattr(method, "__wrapped__"))
"""


@pytest.mark.parametrize(("lambda_task_root", "xray_loaded"), [("/var/task", True), (None, False)])
def test_the_x_ray_sdk_loads_only_where_tracing_is_on(lambda_task_root: str | None, xray_loaded: bool) -> None:
    """In a child process: building Powertools' Tracer changes class-level state we must not leak."""
    env = {k: v for k, v in os.environ.items() if k not in TRACE_ENV}
    env |= {"AWS_DEFAULT_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
    if lambda_task_root:
        env["LAMBDA_TASK_ROOT"] = lambda_task_root
    done = subprocess.run(
        [sys.executable, "-c", _ENABLED_CHILD], env=env, capture_output=True, text=True, check=False, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == [str(xray_loaded), str(xray_loaded)]  # SDK loaded, method wrapped
