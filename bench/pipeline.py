"""Benchmark 2: AWS API calls per message sent (send stage) and per targeted user (scan stage).

A table of dormant users, every one reachable on email or SMS with consent, goes through the real
plan -> scan -> send handlers; the queues are drained as Lambda's event-source mapping would.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from typing import Any

from bench import calls, population
from bench.env import ACCOUNT, REGION, drain, invoke, moto_session
from bench.ingest import per_table
from winback_dev.lambda_events import schedule_event

# 800, not 2,000: moto 5.2.5 deep-copies every table a TransactWriteItems touches (to roll back on
# failure), so each send's claim costs O(MessagingTable size) here and the send stage grows
# quadratically (2,000 users took ~350 s on 2 cores). The per-message counts barely depend on N.
USERS = 800


def _provider_deliveries() -> dict[str, int]:
    from moto.backends import get_backend

    ses = get_backend("ses")[ACCOUNT][REGION]
    sns = get_backend("sns")[ACCOUNT][REGION]
    return {"email": len(ses.sent_messages), "sms": len(sns.sms_messages)}


def _counters() -> Counter[str]:
    from winback.runtime.deps import deps

    d = deps()
    total: Counter[str] = Counter()
    for campaign in d.program.campaigns:
        for cell in d.messaging.cells(campaign.id):
            if cell.step is not None:
                total.update(cell.counts)
            elif cell.arm != "holdout":
                total["targeted"] += cell.counts.get("assigned", 0)
    return total


def _per(tally: calls.Tally, n: int) -> dict[str, float]:
    return {k: v / n for k, v in sorted(tally.calls.items())} if n else {}


def run() -> dict[str, Any]:
    now = datetime.now(UTC)
    with moto_session() as session:
        population.write(session.url("ActivityTable"), population.dormant(USERS, now))
        with calls.scope() as plan:
            planned = invoke("plan", schedule_event(now))
        scan = calls.Tally()
        scanned = drain(session.url("ScanQueue"), "scan", scan)
        send = calls.Tally(metered=True)
        sent_jobs = drain(session.url("SendQueue"), "send", send)
        counters = _counters()
        delivered = _provider_deliveries()
    delivered["inbox"] = counters["sent_inbox"]  # the inbox is our own table, not a provider
    targeted = counters["targeted"]
    sent = counters["sent"]
    if sum(delivered.values()) != sent:
        raise RuntimeError(f"ledger says {sent} sent, providers got {delivered}")
    return {
        "users": USERS,
        "segments": planned["segments"],
        "plan_calls": dict(plan.calls),
        "scan_jobs": scanned.records,
        "targeted": targeted,
        "scan_calls_total": scan.total,
        "scan_calls_per_targeted_user": scan.total / targeted if targeted else None,
        "scan_by_operation_per_targeted_user": _per(scan, targeted),
        "scan_by_operation_total": dict(sorted(scan.calls.items())),
        "send_jobs": sent_jobs.records,
        "send_invocations": sent_jobs.invocations,
        "sent": sent,
        "sent_by_channel": delivered,
        "not_sent": {k: v for k, v in counters.items() if k not in ("targeted", "sent") and not k.startswith("sent_")},
        "send_calls_total": send.total,
        "send_calls_per_message": send.total / sent if sent else None,
        "send_by_operation_per_message": _per(send, sent),
        "send_by_operation_total": dict(sorted(send.calls.items())),
        "send_wru_per_message": send.units.write / sent if sent else None,
        "send_rru_per_message": send.units.read / sent if sent else None,
        "send_wru_by_table_per_message": per_table(send.units.write_by_table, sent, session) if sent else {},
        "send_rru_by_table_per_message": per_table(send.units.read_by_table, sent, session) if sent else {},
    }
