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


def test_only_the_stats_function_has_the_stats_layer_and_the_plan_may_read_the_quota() -> None:
    """Guard: StatsLayer listed by StatsFunction alone (after the Globals' CoreLayer), built by
    layers/stats/Makefile; the plan's role may call GetAccount for the day's capacity."""
    from winback_dev.template import translate_template

    resources = translate_template()["Resources"]
    layer = next(r for name, r in resources.items() if name.startswith("StatsLayer"))
    assert layer["Type"] == "AWS::Lambda::LayerVersion"
    with_layer = {
        name
        for name, r in resources.items()
        if r["Type"] == "AWS::Lambda::Function"
        and any("StatsLayer" in str(ref) for ref in r["Properties"].get("Layers", []))
    }
    assert with_layer == {"StatsFunction"}
    stats_layers = [str(ref) for ref in resources["StatsFunction"]["Properties"]["Layers"]]
    assert "CoreLayer" in stats_layers[0] and "StatsLayer" in stats_layers[1]
    plan = [
        s for p in resources["PlanFunctionRole"]["Properties"]["Policies"] for s in p["PolicyDocument"]["Statement"]
    ]
    assert any(s["Action"] == "ses:GetAccount" for s in plan)


def test_the_layer_build_prunes_only_what_nothing_imports() -> None:
    """numpy's f2py is imported by `from numpy import *` (scipy's array API shim does it): never pruned."""
    import runpy

    makefile = (ROOT / "layers/stats/Makefile").read_text(encoding="utf-8")
    assert "build-StatsLayer:" in makefile and "manylinux_2_28_aarch64" in makefile
    prune = runpy.run_path(str(ROOT / "layers/stats/prune.py"))
    pruned = " ".join(prune["PRUNED_PATHS"])
    for kept in ("numpy/f2py", "numpy/testing", "scipy/optimize", "scipy/special", "scipy/linalg"):
        assert kept not in pruned
    assert set(prune["PRUNED_DIRS"]) == {"tests", "__pycache__"}
