"""The `winback` operator command: the demo, campaign reports, resuming a paused campaign and
importing history from S3 (`winback import s3://bucket/prefix/`).

`report` and `resume` work against a deployed stack (`--stack-name`, with your AWS credentials),
against the tables named by the environment (as a function sees them), or, for `report`, against
the reports a demo run saved (`--from demo-out/reports.json`).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from winback.models.report import CampaignReport

TABLES = {
    "ACTIVITY_TABLE": "ActivityTable",
    "SUPPRESSION_TABLE": "SuppressionTable",
    "MESSAGING_TABLE": "MessagingTable",
    "DEFERRAL_TABLE": "DeferralTable",
    "INCENTIVE_TABLE": "IncentiveTable",
}


def _use_stack(stack_name: str) -> None:
    """Point the code at a deployed stack's tables."""
    import boto3

    cfn = boto3.client("cloudformation")
    for variable, logical_id in TABLES.items():
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
    print(report.model_dump_json(indent=2) if args.json else render_table(report))
    return 0


def _resume(args: argparse.Namespace) -> int:
    from winback.runtime.deps import deps
    from winback.services.report import resume_campaign

    if args.stack_name:
        _use_stack(args.stack_name)
    d = deps()
    try:
        resumed = resume_campaign(args.campaign, d.program, d.messaging)
    except KeyError:
        print(f"winback: no campaign {args.campaign!r}", file=sys.stderr)
        return 2
    print(f"{args.campaign}: {'resumed' if resumed else 'was not paused'}")
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
        print(json.dumps({"run_id": run_id, "status": status, **counts}, indent=2))
        return 0 if status == "SUCCEEDED" else 1
    try:
        counts = backfill.play_import(bucket, prefix, run_id)
    except backfill.ImportFailed as exc:
        print(f"winback: {exc}", file=sys.stderr)
        return 1
    print(json.dumps({"run_id": run_id, "status": "SUCCEEDED", **counts}, indent=2))
    return 0


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
    resume = sub.add_parser("resume", help="resume a campaign that paused itself")
    resume.add_argument("campaign")
    resume.add_argument("--stack-name", help="a deployed stack")
    imp = sub.add_parser("import", help="load history (JSON Lines or CSV files) from S3 into the profiles")
    imp.add_argument("uri", help="s3://bucket/prefix/ (every .jsonl and .csv file under it)")
    imp.add_argument("--stack-name", help="run the deployed stack's BackfillStateMachine")
    imp.add_argument("--run-id", help="the run's name (default: generated); errors land in errors/<run id>/")
    args = parser.parse_args(argv)
    if args.command == "demo":
        from winback_dev.demo import print_summary, run_demo

        summary = run_demo(users=args.users, out_dir=args.out)
        print_summary(summary, args.out)
        failed = sum(run["failed_jobs"] for run in summary["runs"]) + sum(summary["dlq_depth"].values())
        return 0 if summary["duplicates"] == 0 and failed == 0 else 1
    if args.command == "report":
        return _report(args)
    if args.command == "import":
        return _import(args)
    return _resume(args)


if __name__ == "__main__":
    raise SystemExit(main())
