"""`winback demo`: the whole pipeline on an embedded moto server, no AWS account, no Docker.

Provision template.yaml on moto, send a realistic population's history through the signed
webhook, replay earlier feedback (bounces, complaints, STOP replies, one-click unsubscribes),
fire the daily schedule three times (three days ago, today, and today again), drain the queues
through the real handlers, then replay feedback on what was sent and print a summary.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections import Counter
from contextlib import redirect_stdout
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3

from winback_dev.lambda_events import ses_bounce, ses_complaint, sms_reply
from winback_dev.population import DemoUser, generate
from winback_dev.runner import LocalRunner
from winback_dev.stack import provision

SENDER = "winback@shop.example.com"
REGION = "us-east-1"


def _start_moto() -> Any:
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").disabled = True  # its access log prints a line per AWS call
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    os.environ.update(
        {
            "AWS_ENDPOINT_URL": f"http://{host}:{port}",
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_SESSION_TOKEN": "testing",
            "AWS_DEFAULT_REGION": REGION,
            "AWS_REGION": REGION,
        }
    )
    return server


def _configure_functions(env: dict[str, str], log_path: Path) -> None:
    os.environ.update(env)
    os.environ.update(
        {
            "PUBLIC_BASE_URL": "http://localhost:3000",
            "SENDER_EMAIL": SENDER,
            "POWERTOOLS_SERVICE_NAME": "winback",
            "POWERTOOLS_METRICS_NAMESPACE": "Winback",
            "POWERTOOLS_TRACE_DISABLED": "true",
            "POWERTOOLS_LOG_LEVEL": "INFO",
        }
    )
    from winback.observability import logger

    stream = log_path.open("w", encoding="utf-8")
    for handler in logger.handlers:
        if hasattr(handler, "setStream"):
            handler.setStream(stream)


def _provider_messages() -> tuple[Counter[str], int]:
    """What the (moto) providers actually delivered, by channel, and how many were duplicates."""
    from moto.backends import get_backend

    account = "123456789012"
    ses = get_backend("ses")[account][REGION]
    sns = get_backend("sns")[account][REGION]
    by_channel: Counter[str] = Counter()
    seen: Counter[tuple[str, str]] = Counter()
    for message in ses.sent_messages:
        for address in message.destinations.get("ToAddresses", []):
            by_channel["email"] += 1
            seen[(address, message.subject)] += 1
    for phone, text in sns.sms_messages.values():
        by_channel["sms"] += 1
        seen[(phone, text)] += 1
    duplicates = sum(n - 1 for n in seen.values() if n > 1)
    return by_channel, duplicates


def _post_history(runner: LocalRunner, users: list[DemoUser]) -> dict[str, int]:
    events = [e for u in users for e in u.events]
    statuses: Counter[str] = Counter()
    first_id = None
    for start in range(0, len(events), 100):
        webhook_id = f"msg_demo_{start // 100:06d}"
        first_id = first_id or webhook_id
        reply = runner.post_events(events[start : start + 100], webhook_id=webhook_id)
        statuses[str(reply["statusCode"])] += 1
    # An upstream retry of a request already accepted: acknowledged, applied once.
    assert first_id is not None
    runner.post_events(events[:100], webhook_id=first_id)
    return {
        "events": len(events),
        "requests": sum(statuses.values()),
        **{f"http_{k}": v for k, v in statuses.items()},
    }


def _earlier_feedback(
    runner: LocalRunner, users: list[DemoUser], unsubscribe_key: bytes, now: datetime
) -> dict[str, int]:
    from winback.domain.tokens import sign_token

    messages: list[str] = []
    for u in users:
        if u.email and u.bad_email:
            messages.append(ses_bounce(u.email, "Permanent"))
        if u.email and u.complained_before:
            messages.append(ses_complaint(u.email))
    stops = [u for u in users if u.phone and u.sms_consent][::40]
    for i, u in enumerate(stops):
        assert u.phone is not None
        messages.append(sms_reply(u.phone, "退订" if u.locale == "zh-CN" else ("STOP" if i % 2 else "td")))
    kinds = runner.publish_feedback(messages)
    unsubscribed = 0
    for u in [u for u in users if u.email and u.email_consent and not u.bad_email][::50]:
        token = sign_token(unsubscribe_key, u.user_id, "email", "newsletter", now, timedelta(days=365))
        reply = runner.http("POST", "/unsubscribe", {"token": token}, "List-Unsubscribe=One-Click")
        unsubscribed += reply["statusCode"] == 200
    return {**kinds, "one_click_unsubscribes": unsubscribed}


def _run(runner: LocalRunner, at: datetime) -> dict[str, Any]:
    started = time.perf_counter()
    plan = runner.fire_schedule(at)
    scan = runner.drain("ScanQueue", "scan")
    scanned = time.perf_counter()
    send = runner.drain("SendQueue", "send")
    return {
        "run_id": plan["run_id"],
        "as_of": at.isoformat(timespec="seconds"),
        "segments": plan["segments"],
        "scan_jobs": scan.records,
        "send_jobs": send.records,
        "send_jobs_redelivered": send.redelivered,
        "failed_jobs": scan.failed_records + send.failed_records,
        "scan_s": round(scanned - started, 1),
        "send_s": round(time.perf_counter() - scanned, 1),
    }


def _later_feedback(runner: LocalRunner, users: list[DemoUser]) -> dict[str, int]:
    """Feedback on today's sends: a few mailbox-full bounces (three each) and complaints."""
    from moto.backends import get_backend

    ses = get_backend("ses")["123456789012"][REGION]
    sent_to = sorted({a for m in ses.sent_messages for a in m.destinations.get("ToAddresses", [])})
    messages: list[str] = []
    for address in sent_to[::97]:
        messages += [ses_bounce(address, "Transient") for _ in range(3)]
    messages += [ses_complaint(address) for address in sent_to[5::401]]
    messages.append(json.dumps({"hello": "not a notification"}))
    return runner.publish_feedback(messages)


def _by_tier(run_id: str) -> dict[str, int]:
    """Users per tier as the last run's scan saw them (users it found active count as "active")."""
    from winback.adapters.messaging_store import MessagingStore
    from winback.settings import get_settings

    counts = MessagingStore(get_settings().messaging_table).run_figures(run_id)
    tiers = {k.removeprefix("tier_"): v for k, v in counts.items() if k.startswith("tier_")}
    return {"active": counts.get("active", 0), **tiers}


def _counters() -> dict[str, int]:
    from winback.adapters.messaging_store import MessagingStore
    from winback.program import load_program
    from winback.settings import get_settings

    store = MessagingStore(get_settings().messaging_table)
    total: Counter[str] = Counter()
    for campaign in load_program().campaigns:
        for counts in store.counters(campaign.id).values():
            total.update(counts)
    return dict(total)


def run_demo(users: int = 5000, out_dir: Path = Path("demo-out")) -> dict[str, Any]:
    started = time.perf_counter()
    out_dir.mkdir(parents=True, exist_ok=True)
    server = _start_moto()
    try:
        resources = provision()
        _configure_functions({**resources.env()}, out_dir / "lambda.log")
        boto3.client("sesv2").create_email_identity(EmailIdentity=SENDER)
        secrets = boto3.client("secretsmanager")
        webhook_secret = secrets.get_secret_value(SecretId=resources.physical["WebhookSecret"])["SecretString"]
        unsubscribe_key = secrets.get_secret_value(SecretId=resources.physical["UnsubscribeSecret"])["SecretString"]
        runner = LocalRunner(resources, webhook_secret, redeliver_fraction=0.05)
        now = datetime.now(UTC)
        population = generate(users, now)
        phases: dict[str, float] = {"provision": time.perf_counter() - started}

        def lap(name: str) -> None:
            phases[name] = time.perf_counter() - started - sum(phases.values())

        with (
            (out_dir / "metrics.log").open("w", encoding="utf-8") as metrics_log,
            redirect_stdout(metrics_log),
        ):
            ingest = _post_history(runner, population)
            lap("ingest")
            earlier = _earlier_feedback(runner, population, unsubscribe_key.encode(), now)
            lap("feedback_before")
            runs = [_run(runner, now - timedelta(days=3)), _run(runner, now), _run(runner, now)]
            lap("runs")
            later = _later_feedback(runner, population)
            lap("feedback_after")
        counters = _counters()
        by_channel, duplicates = _provider_messages()
        by_tier = _by_tier(runs[-1]["run_id"])
        lap("summary")
        dlq = {name: runner.queue_depth(name) for name in ("ScanDLQ", "SendDLQ") if name in resources.physical}
    finally:
        server.stop()
    summary: dict[str, Any] = {
        "users": users,
        "by_tier": by_tier,
        "targeted": counters.get("targeted", 0),
        "suppressed": counters.get("suppressed", 0),
        "capped": counters.get("capped", 0),
        "no_channel": counters.get("no_channel", 0),
        "already_sent": counters.get("already_sent", 0),
        "unknown_outcome": counters.get("unknown", 0),
        "failed": counters.get("failed", 0),
        "sent": {ch: counters.get(f"sent_{ch}", 0) for ch in ("email", "sms", "push")},
        "delivered_by_provider": dict(by_channel),
        "duplicates": duplicates,
        "ingest": ingest,
        "feedback_before": earlier,
        "feedback_after": later,
        "runs": runs,
        "dlq_depth": dlq,
        "phase_s": {k: round(v, 1) for k, v in phases.items()},
        "wall_s": round(time.perf_counter() - started, 1),
    }
    (out_dir / "summary.json").write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return summary


def print_summary(summary: dict[str, Any], out_dir: Path) -> None:
    sent = summary["sent"]
    lines = [
        "",
        "winback demo: the whole pipeline on moto",
        f"  users            {summary['users']:>7}   by tier now: "
        + ", ".join(f"{k} {v}" for k, v in sorted(summary["by_tier"].items())),
        f"  events ingested  {summary['ingest']['events']:>7}   in {summary['ingest']['requests']} signed requests",
        f"  targeted         {summary['targeted']:>7}   (3 scheduled runs: 3 days ago, today, today again)",
        f"  suppressed       {summary['suppressed']:>7}   (bounces, complaints, STOP/TD/退订, one-click unsubscribes)",
        f"  capped           {summary['capped']:>7}   (frequency caps per user and channel)",
        f"  no channel       {summary['no_channel']:>7}   (no consent or no address)",
        f"  sent             {sum(sent.values()):>7}   email {sent['email']}, sms {sent['sms']}, push {sent['push']}",
        f"  provider got     {sum(summary['delivered_by_provider'].values()):>7}   duplicates: {summary['duplicates']}"
        f" (redelivered send jobs: {sum(r['send_jobs_redelivered'] for r in summary['runs'])})",
        f"  today's re-run   {summary['runs'][2]['send_jobs']:>7}   send jobs (nothing new to send)",
        f"  wall time        {summary['wall_s']:>7}s",
        f"  summary: {out_dir / 'summary.json'}   logs: {out_dir / 'lambda.log'}",
        "",
    ]
    print("\n".join(lines))
