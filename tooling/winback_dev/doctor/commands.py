"""The operator's commands: `winback doctor`, `winback enable-sending` (refused while the doctor finds
a failure, unless `--force`) and `winback disable-sending`, against a deployed stack (`--stack-name`)
or the stack the environment names (as a function sees it: the local runner, the tests)."""

from __future__ import annotations

import argparse
import os
import sys
from datetime import UTC, datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from winback_dev.doctor.report import Check

COMMANDS = ("doctor", "enable-sending", "disable-sending")


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    doctor = sub.add_parser("doctor", help="check that the stack and its AWS account can send, with what to do")
    doctor.add_argument("--stack-name", help="a deployed stack (default: the tables the environment names)")
    doctor.add_argument("--json", action="store_true", help="the checks as a JSON list (id, status, what, fix)")
    enable = sub.add_parser("enable-sending", help="turn sending on, once winback doctor passes")
    enable.add_argument("--stack-name", help="a deployed stack")
    enable.add_argument("--force", action="store_true", help="turn it on even though checks fail")
    disable = sub.add_parser("disable-sending", help="turn sending off: every send job waits until enable-sending")
    disable.add_argument("--stack-name", help="a deployed stack")
    disable.add_argument("--reason", default="turned off by the operator", help="shown with the switch")


def run(args: argparse.Namespace) -> int:
    if args.stack_name:
        _point_at(args.stack_name)
    if args.command == "doctor":
        return _doctor(args.json)
    if args.command == "enable-sending":
        return _enable(args.force)
    return _disable(args.reason)


def _point_at(stack_name: str) -> None:
    import boto3

    from winback.runtime.deps import reset
    from winback_dev.doctor.target import point_at_stack

    point_at_stack(boto3.client("cloudformation"), stack_name, os.environ)
    reset()  # the settings and program of this process follow the stack now


def examine() -> list[Check]:
    """The doctor's round against the stack the environment names."""
    from winback.adapters.sending_switch import SendingSwitch
    from winback.runtime.deps import deps
    from winback_dev.doctor.run import Clients, run_doctor
    from winback_dev.doctor.target import Target

    target = Target.from_environment()
    return run_doctor(
        target,
        Clients.for_region(target.region),
        lambda: deps().program,
        SendingSwitch(target.messaging_table),
        datetime.now(UTC),
    )


def _doctor(as_json: bool) -> int:
    from winback_dev.doctor.report import as_json as to_json
    from winback_dev.doctor.report import as_text, passed

    checks = examine()
    print(to_json(checks) if as_json else as_text(checks))
    return 0 if passed(checks) else 1


def _enable(force: bool) -> int:
    from winback.adapters.sending_switch import SendingSwitch
    from winback.runtime.deps import deps
    from winback.services.sending_switch import turn_sending_on
    from winback_dev.doctor.report import as_text

    checks = examine()
    failing = [c.id for c in checks if c.status == "fail"]
    print(as_text(checks))
    if failing and not force:
        print(f"winback: sending stays off: {len(failing)} check(s) fail (--force turns it on anyway)", file=sys.stderr)
        return 1
    note = f"forced past failing checks: {', '.join(failing)}" if failing else "winback doctor passed"
    turn_sending_on(SendingSwitch(deps().settings.messaging_table), datetime.now(UTC), note)
    print(f"sending: on ({note})")
    return 0


def _disable(reason: str) -> int:
    from winback.adapters.sending_switch import SendingSwitch
    from winback.runtime.deps import deps
    from winback.services.sending_switch import turn_sending_off

    turn_sending_off(SendingSwitch(deps().settings.messaging_table), datetime.now(UTC), reason)
    print(f"sending: off ({reason}); every send job waits until winback enable-sending")
    return 0
