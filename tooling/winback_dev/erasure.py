"""An accepted erasure's state machine, played locally: what template.yaml's ErasureStateMachine does
on AWS, read from its definition and run state by state.

moto does not run Step Functions, so this walks the definition's states itself: a Task invokes the
real privacy handler with the Payload the definition builds (`{"erasure": <the state's input>}`) and
its answer becomes the state's output; a Choice follows its first matching rule; a Pass builds its
Parameters; a Wait calls `between` (a test's chance to act while the passes wait, as a send job in
flight would) instead of sleeping; Succeed ends the run. Only the JSONPath the definition uses (`$`
and `$.field`) is understood: anything else in the definition fails here loudly.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

from winback_dev.handlers import handler
from winback_dev.lambda_events import FakeContext
from winback_dev.template import TEMPLATE_PATH

STATE_MACHINE = "ErasureStateMachine"
MAX_TRANSITIONS = 1000

Invoke = Callable[[dict[str, Any]], dict[str, Any]]


@cache
def definition(template_path: Path = TEMPLATE_PATH) -> dict[str, Any]:
    from samtranslator.yaml_helper import yaml_parse

    sam = yaml_parse(template_path.read_text(encoding="utf-8"))
    found: dict[str, Any] = sam["Resources"][STATE_MACHINE]["Properties"]["Definition"]
    return found


def wait_seconds(template_path: Path = TEMPLATE_PATH) -> int:
    """How long the state machine waits between the passes."""
    waits = [s["Seconds"] for s in definition(template_path)["States"].values() if s["Type"] == "Wait"]
    if len(waits) != 1:
        raise ValueError(f"{STATE_MACHINE} should wait once between its passes, waits {waits}")
    return int(waits[0])


def _invoke_privacy(payload: dict[str, Any]) -> dict[str, Any]:
    reply: dict[str, Any] = handler("privacy")(payload, FakeContext(function_name="privacy"))
    return reply


def _path(data: dict[str, Any], path: str) -> Any:
    if path == "$":
        return data
    if not path.startswith("$.") or "." in path[2:] or "[" in path:
        raise ValueError(f"JSONPath {path!r} is not played locally")
    return data[path[2:]]


def _build(template: Any, data: dict[str, Any]) -> Any:
    """Parameters / Payload with `"key.$": "<path>"` entries resolved against `data`."""
    if not isinstance(template, dict):
        return template
    built: dict[str, Any] = {}
    for key, value in template.items():
        if key.endswith(".$"):
            built[key[:-2]] = _path(data, value)
        else:
            built[key] = _build(value, data)
    return built


def _choose(state: dict[str, Any], data: dict[str, Any]) -> str:
    for rule in state["Choices"]:
        if set(rule) != {"Variable", "StringEquals", "Next"}:
            raise ValueError(f"Choice rule {rule} is not played locally")
        if _path(data, rule["Variable"]) == rule["StringEquals"]:
            return str(rule["Next"])
    return str(state["Default"])


def _task(state: dict[str, Any], data: dict[str, Any], invoke: Invoke) -> Any:
    parameters = state["Parameters"]
    if state["Resource"] != "arn:aws:states:::lambda:invoke" or state.get("OutputPath") != "$.Payload":
        raise ValueError(f"Task {state} is not played locally")
    return invoke(_build(parameters["Payload"], data))


def play(
    request_id: str,
    invoke: Invoke = _invoke_privacy,
    between: Callable[[], None] | None = None,
    template_path: Path = TEMPLATE_PATH,
) -> list[str]:
    """Run the state machine for an accepted request, as StartExecution's input `{"request_id",
    "pass": 1}` starts it on AWS; the states it went through."""
    machine = definition(template_path)
    name: str = machine["StartAt"]
    data: Any = {"request_id": request_id, "pass": 1}
    trail: list[str] = []
    for _ in range(MAX_TRANSITIONS):
        trail.append(name)
        state = machine["States"][name]
        kind = state["Type"]
        if kind == "Succeed":
            return trail
        if kind == "Task":
            data = _task(state, data, invoke)
        elif kind == "Pass":
            data = _build(state["Parameters"], data)
        elif kind == "Wait" and between is not None:
            between()
        elif kind == "Choice":
            name = _choose(state, data)
            continue
        elif kind != "Wait":
            raise ValueError(f"state type {kind} is not played locally")
        name = state["Next"]
    raise RuntimeError(f"{STATE_MACHINE} did not end within {MAX_TRANSITIONS} transitions")
