"""The `winback` operator command."""

from __future__ import annotations

import argparse
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="winback", description="winback operator commands")
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="run the whole pipeline on an embedded moto server")
    demo.add_argument("--users", type=int, default=5000, help="population size (default 5000)")
    demo.add_argument("--out", type=Path, default=Path("demo-out"), help="output folder (default demo-out)")
    args = parser.parse_args(argv)
    if args.command == "demo":
        from winback_dev.demo import print_summary, run_demo

        summary = run_demo(users=args.users, out_dir=args.out)
        print_summary(summary, args.out)
        return 0 if summary["duplicates"] == 0 else 1
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
