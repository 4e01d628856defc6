"""Dependencies are pinned, and the Lambda layer ships exactly the runtime pins of pyproject.toml."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
PINNED = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*(\[[A-Za-z0-9._,-]+\])?==[A-Za-z0-9][A-Za-z0-9.+!_-]*$")


def pyproject() -> dict[str, Any]:
    with (ROOT / "pyproject.toml").open("rb") as f:
        return tomllib.load(f)


def layer_requirements() -> list[str]:
    lines = (ROOT / "layers/core/requirements.txt").read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.strip().startswith("#")]


def runtime() -> list[str]:
    deps = pyproject()["project"]["dependencies"]
    assert isinstance(deps, list)
    return [str(d) for d in deps]


def dev() -> list[str]:
    deps = pyproject()["project"]["optional-dependencies"]["dev"]
    assert isinstance(deps, list)
    return [str(d) for d in deps]


def test_layer_requirements_equal_runtime_dependencies() -> None:
    assert sorted(layer_requirements()) == sorted(runtime())


def test_no_duplicate_requirements() -> None:
    for deps in (runtime(), dev(), layer_requirements()):
        names = [re.split(r"[\[=<>!~ ]", d, maxsplit=1)[0].lower() for d in deps]
        assert len(names) == len(set(names)), deps


@pytest.mark.parametrize("requirement", [*runtime(), *layer_requirements(), *dev()])
def test_every_dependency_is_pinned_exactly(requirement: str) -> None:
    assert PINNED.match(requirement), f"{requirement!r} is not pinned with =="


def test_pin_pattern_rejects_loose_specifiers() -> None:
    for loose in ("boto3", "boto3>=1.0", "boto3~=1.44", "boto3==1.*", "boto3==1.0,<2", "boto3 == 1.0"):
        assert not PINNED.match(loose), loose
