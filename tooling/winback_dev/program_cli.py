"""`winback validate` and `winback program publish|history|rollback|diff`: the program as published,
versioned bundles (config/bundle.py) in the stack's ProgramBucket.

- validate [PATH]: the functions' load-time checks on a program folder (program.yaml, and templates/
  or the layer's templates) or file (with the layer's templates); default: the program shipped with the
  layer. Each problem names its file, line and field; exit status 1 if there is any.
- program publish PATH: the same checks, then the bundle uploaded and made current; refused (nothing
  written) if a check fails.
- program history: every publish and rollback, who, when, which version (* the current one).
- program rollback [VERSION]: an earlier version current again (default: the one before the current).
- program diff [A] [B]: unified diffs of program.yaml and the templates between two versions (default:
  the previous and the current one); a side may be `current`, `previous`, a version, or a folder or file.

Each takes `--json`; the program commands take `--stack-name S` (the deployed stack's ProgramBucket,
found through CloudFormation) or use PROGRAM_BUCKET from the environment, as the local stack sets it.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from winback.config.validation import Problem
    from winback.models.program_release import ProgramRelease
    from winback_dev.program_store import ProgramStore

COMMANDS = ("validate", "validate-program", "program")
BUCKET_LOGICAL_ID = "ProgramBucket"


def register(sub: Any) -> None:
    """The commands' parsers, on the `winback` command's subparsers."""
    for name, text in (
        ("validate", "check a program (folder or file) as the functions load it; make sam runs it"),
        ("validate-program", "the same as validate (its former name)"),
    ):
        validate = sub.add_parser(name, help=text)
        validate.add_argument(
            "path", nargs="?", type=Path, help="a program folder or program.yaml (default: the shipped one)"
        )
        validate.add_argument("--json", action="store_true", help="the result as JSON")
    program = sub.add_parser("program", help="publish, list, roll back and compare program versions")
    actions = program.add_subparsers(dest="action", required=True)
    publish = actions.add_parser("publish", help="check a program folder or file, then make it the current version")
    publish.add_argument("path", type=Path, help="a folder with program.yaml (and templates/), or a program.yaml")
    history = actions.add_parser("history", help="every publish and rollback: version, when, who")
    rollback = actions.add_parser("rollback", help="make an earlier version current again")
    rollback.add_argument("version", nargs="?", help="a version (4 or more digits; default: the previous one)")
    diff = actions.add_parser("diff", help="what changed between two versions (unified diff)")
    diff.add_argument("a", nargs="?", default="previous", help="current, previous, a version, or a folder or file")
    diff.add_argument("b", nargs="?", default="current", help="the same (default: current)")
    for parser in (publish, history, rollback, diff):
        parser.add_argument("--stack-name", help="a deployed stack (default: PROGRAM_BUCKET from the environment)")
        parser.add_argument("--json", action="store_true", help="the result as JSON")


def run(args: argparse.Namespace) -> int:
    from winback_dev.program_store import ProgramStoreError

    if args.command in ("validate", "validate-program"):
        return _validate(args.path, args.json)
    try:
        return ACTIONS[args.action](args)
    except ProgramStoreError as exc:
        print(f"winback: {exc}", file=sys.stderr)
        return 2


def _problems(path: Path | None) -> tuple[list[Problem], str | None]:
    """The problems of the program at `path` (default: the shipped one), and its version if it has none."""
    from winback.config.bundle import Bundle, BundleProblem
    from winback.config.loader import DEFAULT_PROGRAM_PATH
    from winback.config.validation import problems_of
    from winback.content.locales import SHIPPED_TEMPLATE_ROOT

    source = path or DEFAULT_PROGRAM_PATH
    problems = list(problems_of(source, SHIPPED_TEMPLATE_ROOT))
    if problems:
        return problems, None
    try:
        return [], Bundle.from_source(source, SHIPPED_TEMPLATE_ROOT).version
    except BundleProblem:  # reported by problems_of already
        return problems, None


def _validate(path: Path | None, as_json: bool) -> int:
    problems, version = _problems(path)
    if as_json:
        print(json.dumps({"valid": not problems, "version": version, "problems": [_problem(p) for p in problems]}))
    else:
        for problem in problems:
            print(f"winback: {problem}", file=sys.stderr)
        if problems:
            print(f"winback: program invalid: {len(problems)} problem(s)", file=sys.stderr)
        else:
            print(f"program {path or 'shipped with the layer'}: valid (version {version})")
    return 1 if problems else 0


def _problem(problem: Problem) -> dict[str, Any]:
    return {
        "file": problem.file,
        "line": problem.line,
        "column": problem.column,
        "field": problem.field,
        "message": problem.message,
    }


def _store(args: argparse.Namespace) -> ProgramStore:
    import boto3

    from winback_dev.program_store import ProgramStore, ProgramStoreError

    if args.stack_name:
        found = boto3.client("cloudformation").describe_stack_resource(
            StackName=args.stack_name, LogicalResourceId=BUCKET_LOGICAL_ID
        )
        bucket = found["StackResourceDetail"]["PhysicalResourceId"]
    else:
        bucket = os.environ.get("PROGRAM_BUCKET", "")
    if not bucket:
        raise ProgramStoreError("no program bucket: pass --stack-name, or set PROGRAM_BUCKET")
    return ProgramStore(bucket, boto3.client("s3"))


def _caller() -> str:
    """Who is publishing: the caller's AWS identity."""
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        return str(boto3.client("sts").get_caller_identity()["Arn"])
    except (BotoCoreError, ClientError):
        return f"unknown ({os.environ.get('USER', 'no user')})"


def _publish(args: argparse.Namespace) -> int:
    from winback.config.bundle import Bundle
    from winback.content.locales import SHIPPED_TEMPLATE_ROOT
    from winback_dev.program_store import publish

    problems, _ = _problems(args.path)
    if problems:
        for problem in problems:
            print(f"winback: {problem}", file=sys.stderr)
        print(f"winback: not published: {len(problems)} problem(s); nothing was uploaded", file=sys.stderr)
        return 1
    bundle = Bundle.from_source(args.path, SHIPPED_TEMPLATE_ROOT)
    outcome = publish(_store(args), bundle, str(args.path), _caller(), datetime.now(UTC))
    _report(outcome.release, outcome.changed, "published", args.json)
    return 0


def _rollback(args: argparse.Namespace) -> int:
    from winback_dev.program_store import rollback

    outcome = rollback(_store(args), args.version, _caller(), datetime.now(UTC))
    _report(outcome.release, outcome.changed, "rolled back to", args.json)
    return 0


def _report(release: ProgramRelease, changed: bool, verb: str, as_json: bool) -> None:
    if as_json:
        print(json.dumps({"changed": changed, "current": release.model_dump(mode="json")}))
    elif not changed:
        print(f"{release.version} is already the current version: nothing written")
    else:
        replacing = f", replacing {release.previous}" if release.previous else ""
        print(f"{verb} {release.version} (history entry {release.seq}): now current{replacing}")


def _history(args: argparse.Namespace) -> int:
    store = _store(args)
    pointer = store.current()
    current = pointer.release.seq if pointer is not None else None
    releases = store.releases()
    if args.json:
        entries = [{**r.model_dump(mode="json"), "current": r.seq == current} for r in releases]
        print(json.dumps(entries, indent=2))
    elif not releases:
        print("nothing published: the functions run the program shipped with the layer")
    else:
        rows = [
            (
                f"{'*' if r.seq == current else ' '} {r.seq}",
                r.action,
                r.version,
                f"{r.at.astimezone(UTC):%Y-%m-%d %H:%M:%S}Z",
                r.by,
                r.source,
            )
            for r in releases
        ]
        print(_columns(("  entry", "action", "version", "at (UTC)", "by", "what"), rows))
    return 0


def _columns(headers: tuple[str, ...], rows: Sequence[tuple[str, ...]]) -> str:
    """Left-aligned columns, each as wide as its widest cell."""
    widths = [max(len(cell) for cell in column) for column in zip(headers, *rows, strict=False)]
    return "\n".join(
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in [headers, *rows]
    )


def _diff(args: argparse.Namespace) -> int:
    from winback_dev.program_store import diff, side

    needs_store = any(not Path(name).exists() or name in ("current", "previous") for name in (args.a, args.b))
    store = _store(args) if needs_store else None
    a, b = side(store, args.a), side(store, args.b)
    changes = diff(a, b)
    if args.json:
        files = [{"path": c.path, "status": c.status, "diff": c.diff} for c in changes]
        print(json.dumps({"from": a.label, "to": b.label, "files": files}, indent=2))
    elif not changes:
        print(f"no differences between {a.label} and {b.label}")
    else:
        sys.stdout.write("".join(c.diff for c in changes))
    return 0


ACTIONS = {"publish": _publish, "history": _history, "rollback": _rollback, "diff": _diff}
