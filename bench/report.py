"""The printed table: one section per metric, plain text."""

from __future__ import annotations

from typing import Any


def _ops(rows: dict[str, float], totals: dict[str, int], per_label: str) -> list[str]:
    lines = [f"     {'operation':<40}{per_label:>16}{'total':>9}"]
    for op, per in sorted(rows.items(), key=lambda kv: -kv[1]):
        lines.append(f"     {op:<40}{per:>16.3f}{totals[op]:>9}")
    return lines


def _fmt_calls(calls: dict[str, int]) -> str:
    return ", ".join(f"{k} {v}" for k, v in sorted(calls.items())) or "none"


def ingest(r: dict[str, Any]) -> list[str]:
    lines = [
        "1. AWS API calls per event ingested  (real ingest handler, signed webhook, moto)",
        f"   {r['requests']} requests x {r['events'] // r['requests']} events,"
        f" {r['distinct_users_per_request']:.1f} distinct users per request (the rest: users with several events)",
        f"   calls per event {r['calls_per_event']:.3f}   per request {r['calls_per_request']:.2f}"
        f"   per distinct user in a request {r['calls_per_user_in_request']:.3f}",
        f"   steady-state per request (after the first) {r['steady_calls_per_request']:.2f}",
        *_ops(r["by_operation_per_request"], r["by_operation_total"], "per request"),
        f"   first request (cold container): {_fmt_calls(r['first_request_calls'])}",
        f"   replayed request (same webhook-id, upstream retry): {_fmt_calls(r['replayed_request_calls'])}",
        f"   DynamoDB units per event: write {r['wru_per_event']:.2f}, read {r['rru_per_event']:.2f}"
        f"   (write by table: {_fmt_units(r['wru_by_table_per_event'])})",
    ]
    segment = r.get("segment")
    if segment:
        lines.append(
            f"   the same events as Segment calls: write {segment['wru_per_event']:.2f}, read"
            f" {segment['rru_per_event']:.2f} units per event (write by table:"
            f" {_fmt_units(segment['wru_by_table_per_event'])})"
        )
    return lines


def _fmt_units(by_table: dict[str, float]) -> str:
    return ", ".join(f"{k} {v:.2f}" for k, v in sorted(by_table.items())) or "none"


def pipeline(r: dict[str, Any]) -> list[str]:
    chans = ", ".join(f"{k} {v}" for k, v in r["sent_by_channel"].items())
    not_sent = _fmt_calls(r["not_sent"])
    return [
        "2. AWS API calls per message sent  (real plan -> scan -> send handlers, queues drained, moto)",
        f"   {r['users']} dormant users with email or SMS consent; {r['segments']} segment(s),"
        f" {r['scan_jobs']} scan job(s), {r['send_jobs']} send job(s) in {r['send_invocations']} invocation(s)",
        f"   plan stage: {_fmt_calls(r['plan_calls'])}",
        f"   scan stage: {r['scan_calls_total']} calls for {r['targeted']} targeted users"
        f" = {r['scan_calls_per_targeted_user']:.3f} per targeted user",
        *_ops(r["scan_by_operation_per_targeted_user"], r["scan_by_operation_total"], "per target"),
        f"   send stage: {r['send_calls_total']} calls for {r['sent']} messages sent ({chans})"
        f" = {r['send_calls_per_message']:.3f} per message",
        *_ops(r["send_by_operation_per_message"], r["send_by_operation_total"], "per message"),
        f"   not sent (send-stage counters): {not_sent}",
        f"   DynamoDB units per message: write {r['send_wru_per_message'] or 0:.2f},"
        f" read {r['send_rru_per_message'] or 0:.2f}"
        f"   (write by table: {_fmt_units(r['send_wru_by_table_per_message'])})",
    ]


def throughput(r: dict[str, Any]) -> list[str]:
    lines = [
        "3. Items scanned per second per worker (one segment, scan service alone)",
        f"   ** {r['note']} **",
        "   table items  segs  scanned  targeted  pages   wall s   items/s   in AWS calls s   items/s outside calls",
    ]
    for run in r["runs"]:
        outside = run["items_per_s_outside_calls"]
        lines.append(
            f"   {run['table_items']:>11}  {run['total_segments']:>4}  {run['scanned']:>7}  {run['targeted']:>8}"
            f"  {run['pages']:>5}  {run['wall_s']:>7.2f}  {run['items_per_s']:>8.0f}  {run['in_aws_calls_s']:>15.2f}"
            f"  {outside:>22.0f}"
        )
    lines.append(
        "   (in AWS calls = botocore + moto's emulation; outside calls = our code: parsing, decisions, packing)"
    )
    for run in r["runs"]:
        lines.append(f"   calls at {run['table_items']}: {_fmt_calls(run['calls'])}")
    return lines


def cold_start(r: dict[str, Any]) -> list[str]:
    base = r["boto3"]
    lines = [
        f"4. Handler import time (cold start, code part): a whole fresh process each, min of {r['runs']}"
        " interleaved rounds, against a bare `import boto3` process",
        f"   import boto3: {base['untraced']['import_s']:.3f} s untraced, {base['traced']['import_s']:.3f} s traced"
        "   (traced: as deployed, Tracing: Active; untraced: POWERTOOLS_TRACE_DISABLED)",
        "   handler      import s  x boto3  median s   traced s  x boto3   modules   loads (watched)        dev-only",
    ]
    for name, h in r["handlers"].items():
        traced = h["traced"]
        watched = ",".join(h["watched_modules"]) or "-"
        dev = ",".join(h["dev_only_modules"]) or "none"
        lines.append(
            f"   {name:<12}{h['import_s']:>9.3f}{h['import_ratio']:>9.2f}{h['median_s']:>10.3f}"
            f"{traced['import_s']:>11.3f}{traced['import_ratio']:>9.2f}{h['modules_loaded']:>10}   {watched:<22} {dev}"
        )
    it = r["importtime"]
    lines.append(f"   -X importtime, {it['function']}: {it['beyond_boto3_ms']:.0f} ms of self time beyond a bare boto3")
    lines.append(
        "     by package (self):      " + ", ".join(f"{n} {ms:.0f} ms" for n, ms in it["top_packages_self_ms"])
    )
    lines.append(
        "     top modules (cumulative): " + ", ".join(f"{n} {ms:.0f} ms" for n, ms in it["top_modules_cumulative_ms"])
    )
    return lines


def memory(r: dict[str, Any]) -> list[str]:
    lines = [
        "5. Peak memory of a scan worker versus table size (tracemalloc, one segment)",
        f"   ({r['note']})",
        "   table items  segs  scanned  targeted  pages  page size   peak MiB   retained KiB",
    ]
    for run in r["runs"]:
        lines.append(
            f"   {run['table_items']:>11}  {run['total_segments']:>4}  {run['scanned']:>7}  {run['targeted']:>8}"
            f"  {run['pages']:>5}  {run['page_size']:>9}  {run['peak_bytes'] / 2**20:>9.2f}"
            f"  {run['retained_bytes'] / 1024:>13.1f}"
        )
    lines.append(
        f"   peak ratio largest/smallest table: {r['peak_ratio_largest_to_smallest']:.2f}x"
        f" for {r['table_ratio_largest_to_smallest']:.0f}x the items (flat = bounded by a page)"
    )
    return lines


def backfill(r: dict[str, Any]) -> list[str]:
    return [
        "S3 backfill  (local Distributed Map, real backfill handler, one worker, moto in-process)",
        f"   {r['rows']} rows in {r['batches']} batches: {r['rows_per_s']:.0f} rows/s"
        f" ({r['rows_per_s_outside_calls'] or 0:.0f} rows/s outside AWS calls)",
        f"   DynamoDB writes per row {r['writes_per_row']:.3f}   AWS calls per row {r['calls_per_row']:.3f}"
        f"   re-run: {r['rerun_duplicates']} duplicates, {r['rerun_dynamodb_writes']} writes",
        f"   DynamoDB units per row: write {r['wru_per_row']:.2f}, read {r['rru_per_row']:.2f};"
        f" re-run: write {r['rerun_wru_per_row']:.2f}, read {r['rerun_rru_per_row']:.2f}",
    ]


def prediction(r: dict[str, Any]) -> list[str]:
    p = r["params"]
    return [
        f"Probability alive and value  (BG/NBD on the CDNOW cohort, {r['customers']} customers)",
        f"   fit {r['bgnbd_fit_s']:.3f} s (best of {r['fit_rounds']}): r {p['r']:.3f}, alpha {p['alpha']:.3f},"
        f" a {p['a']:.3f}, b {p['b']:.3f}, LL {r['log_likelihood']:.1f}, chi-square {r['chi_square']:.2f}",
        f"   scoring in pure Python: {r['score_us_per_user']:.1f} us per user (best of {r['score_rounds']})",
    ]


def render(results: dict[str, Any]) -> str:
    meta = results["meta"]
    sections = [
        [
            f"winback benchmarks   python {meta['python']}, moto {meta['moto']}, {meta['cpus']} CPU(s),"
            f" run {meta['run_s']:.0f} s   -> {meta['results_path']}"
        ],
        ingest(results["ingest"]),
        pipeline(results["pipeline"]),
        backfill(results["backfill"]),
        throughput(results["scan_throughput"]),
        cold_start(results["cold_start"]),
        memory(results["memory"]),
        prediction(results["prediction"]),
    ]
    return "\n\n".join("\n".join(s) for s in sections) + "\n"
