"""The `winback` operator command: the demo, campaign reports and resuming a paused campaign.

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
    figures = simulate(args.users, args.seed, args.max_rate, args.quota, faults)
    text = to_json(figures)
    print(text)
    if args.json is not None:
        args.json.write_text(text + "\n", encoding="utf-8")
    ok = figures.duplicates == 0 and figures.lost == 0 and figures.dlq == 0 and figures.unaccounted == 0
    return 0 if ok and figures.peak_send_rate <= figures.max_send_rate else 1


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
    sim = sub.add_parser("simulate", help="the scan and send services at volume, over in-memory stores")
    sim.add_argument("--users", type=int, default=100_000, help="population size (default 100,000)")
    sim.add_argument("--seed", type=int, default=1, help="same seed, same figures (but wall_s)")
    sim.add_argument("--max-rate", type=int, default=14, help="provider sends per second (default 14)")
    sim.add_argument("--quota", type=int, default=50_000, help="provider sends per 24 hours (default 50,000)")
    sim.add_argument("--fault-rate", type=float, default=1.0, help="multiplies every fault rate (0: none)")
    sim.add_argument("--json", type=Path, nargs="?", const=Path("simulate.json"), help="also write the figures")
    args = parser.parse_args(argv)
    if args.command == "simulate":
        return _simulate(args)
    if args.command == "demo":
        from winback_dev.demo import print_summary, run_demo

        summary = run_demo(users=args.users, out_dir=args.out)
        print_summary(summary, args.out)
        failed = sum(run["failed_jobs"] for run in summary["runs"]) + sum(summary["dlq_depth"].values())
        return 0 if summary["duplicates"] == 0 and failed == 0 else 1
    if args.command == "report":
        return _report(args)
    return _resume(args)


if __name__ == "__main__":
    raise SystemExit(main())
