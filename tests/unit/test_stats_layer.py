"""The stats function's second layer (layers/stats): pinned, the same pins as the dev extras (so tests
and the CLI fit with what the function will run), and nothing the core layer already ships."""

from __future__ import annotations

from pathlib import Path

from tests.unit.test_pins import PINNED, dev, layer_requirements

ROOT = Path(__file__).resolve().parents[2]


def stats_requirements() -> list[str]:
    lines = (ROOT / "layers/stats/requirements.txt").read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.strip().startswith("#")]


def _name(requirement: str) -> str:
    return requirement.split("==")[0].split("[")[0].lower()


def test_the_stats_layer_is_pinned_like_the_dev_extras() -> None:
    found = stats_requirements()
    assert {_name(r) for r in found} == {"numpy", "scipy", "threadpoolctl"}
    assert all(PINNED.match(r) for r in found), found
    assert set(found) <= set(dev())


def test_the_stats_layer_adds_only_what_the_core_layer_lacks() -> None:
    assert not {_name(r) for r in stats_requirements()} & {_name(r) for r in layer_requirements()}
