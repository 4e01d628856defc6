"""`winback program-report`: everyone any campaign treated against the program-wide control group
(`experiments.program_control_percent`), stratified by campaign, as a table or JSON."""

from __future__ import annotations

import argparse

from winback_dev.report_table import render_program

COMMANDS = ("program-report",)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    report = sub.add_parser("program-report", help="the whole program vs its program-wide control group")
    report.add_argument("--json", action="store_true", help="the report as JSON instead of a table")
    report.add_argument("--stack-name", help="read a deployed stack's tables")


def run(args: argparse.Namespace) -> int:
    from winback.runtime.deps import deps
    from winback.services.report import program_report

    if args.stack_name:
        from winback_dev.stack_env import use_deployed_stack

        use_deployed_stack(args.stack_name)
    d = deps()
    report = program_report(d, d.clock.now())
    print(report.model_dump_json(indent=2) if args.json else render_program(report))
    return 0
