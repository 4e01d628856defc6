"""The operator's workbench commands of the `winback` CLI: `preview`, `test-send` and `plan`.

Each works against the stack the environment names (as a function sees it, e.g. the local moto
server the runner uses) or a deployed one (`--stack-name S`, with your AWS credentials), and prints
text, or JSON with `--json`. Each runs inside `read_only()`: an AWS call that is not a read fails
the command before it leaves the process (test-send: but for its one provider call).
"""

from __future__ import annotations

import argparse
import json
import sys
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from winback_dev.command_errors import CommandError

if TYPE_CHECKING:
    from winback.config.program import Program
    from winback_dev.preview import PreviewRequest

COMMANDS = ("preview", "test-send", "plan")


def _message_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("campaign")
    parser.add_argument("--step", type=int, required=True, help="the step's index (0: the first)")
    parser.add_argument("--variant", help="the arm (default: the user's own; the sample: the first)")
    who = parser.add_mutually_exclusive_group()
    who.add_argument("--user", dest="user_id", help="a stored user's id: their profile, coupon and guards")
    who.add_argument("--sample", action="store_true", help="a made-up user (the default)")
    parser.add_argument("--locale", help="render in this locale (default: the user's)")
    parser.add_argument("--json", action="store_true", help="one JSON document instead of text")
    parser.add_argument("--stack-name", help="a deployed stack (default: the tables the environment names)")


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    preview = sub.add_parser("preview", help="a campaign step exactly as the sender would send it (writes nothing)")
    _message_arguments(preview)
    preview.add_argument("--out", type=Path, default=Path("preview.html"), help="where the email's HTML goes")
    test = sub.add_parser("test-send", help="send a step's rendering to one of the program's test_recipients")
    _message_arguments(test)
    test.add_argument("--to", required=True, help="an email address, E.164 phone number or SNS endpoint ARN")
    plan = sub.add_parser("plan", help="a dry run of a program against the activity table (writes nothing)")
    plan.add_argument("--program", type=Path, help="a changed program.yaml, or a folder holding one")
    plan.add_argument("--as-of", help="the scan's time, ISO 8601 (default: now)")
    plan.add_argument(
        "--all-dormant",
        action="store_true",
        help="every dormant user, as if each entered their tier now (default: those the next scan targets)",
    )
    plan.add_argument("--changes", type=Path, help="write every user the change adds, removes or moves (JSON Lines)")
    plan.add_argument("--email-rate", type=float, help="emails per second (default: SES GetAccount)")
    plan.add_argument("--email-quota", type=int, help="emails per 24 hours (default: SES GetAccount)")
    plan.add_argument("--json", action="store_true", help="one JSON document instead of text")
    plan.add_argument("--stack-name", help="a deployed stack (default: the tables the environment names)")


def _request(args: argparse.Namespace) -> PreviewRequest:
    from winback_dev.preview import PreviewRequest

    return PreviewRequest(
        campaign_id=args.campaign, step=args.step, variant=args.variant, user_id=args.user_id, locale=args.locale
    )


def _preview(args: argparse.Namespace) -> int:
    from winback_dev.preview import build_preview, live_sources
    from winback_dev.preview_output import preview_json, preview_text
    from winback_dev.read_only import read_only

    request = _request(args)
    with read_only():
        preview = build_preview(request, live_sources())
    email = preview.rendering("email")
    html_path: Path | None = None
    if email is not None:
        args.out.write_text(email.outbound.content.html, encoding="utf-8")
        html_path = args.out
    if args.json:
        print(json.dumps(preview_json(preview, html_path), indent=2, ensure_ascii=False))
    else:
        print(preview_text(preview, html_path))
    return 0


def _test_send(args: argparse.Namespace) -> int:
    from winback.runtime.deps import deps
    from winback_dev.preview import live_sources
    from winback_dev.read_only import read_only
    from winback_dev.test_send import PROVIDER_CALLS, send_test_message, throwaway_signer

    request = _request(args)
    d = deps()
    with read_only(allow=PROVIDER_CALLS):
        sources = live_sources(throwaway_signer(d.settings.public_base_url))
        sent = send_test_message(request, args.to, sources, d.channels)
    if args.json:
        print(json.dumps(vars(sent), ensure_ascii=False))
    else:
        print(f"sent a test {sent.channel} to {sent.address} (provider message id {sent.message_id})")
        print(f"  {sent.subject or sent.text}")
    return 0


def published_program() -> Program:
    """The program the functions load: the stack's current published version (`winback program
    publish`; PROGRAM_BUCKET's pointer, read as the functions read it), the layer's program.yaml until
    the first publish, or WINBACK_PROGRAM_PATH's in development. Its templates become the tree a
    preview renders from."""
    from winback.runtime.deps import deps

    return deps().program


def _changed_program(path: Path) -> Program:
    """The changed program (a folder with program.yaml and its templates/, or a program.yaml), checked
    as `winback validate` checks it and loaded as the functions load a published version."""
    from winback.config.bundle import Bundle, BundleProblem
    from winback.config.loader import load_bundle
    from winback.content.locales import SHIPPED_TEMPLATE_ROOT
    from winback.runtime.deps import deps
    from winback_dev.validate_program import validate_program

    problems = validate_program(path)
    if problems:
        raise CommandError(f"{path} does not load: " + "; ".join(problems))
    try:
        bundle = Bundle.from_source(path, SHIPPED_TEMPLATE_ROOT)
    except BundleProblem as exc:
        raise CommandError(f"{path} does not load: {exc}") from None
    program, _ = load_bundle(bundle, Path(deps().settings.program_cache_dir))
    return program


def _as_of(text: str | None) -> datetime:
    from winback.runtime.deps import deps

    if text is None:
        return deps().clock.now()
    try:
        at = datetime.fromisoformat(text)
    except ValueError:
        raise CommandError(f"--as-of {text!r} is not an ISO 8601 time") from None
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def _plan(args: argparse.Namespace) -> int:
    from winback.adapters.provider_account import read_limits
    from winback.runtime.deps import deps
    from winback.services.send.compose import Signer
    from winback_dev.plan_dry_run import PlanSources, run_plan
    from winback_dev.plan_output import plan_json, plan_text
    from winback_dev.plan_pace import email_rate, pace_for
    from winback_dev.progress import Progress
    from winback_dev.read_only import read_only

    with read_only(), ExitStack() as stack:
        published = published_program()
        changed = _changed_program(args.program) if args.program else None
        d = deps()
        sources = PlanSources(
            table=d.activity,
            context=d.send_context,
            suppression=d.suppression,
            coupons=d.coupons,
            recommender=d.recommender,
            signer=Signer(b"plan: no link is signed", d.settings.public_base_url),
            clock=d.clock,
            stats=d.population_stats.load(),
        )
        pace = pace_for(changed or published, email_rate(lambda: read_limits(0.0), args.email_rate, args.email_quota))
        changes = stack.enter_context(args.changes.open("w", encoding="utf-8")) if args.changes else None
        progress = Progress("plan")
        as_of = _as_of(args.as_of)
        result = run_plan(sources, published, changed, as_of, pace, changes, progress, args.all_dormant)
        progress.close()
    label = f"program {args.program} against the published one" if args.program else "the published program"
    if args.json:
        print(json.dumps(plan_json(result, label), indent=2))
    else:
        print(plan_text(result, label))
    return 0


def run(args: argparse.Namespace) -> int:
    from winback_dev.stack_env import use_deployed_stack

    if args.stack_name:
        use_deployed_stack(args.stack_name)
    command = {"preview": _preview, "test-send": _test_send, "plan": _plan}[args.command]
    try:
        return command(args)
    except CommandError as exc:
        print(f"winback: {exc}", file=sys.stderr)
        return 2
