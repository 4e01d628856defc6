"""`winback admission RUN_ID`: how many users a scan run admitted and how many wait for a later day,
by value band (expected 12-month value with a fitted model, else spend; base-currency major units)."""

from __future__ import annotations

import argparse
import json
from collections.abc import Mapping

from winback.domain.audience.admission import by_value_band

COMMANDS = ("admission",)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    cmd = sub.add_parser("admission", help="a scan run's admitted and waiting users by value band")
    cmd.add_argument("run_id", help="the run (the plan logs it: run-YYYYMMDDTHHMMSSZ)")
    cmd.add_argument("--stack-name", help="read a deployed stack's tables")
    cmd.add_argument("--json", action="store_true", help="as JSON instead of a table")


def render(figures: Mapping[str, int]) -> str:
    rows = by_value_band(figures)
    lines = [f"{'value band':<12} {'admitted':>10} {'waiting':>10}"]
    lines += [f"{band:<12} {admitted:>10,} {waiting:>10,}" for band, admitted, waiting in rows]
    lines.append(f"{'total':<12} {figures.get('admitted', 0):>10,} {figures.get('waiting', 0):>10,}")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    from winback.runtime.deps import deps
    from winback_dev.stack_env import use_deployed_stack

    if args.stack_name:
        use_deployed_stack(args.stack_name)
    figures = deps().messaging.run_figures(args.run_id)
    if args.json:
        bands = {band: {"admitted": a, "waiting": w} for band, a, w in by_value_band(figures)}
        print(json.dumps({"run_id": args.run_id, "by_value_band": bands, **figures}, indent=2))
    else:
        print(render(figures))
    return 0
