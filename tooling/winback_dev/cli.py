"""The `winback` operator command: the demo, campaign reports, resuming a paused campaign,
pausing or resuming a whole channel (`pause --channel sms`, `resume --channel sms`), importing history
from S3 (`winback import s3://bucket/prefix/`), the data-rights commands and the model fits
(`winback fit-bgnbd FILE.csv`, `winback fit-gamma-gamma FILE.csv`).

`report`, `pause` and `resume` work against a deployed stack (`--stack-name`, with your AWS credentials),
against the tables named by the environment (as a function sees them), or, for `report`, against
the reports a demo run saved (`--from demo-out/reports.json`).

`validate` and `program publish|history|rollback|diff` (tooling/winback_dev/program_cli.py) check a
program and manage its published versions.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from winback_dev import admission_cli, prediction_cli, program_cli, program_report_cli, workbench_cli
from winback_dev.doctor import commands as doctor_commands

if TYPE_CHECKING:
    from winback.models.report import CampaignReport

TABLES = {
    "ACTIVITY_TABLE": "ActivityTable",
    "SUPPRESSION_TABLE": "SuppressionTable",
    "MESSAGING_TABLE": "MessagingTable",
    "DEFERRAL_TABLE": "DeferralTable",
    "INCENTIVE_TABLE": "IncentiveTable",
    "AUDIENCE_BUCKET": "AudienceBucket",
    "PROGRAM_BUCKET": "ProgramBucket",
}


def _use_stack(stack_name: str, more: dict[str, str] | None = None) -> None:
    """Point the code at a deployed stack's tables (and the `more` resources, by variable)."""
    import boto3

    cfn = boto3.client("cloudformation")
    for variable, logical_id in {**TABLES, **(more or {})}.items():
        found = cfn.describe_stack_resource(StackName=stack_name, LogicalResourceId=logical_id)
        os.environ[variable] = found["StackResourceDetail"]["PhysicalResourceId"]


def _live_report(campaign_id: str) -> CampaignReport:
    from winback.runtime.deps import deps
    from winback.services.report import campaign_report

    d = deps()
    return campaign_report(campaign_id, d, d.clock.now())


def _saved_report(path: Path, campaign_id: str) -> CampaignReport:
    from winback.models.report import CampaignReport

    for data in json.loads(path.read_text(encoding="utf-8")):
        if data["campaign_id"] == campaign_id:
            return CampaignReport.model_validate(data)
    raise KeyError(campaign_id)


def _report(args: argparse.Namespace) -> int:
    from winback_dev.report_table import render_table

    if args.stack_name:
        _use_stack(args.stack_name)
    try:
        report = _saved_report(args.source, args.campaign) if args.source else _live_report(args.campaign)
    except KeyError:
        print(f"winback: no campaign {args.campaign!r}", file=sys.stderr)
        return 2
    if args.html is not None:
        from winback_dev.report_html import render_html

        title = f"winback: {report.campaign_id} against its holdout"
        args.html.write_text(render_html([report], title), encoding="utf-8")
        print(f"report: {args.html}", file=sys.stderr)
    print(report.model_dump_json(indent=2) if args.json else render_table(report))
    return 0


def _pause(args: argparse.Namespace) -> int:
    from winback.adapters.channel_pause import ChannelPauses
    from winback.runtime.deps import deps
    from winback.services.channel_pause import pause_channel

    if args.stack_name:
        _use_stack(args.stack_name)
    d = deps()
    try:
        pause_channel(ChannelPauses(d.settings.messaging_table), args.channel, args.reason, d.clock.now())
    except ValueError as error:
        print(f"winback: {error}", file=sys.stderr)
        return 2
    print(f"channel {args.channel}: paused")
    return 0


def _resume_channel(channel: str) -> int:
    from winback.adapters.channel_pause import ChannelPauses
    from winback.runtime.deps import deps
    from winback.services.channel_pause import resume_channel

    try:
        resumed = resume_channel(ChannelPauses(deps().settings.messaging_table), channel)
    except ValueError as error:
        print(f"winback: {error}", file=sys.stderr)
        return 2
    print(f"channel {channel}: {'resumed' if resumed else 'was not paused'}")
    return 0


def _resume(args: argparse.Namespace) -> int:
    from winback.runtime.deps import deps
    from winback.services.report import resume_campaign

    if args.stack_name:
        _use_stack(args.stack_name)
    if (args.campaign is None) == (args.channel is None):
        print("winback: resume takes a campaign or --channel (one of them)", file=sys.stderr)
        return 2
    if args.channel is not None:
        return _resume_channel(args.channel)
    d = deps()
    try:
        resumed = resume_campaign(args.campaign, d.program, d.messaging)
    except KeyError:
        print(f"winback: no campaign {args.campaign!r}", file=sys.stderr)
        return 2
    print(f"{args.campaign}: {'resumed' if resumed else 'was not paused'}")
    return 0


# What the erasure reaches besides the tables (`--stack-name`).
ERASURE_RESOURCES = {"BACKFILL_BUCKET": "BackfillBucket", "ERASURE_STATE_MACHINE_ARN": "ErasureStateMachine"}


def _data_rights(args: argparse.Namespace) -> int:
    from winback_dev import data_rights

    if args.stack_name:
        _use_stack(args.stack_name, ERASURE_RESOURCES if args.command == "erase" else {})
    if args.command == "erase":
        print(json.dumps(data_rights.erase(args.user_id, wait=not args.no_wait)))
    elif args.command == "export-user":
        print(data_rights.export(args.user_id))
    else:
        print(f"migrated {data_rights.migrate_suppression()} plain suppression entries to their hashed form")
    return 0


def _import(args: argparse.Namespace) -> int:
    """Against a deployed stack: start BackfillStateMachine and poll it. Otherwise: play the map
    locally against the tables and bucket the environment names (a moto server, as in the demo)."""
    import uuid

    from winback_dev import backfill

    try:
        bucket, prefix = backfill.parse_s3_uri(args.uri)
    except ValueError as exc:
        print(f"winback: {exc}", file=sys.stderr)
        return 2
    run_id = args.run_id or f"import-{uuid.uuid4().hex[:12]}"
    if args.stack_name:
        import boto3

        cfn = boto3.client("cloudformation")

        def physical(logical_id: str) -> str:
            found = cfn.describe_stack_resource(StackName=args.stack_name, LogicalResourceId=logical_id)
            return str(found["StackResourceDetail"]["PhysicalResourceId"])

        execution = backfill.start_execution(physical(backfill.STATE_MACHINE), bucket, prefix, run_id)
        print(f"started {execution}", file=sys.stderr)
        status = backfill.wait_for(execution, on_poll=lambda s: print(f"  {s}", file=sys.stderr))
        counts: dict[str, int] = backfill.progress(physical("BackfillBucket"), run_id)
        return _import_result(run_id, status, counts)
    try:
        counts = backfill.play_import(bucket, prefix, run_id)
    except backfill.ImportFailed as exc:
        print(f"winback: {exc}", file=sys.stderr)
        return 1
    return _import_result(run_id, "SUCCEEDED", counts)


def _import_result(run_id: str, status: str, counts: dict[str, int]) -> int:
    """Print the run's counts; 1 unless it succeeded with every batch applied. A batch the map
    tolerated as failed is still a batch whose rows are missing."""
    print(json.dumps({"run_id": run_id, "status": status, **counts}, indent=2))
    if counts.get("batches_failed"):
        print(
            f"winback: {counts['batches_failed']} batches ({counts['rows_failed']} rows) failed: see failed/{run_id}/ "
            "in BackfillBucket, fix the cause and import again (rows already applied are not applied twice)",
            file=sys.stderr,
        )
        return 1
    return 0 if status == "SUCCEEDED" else 1


def _simulate(args: argparse.Namespace) -> int:
    from winback_dev.simulate import Faults, simulate, to_json

    base = Faults()
    scale = args.fault_rate
    faults = Faults(
        accepted_5xx=base.accepted_5xx * scale,
        timeout=base.timeout * scale,
        throttle=base.throttle * scale,
        kill=base.kill * scale,
        duplicate=base.duplicate * scale,
        redelivery=base.redelivery * scale,
        pause=scale > 0,
    )
    figures = simulate(args.users, args.seed, args.max_rate, args.quota, faults, workers=args.workers)
    text = to_json(figures)
    print(text)
    if args.json is not None:
        args.json.write_text(text + "\n", encoding="utf-8")
    broken = figures.broken()
    if broken:
        print(f"winback: promises broken: {', '.join(broken)}", file=sys.stderr)
    return 1 if broken else 0


# Commands whose arguments and runs live in a module of their own.
COMMAND_MODULES: dict[str, Callable[[argparse.Namespace], int]] = {
    command: module.run
    for module in (prediction_cli, workbench_cli, program_cli, program_report_cli, admission_cli, doctor_commands)
    for command in module.COMMANDS
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="winback", description="winback operator commands")
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="run the whole pipeline on an embedded moto server")
    demo.add_argument("--users", type=int, default=1000, help="population size (default 1000)")
    demo.add_argument("--out", type=Path, default=Path("demo-out"), help="output folder (default demo-out)")
    report = sub.add_parser("report", help="a campaign's experiment report (lift vs holdout)")
    report.add_argument("campaign")
    report.add_argument("--json", action="store_true", help="the report as JSON instead of a table")
    report.add_argument("--stack-name", help="read a deployed stack's tables")
    report.add_argument("--from", dest="source", type=Path, help="read reports a demo saved (reports.json)")
    report.add_argument("--html", type=Path, help="also write the self-contained HTML report the demo writes")
    resume = sub.add_parser("resume", help="resume a campaign that paused itself, or a paused channel")
    resume.add_argument("campaign", nargs="?")
    resume.add_argument("--channel", help="resume sending on this channel (email, sms, push, inbox)")
    resume.add_argument("--stack-name", help="a deployed stack")
    pause = sub.add_parser("pause", help="pause all sending on a channel until `resume --channel`")
    pause.add_argument("--channel", required=True, help="email, sms, push or inbox")
    pause.add_argument("--reason", default="paused by operator", help="shown with the pause")
    pause.add_argument("--stack-name", help="a deployed stack")
    for name, text in (
        ("erase", "erase everything stored about a user (GDPR Art. 17)"),
        ("export-user", "every item stored about a user, as one JSON document (GDPR Art. 15)"),
    ):
        rights = sub.add_parser(name, help=text)
        rights.add_argument("user_id")
        rights.add_argument("--stack-name", help="a deployed stack")
    sub.choices["erase"].add_argument(
        "--no-wait", action="store_true", help="print the accepted request and return (the passes run on)"
    )
    migrate = sub.add_parser("migrate-suppression", help="one-off: hash the plain SuppressionTable entries")
    migrate.add_argument("--stack-name", help="a deployed stack")
    imp = sub.add_parser("import", help="load history (JSON Lines or CSV files) from S3 into the profiles")
    imp.add_argument("uri", help="s3://bucket/prefix/ (every .jsonl and .csv file under it)")
    imp.add_argument("--stack-name", help="run the deployed stack's BackfillStateMachine")
    imp.add_argument("--run-id", help="the run's name (default: generated); errors land in errors/<run id>/")
    sim = sub.add_parser("simulate", help="the scan and send services at volume, over in-memory stores")
    sim.add_argument("--users", type=int, default=100_000, help="population size (default 100,000)")
    sim.add_argument("--seed", type=int, default=1, help="same seed, same figures (but wall_s)")
    sim.add_argument("--max-rate", type=int, default=14, help="provider sends per second (default 14)")
    sim.add_argument("--quota", type=int, default=50_000, help="provider sends per 24 hours (default 50,000)")
    sim.add_argument("--fault-rate", type=float, default=1.0, help="multiplies every fault rate (0: none)")
    sim.add_argument("--workers", type=int, default=2, help="send workers at once (default 2, SendMaxConcurrency)")
    sim.add_argument("--json", type=Path, nargs="?", const=Path("simulate.json"), help="also write the figures")
    prediction_cli.register(sub)
    program_report_cli.register(sub)
    workbench_cli.register(sub)
    program_cli.register(sub)
    admission_cli.register(sub)
    doctor_commands.register(sub)
    args = parser.parse_args(argv)
    with _logs_on_stderr():
        return _run(args)


@contextmanager
def _logs_on_stderr() -> Iterator[None]:
    """The functions' log lines go to stderr while a command runs (in Lambda they go to stdout): a
    command's stdout is its output, `--json` included."""
    import logging

    from winback.runtime.observability import logger

    handlers = [h for h in logger.handlers if isinstance(h, logging.StreamHandler)]
    streams = [h.stream for h in handlers]
    for handler in handlers:
        handler.setStream(sys.stderr)
    try:
        yield
    finally:
        for handler, stream in zip(handlers, streams, strict=True):
            handler.setStream(stream)


def _run(args: argparse.Namespace) -> int:
    if args.command in COMMAND_MODULES:
        return COMMAND_MODULES[args.command](args)
    if args.command == "simulate":
        return _simulate(args)
    if args.command in ("erase", "export-user", "migrate-suppression"):
        return _data_rights(args)
    if args.command == "demo":
        from winback_dev.demo import print_summary, run_demo
        from winback_dev.progress import Progress

        progress = Progress("demo")
        summary = run_demo(users=args.users, out_dir=args.out, progress=progress)
        progress.close(f"done in {summary['wall_s']}s")
        print_summary(summary, args.out)
        failed = sum(run["failed_jobs"] for run in summary["runs"]) + sum(summary["dlq_depth"].values())
        return 0 if summary["duplicates"] == 0 and failed == 0 else 1
    handlers = {"report": _report, "pause": _pause, "import": _import}
    return handlers.get(args.command, _resume)(args)


if __name__ == "__main__":
    raise SystemExit(main())
