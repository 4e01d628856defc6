"""`winback demo`: the whole program on an embedded moto server, no AWS account, no Docker.

Provision template.yaml on moto, load a realistic population's history from JSON Lines files in
S3 through the backfill (the local Distributed Map; a few users' through the signed webhook), replay
earlier feedback, then live three weeks of simulated time: the daily stats step and scan on four
of the days, the hourly release of deferred jobs (played every six hours), the
users' own behaviour (people who got a message come back more often than the held-out ones, some
with their coupon), answers to "why did you leave", delivery/bounce/complaint feedback and a
bounce storm that pauses a campaign until it is resumed. Then the weekly audience export, the
campaign reports (`report.html`, `reports.json`) and a summary.
"""

from __future__ import annotations

import json
import logging
import os
import random
import re
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager, redirect_stdout
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3

from winback.config.dormancy import CHURN_RISK
from winback_dev.demo_churn import ChurnRiskLog, churn_risk_log
from winback_dev.demo_world import BASE_DAILY_RETURN, MESSAGED_DAILY_RETURN, World
from winback_dev.devices import register_devices
from winback_dev.lambda_events import ses_bounce, ses_complaint, sms_reply
from winback_dev.population import DemoUser, generate
from winback_dev.progress import Progress, counts_text
from winback_dev.runner import LocalRunner
from winback_dev.segment_feed import feed
from winback_dev.stack import provision

if TYPE_CHECKING:
    from winback_dev.demo_sizing import HoldoutSize

SENDER = "winback@shop.example.com"
REGION = "us-east-1"
DAYS = 21
SCAN_DAYS = (0, 3, 10, 17)
RELEASE_HOURS = (0, 8, 16)  # the hourly schedule, played every eight hours
STORM_DAY = 10  # a list with stale addresses: lapsing-nudge's bounce rate passes 5% and it pauses
RESUME_DAY = 12
# A recommendation as the email layout shows a known item: its name, then its formatted price.
# The demo keeps this share of users out of every campaign, to show the whole program's lift.
PROGRAM_CONTROL_PERCENT = 10
SEGMENT_LIFT_MIN_SAMPLE = 20  # users a side (coupon, no-coupon) in a segment before deciding
CATALOG_SHOWN = re.compile(r"No\. \d+(</a> · |, )\$\d")


def _start_moto() -> Any:
    from moto.server import ThreadedMotoServer

    from winback_dev import moto_transactions

    moto_transactions.install()  # a transaction copies its items, not its tables
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
    from winback.runtime.observability import logger

    _use_demo_program(log_path.parent)
    stream = log_path.open("w", encoding="utf-8")
    for handler in logger.handlers:
        if hasattr(handler, "setStream"):
            handler.setStream(stream)


def _use_demo_program(out_dir: Path) -> None:
    """The shipped program with a program-wide control group, as the functions' program file."""
    import yaml

    from winback.config.loader import DEFAULT_PROGRAM_PATH
    from winback.runtime.deps import reset

    data = yaml.safe_load(DEFAULT_PROGRAM_PATH.read_text(encoding="utf-8"))
    _with_churn_risk(data)
    data.setdefault("experiments", {})["program_control_percent"] = PROGRAM_CONTROL_PERCENT
    _small_sample_for_segment_lift(data)
    path = out_dir / "program.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    os.environ["WINBACK_PROGRAM_PATH"] = str(path)
    reset()


def _small_sample_for_segment_lift(data: dict[str, Any]) -> None:
    """dormant-offer decides on its segments' coupon lift after a demo-sized sample a side."""
    for campaign in data.get("campaigns", []):
        if campaign.get("skip_segments_without_lift"):
            campaign["segment_lift_min_sample"] = SEGMENT_LIFT_MIN_SAMPLE


def _incentive_skips(start: datetime) -> list[dict[str, Any]]:
    """The segments that lost their incentive for lack of lift, as the stats step stored them, with
    the scan day (1-based, of SCAN_DAYS) from which on their users got no offer."""
    from winback.runtime.deps import deps

    stats = deps().population_stats.load()
    days = {(start + timedelta(days=d)).date(): n for n, d in enumerate(SCAN_DAYS, start=1)}
    return [
        {
            "campaign_id": s.campaign_id,
            "segment": s.segment,
            "since": s.since.isoformat(),
            "scan_day": days.get(s.since),
            "coupon": f"{s.incentive_x}/{s.incentive_n}",
            "no_coupon": f"{s.no_offer_x}/{s.no_offer_n}",
            "ci95": [round(s.abs_low, 4), round(s.abs_high, 4)],
        }
        for s in (stats.incentive_skips if stats is not None else ())
    ]


def _skips_line(skips: list[dict[str, Any]]) -> str:
    head = f"  incentive skip   {len(skips):>7}   "
    if not skips:
        return head + "no segment lost its coupon"
    return head + "; ".join(
        f"{s['campaign_id']}/{s['segment']} lost the coupon from scan day {s['scan_day']} ({s['since']}): "
        f"coupon {s['coupon']} vs no-coupon {s['no_coupon']} reactivated, "
        f"lift 95% CI [{s['ci95'][0]:+.1%}, {s['ci95'][1]:+.1%}]"
        for s in skips
    )


@contextmanager
def _simulated_time(start: datetime) -> Iterator[list[datetime]]:
    """The functions' clock (SystemClock) reads the simulated time; the list's item moves it."""
    from winback.domain.clock import SystemClock

    now = [start]
    original = SystemClock.now
    SystemClock.now = lambda _self: now[0]  # type: ignore[method-assign, assignment]
    try:
        yield now
    finally:
        SystemClock.now = original  # type: ignore[method-assign]


# A repeat buyer whose P(alive) falls under this enters churn_risk; lapsing-nudge takes that tier too.
CHURN_RISK_BELOW = 0.6
CHURN_RISK_CAMPAIGN = "lapsing-nudge"


def _with_churn_risk(data: dict[str, Any]) -> None:
    """The demo's program with `dormancy.churn_risk` on and a campaign targeting it."""
    data["dormancy"]["churn_risk"] = {"p_alive_below": CHURN_RISK_BELOW}
    for campaign in data["campaigns"]:
        if campaign["id"] == CHURN_RISK_CAMPAIGN:
            campaign["tiers"] = [CHURN_RISK, *campaign["tiers"]]


def _write_holdouts(sizes: list[HoldoutSize]) -> None:
    """Each campaign's sized holdout_percent into the demo's program file; the functions re-read it."""
    import yaml

    from winback.runtime.deps import reset

    path = Path(os.environ["WINBACK_PROGRAM_PATH"])
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    shares = {s.campaign_id: s.holdout_percent for s in sizes}
    for campaign in data["campaigns"]:
        campaign["holdout_percent"] = shares[campaign["id"]]
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    reset()


def _size_holdouts(runner: LocalRunner, world: World, clock: list[datetime], start: datetime) -> list[HoldoutSize]:
    """Before the first scan: the stats step, a dry run of the loaded population through the scan's
    rules on each scan day, and each campaign's holdout sized for the simulated effect."""
    from winback.domain.audience.scoring import scorer_for
    from winback.domain.audience.segmentation import RfmSegmenter
    from winback.runtime.deps import deps
    from winback_dev.demo_sizing import dry_run, size_holdouts, stored_profiles

    clock[0] = start - timedelta(hours=2)
    runner.fire_schedule(clock[0], "stats")
    clock[0] = start
    d = deps()
    stats = d.population_stats.load()
    segmenter, scorer = RfmSegmenter(d.program, stats), scorer_for(stats, d.program.segments)
    profiles = stored_profiles(d.settings.activity_table)
    scan_days = [start + timedelta(days=day) for day in SCAN_DAYS]
    expected = dry_run(profiles, d.program, segmenter, scorer, scan_days, start + timedelta(days=DAYS))
    rates = (BASE_DAILY_RETURN, MESSAGED_DAILY_RETURN)
    sizes = size_holdouts(expected, d.program, rates, PROGRAM_CONTROL_PERCENT / 100)
    _write_holdouts(sizes)
    world.listen_to_sends()  # the program's reload made new boto3 clients: listen on the new SES one
    return sizes


def _churn_log(population: list[DemoUser]) -> ChurnRiskLog:
    """churn_risk's first firing per user, against the first fixed tier of the program in use, and
    the BG/NBD fit the stats step stored (churn_risk needs a usable one)."""
    from winback.runtime.deps import deps

    d = deps()
    stats = d.population_stats.load()
    return churn_risk_log(population, d.program.dormancy.tiers[0].after_days, stats.bgnbd if stats else None)


def _holdout_sizing(sizes: list[HoldoutSize]) -> dict[str, dict[str, Any]]:
    return {
        s.campaign_id: {
            "expected_users": s.expected_users,
            "reach": s.reach,
            "needed_per_arm": s.needed_per_arm,
            "holdout_percent": s.holdout_percent,
            "smaller_arm": s.smaller_arm,
        }
        for s in sizes
    }


def _post(runner: LocalRunner, events: list[dict[str, Any]], prefix: str) -> Counter[str]:
    statuses: Counter[str] = Counter()
    for start in range(0, len(events), 100):
        reply = runner.post_events(events[start : start + 100], webhook_id=f"msg_{prefix}_{start // 100:06d}")
        statuses[str(reply["statusCode"])] += 1
        for key in ("coupons_redeemed", "coupons_rejected", "reactivated"):
            statuses[key] += json.loads(reply["body"]).get(key, 0)
    return statuses


HISTORY_PREFIX = "imports/demo-history/"
CATALOG_KEY = "imports/catalog/items.csv"
CATALOG_ADJECTIVES = ("Classic", "Everyday", "Trail", "Urban", "Cloud", "Studio", "Weekend")
HISTORY_FILES = 4
LIVE_USERS = 50  # whose history still arrives through the signed webhook, so that path runs too


def _history_files(bucket: str, users: list[DemoUser]) -> list[str]:
    """The population's history as JSON Lines files in BackfillBucket, as a shop would upload it."""
    s3 = boto3.client("s3")
    keys = []
    for part in range(HISTORY_FILES):
        lines = [json.dumps(e, ensure_ascii=False) + "\n" for u in users[part::HISTORY_FILES] for e in u.events]
        key = f"{HISTORY_PREFIX}part-{part:04d}.jsonl"
        s3.put_object(Bucket=bucket, Key=key, Body="".join(lines).encode())
        keys.append(key)
    return keys


def _catalog_csv() -> str:
    """The demo shop's catalog: every item the population views or buys (sku-1 … sku-399), every
    17th out of stock, as the CSV a shop would export (Segment product property names)."""
    from winback_dev.population import CATEGORIES

    lines = ["product_id,name,category,price,currency,image_url,url,in_stock"]
    for n in range(1, 400):
        category = CATEGORIES[n % len(CATEGORIES)]
        name = f"{CATALOG_ADJECTIVES[n % len(CATALOG_ADJECTIVES)]} {category.title()} No. {n}"
        price = f"{9 + (n * 37) % 190}.{(n * 13) % 100:02d}"
        lines.append(
            f"sku-{n},{name},{category},{price},USD,https://cdn.shop.example.com/sku-{n}.jpg,"
            f"https://shop.example.com/p/sku-{n},{'false' if n % 17 == 0 else 'true'}"
        )
    return "\n".join(lines) + "\n"


def _load_history(runner: LocalRunner, users: list[DemoUser]) -> tuple[dict[str, int], dict[str, int]]:
    """Most users' history through the S3 backfill (the local Distributed Map), a few users' through
    the webhook; then an upstream retry of an accepted request and a re-run of one history file,
    both of which change nothing."""
    from winback_dev.backfill import play_import

    live, imported = users[:LIVE_USERS], users[LIVE_USERS:]
    events = [e for u in live for e in u.events]
    statuses = _post(runner, events, "history")
    runner.post_events(events[:100], webhook_id="msg_history_000000")
    requests = statuses["200"] + statuses["400"] + statuses["401"]
    ingest = {"events": len(events), "requests": requests, "http_200": statuses["200"]}
    bucket = runner.resources.physical["BackfillBucket"]
    keys = _history_files(bucket, imported)
    counts = play_import(bucket, HISTORY_PREFIX, "demo-history")
    # After the history: moto's TransactWriteItems copies the tables it writes, catalog items included.
    boto3.client("s3").put_object(Bucket=bucket, Key=CATALOG_KEY, Body=_catalog_csv().encode())
    catalog = play_import(bucket, CATALOG_KEY, "demo-catalog")
    rerun = play_import(bucket, keys[0], "demo-history-rerun")
    backfill = {
        "files": counts["files"],
        "batches": counts["batches"],
        "rows": counts["rows"],
        "applied": counts["applied"],
        "rejected": counts["rejected"],
        "duplicates": counts["duplicates"],
        "users": counts["users"],
        "catalog_items": catalog["applied"],
        "rerun_rows": rerun["rows"],
        "rerun_duplicates": rerun["duplicates"],
    }
    return ingest, backfill


def _earlier_feedback(
    runner: LocalRunner, users: list[DemoUser], unsubscribe_key: bytes, now: datetime
) -> dict[str, int]:
    from winback.domain.links.tokens import sign_token

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


def _provider_messages() -> tuple[Counter[str], int]:
    """What the (moto) providers actually delivered, by channel, and how many were duplicates (and,
    under `email_catalog_items`, emails whose recommendations show a catalog item's name and price)."""
    from moto.backends import get_backend

    account = "123456789012"
    ses = get_backend("ses")[account][REGION]
    sns = get_backend("sns")[account][REGION]
    by_channel: Counter[str] = Counter()
    seen: Counter[tuple[str, str]] = Counter()
    for message in ses.sent_messages:
        if CATALOG_SHOWN.search(message.body):
            by_channel["email_catalog_items"] += 1
        for address in message.destinations.get("ToAddresses", []):
            by_channel["email"] += 1
            seen[(address, message.body)] += 1
    for phone, text in sns.sms_messages.values():
        by_channel["sms"] += 1
        seen[(phone, text)] += 1
    duplicates = sum(n - 1 for n in seen.values() if n > 1)
    return by_channel, duplicates


def _totals() -> dict[str, int]:
    from winback.runtime.deps import deps

    d = deps()
    total: Counter[str] = Counter()
    for campaign in d.program.campaigns:
        for cell in d.messaging.cells(campaign.id):
            total.update(cell.counts)
    return dict(total)


def _journey_figures() -> dict[str, dict[str, dict[str, int]]]:
    """Per campaign and step: sent, deferred, dropped, exits on reactivation, stopped by an answer."""
    from winback.runtime.deps import deps

    d = deps()
    keep = (
        "sent",
        "deferred",
        "quiet_hours",
        "capped",
        "dropped",
        "active_again",
        "journey_stopped",
        "coupon_issued",
        "not_opened",
        "branch_skipped",
        "opened",
        "clicked",
    )
    out: dict[str, dict[str, dict[str, int]]] = {}
    for campaign in d.program.campaigns:
        steps = d.messaging.counters(campaign.id)
        out[campaign.id] = {f"step{n}": {k: steps[n].get(k, 0) for k in keep} for n in sorted(steps)}
    return out


def _write_reports(out_dir: Path, now: datetime) -> tuple[list[Any], Path, Any]:
    from winback.runtime.deps import deps
    from winback.services.report import all_reports, program_report
    from winback_dev.report_html import render_html

    reports = all_reports(deps(), now)
    program = program_report(deps(), now)
    (out_dir / "program_report.json").write_text(program.model_dump_json(indent=2) + "\n", encoding="utf-8")
    html = out_dir / "report.html"
    html.write_text(render_html(reports, "winback demo: every campaign against its holdout"), encoding="utf-8")
    (out_dir / "reports.json").write_text(
        "[" + ",\n".join(r.model_dump_json() for r in reports) + "]\n", encoding="utf-8"
    )
    return reports, html, program


def _program_lift(program: Any) -> dict[str, Any]:
    """The whole program against its control group, rounded for the summary."""

    def r(value: float | None, digits: int = 4) -> float | None:
        return None if value is None else round(value, digits)

    return {
        "control_percent": program.control_percent,
        "treated": f"{program.treated_x}/{program.treated_n}",
        "control": f"{program.control_x}/{program.control_n}",
        "abs_lift": r(program.abs_lift),
        "ci95": None if program.abs_low is None else [r(program.abs_low), r(program.abs_high)],
        "incremental_reactivations": r(program.incremental_reactivations, 1),
        "incremental_ci95": None
        if program.incremental_low is None
        else [r(program.incremental_low, 1), r(program.incremental_high, 1)],
        "significant": program.significant,
        "revenue": {
            r.currency: {
                "incremental": round(r.incremental_minor / 100, 2),
                "ci95": [round(r.incremental_low_minor / 100, 2), round(r.incremental_high_minor / 100, 2)],
            }
            for r in program.revenue
        },
    }


def _inferred_reasons(reports: list[Any]) -> dict[str, int]:
    """Each reason as the assigned users' behaviour suggested it, over every campaign."""
    total: Counter[str] = Counter()
    for report in reports:
        total.update({reason: count.inferred for reason, count in report.reasons_compared.items() if count.inferred})
    return dict(total.most_common())


def _lift(reports: list[Any]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for report in reports:
        pooled = next((c for c in report.comparisons if c.pooled and c.segment is None), None)
        if pooled is None:
            continue
        out[report.campaign_id] = {
            "treated": f"{pooled.treated_x}/{pooled.treated_n}",
            "holdout": f"{pooled.control_x}/{pooled.control_n}",
            "abs_lift": None if pooled.abs_lift is None else round(pooled.abs_lift, 4),
            "ci95": None if pooled.abs_low is None else [round(pooled.abs_low, 4), round(pooled.abs_high or 0, 4)],
            "p_value": None if pooled.p_value is None else round(pooled.p_value, 5),
            "significant": pooled.significant,
        }
    return out


def _adaptive(reports: list[Any], start: datetime) -> dict[str, Any]:
    """Each adaptive campaign's split by scan day (the stats step's decision that day) and P(best) now."""
    out: dict[str, Any] = {}
    for report in reports:
        if report.adaptive is None:
            continue
        out[report.campaign_id] = {
            "by_scan_day": {
                str((d.day - start.date()).days): {arm: round(w, 3) for arm, w in d.weights.items()}
                for d in report.adaptive.allocation_over_time
            },
            "p_best": {arm: round(p, 3) for arm, p in report.adaptive.p_best.items()},
            "winner": report.adaptive.winner,
        }
    return out


def _adaptive_line(adaptive: dict[str, Any]) -> str:
    """One line: the first adaptive campaign's split by scan day and its P(best)."""
    if not adaptive:
        return "  adaptive         no adaptive campaign"
    campaign, a = next(iter(adaptive.items()))
    days = "; ".join(
        f"day {day}: " + "/".join(f"{w:.0%}" for w in weights.values()) for day, weights in a["by_scan_day"].items()
    )
    arms = "/".join(a["p_best"])
    chances = ", ".join(f"{arm} {p:.1%}" for arm, p in a["p_best"].items())
    winner = a["winner"] or "none yet"
    return f"  adaptive         {campaign} split {arms} by scan {days}; P(best) now {chances}; winner {winner}"


def _running_counts(world: World | None) -> dict[str, int]:
    """What the providers got so far and what the people did: cheap reads of the in-process moto."""
    from moto.backends import get_backend

    ses = get_backend("ses")["123456789012"][REGION]
    sns = get_backend("sns")["123456789012"][REGION]
    counts = {"email": len(ses.sent_messages), "sms": len(sns.sms_messages)}
    if world is not None:
        counts["assigned"] = world.arms_total.total()
        counts["came back"] = world.reactivated.total()
    return counts


class _Stages:
    """The demo's progress: the simulated day, the stage, and the running counts."""

    def __init__(self, progress: Progress | None) -> None:
        self.progress = progress
        self.world: World | None = None
        self.day = ""

    def __call__(self, stage: str) -> None:
        if self.progress is not None:
            where = f"{self.day} · {stage}" if self.day else stage
            self.progress.update(where, counts_text(_running_counts(self.world)))


def run_demo(users: int = 1000, out_dir: Path = Path("demo-out"), progress: Progress | None = None) -> dict[str, Any]:
    """The demo; `progress` (if given) is told the simulated day, the stage and the running counts."""
    from winback.adapters.sending_switch import SendingSwitch
    from winback.services.sending_switch import turn_sending_on

    started = time.perf_counter()
    stage = _Stages(progress)
    out_dir.mkdir(parents=True, exist_ok=True)
    server = _start_moto()
    rng = random.Random(7)
    real_now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    start = (real_now - timedelta(days=DAYS)).replace(hour=3)
    phases: dict[str, float] = {}

    def lap(name: str) -> None:
        phases[name] = time.perf_counter() - started - sum(phases.values())

    try:
        stage("provisioning template.yaml on moto")
        resources = provision()
        _configure_functions({**resources.env()}, out_dir / "lambda.log")
        boto3.client("sesv2").create_email_identity(EmailIdentity=SENDER)
        # A new stack starts with sending off: turned on as `winback enable-sending` does (moto has no
        # SES account or SMS sandbox for `winback doctor` to read).
        turn_sending_on(SendingSwitch(resources.physical["MessagingTable"]), real_now, "demo")
        secrets = boto3.client("secretsmanager")
        webhook_secret = secrets.get_secret_value(SecretId=resources.physical["WebhookSecret"])["SecretString"]
        unsubscribe_key = secrets.get_secret_value(SecretId=resources.physical["UnsubscribeSecret"])["SecretString"]
        runner = LocalRunner(resources, webhook_secret, redeliver_fraction=0.05)
        population = generate(users, start)
        devices = register_devices(population, start - timedelta(days=1))
        world = World(runner, population, unsubscribe_key.encode(), rng)
        world.listen_to_sends()
        stage.world = world
        lap("provision")
        with (
            (out_dir / "metrics.log").open("w", encoding="utf-8") as metrics_log,
            redirect_stdout(metrics_log),
            _simulated_time(start) as clock,
        ):
            stage("importing history from S3")
            ingest, backfill = _load_history(runner, population)
            stage("product views via Segment, earlier feedback")
            segment_secret = secrets.get_secret_value(SecretId=resources.physical["SegmentSecret"])["SecretString"]
            segment = feed(runner, segment_secret, population, start)
            earlier = _earlier_feedback(runner, population, unsubscribe_key.encode(), start)
            lap("history")
            holdouts = _size_holdouts(runner, world, clock, start)
            churn = _churn_log(population)
            runs = []
            for day in range(DAYS):
                today = start + timedelta(days=day)
                stage.day = f"day {day + 1}/{DAYS} ({today:%Y-%m-%d})"
                if day in SCAN_DAYS:
                    stage("stats, scan and send")
                    clock[0] = today - timedelta(hours=2)
                    runner.fire_schedule(clock[0], "stats")
                    clock[0] = today
                    runs.append(world.scheduled_run(today))
                    churn.note(world.assignments)
                stage("releasing deferred messages")
                regular = RELEASE_HOURS[1:] if day in SCAN_DAYS else RELEASE_HOURS
                for hours in world.release_hours(today, regular, 1, 20):  # and when best-hour messages fall due
                    clock[0] = today + timedelta(hours=hours)
                    world.release(clock[0])
                stage("delivery feedback")
                clock[0] = today + timedelta(hours=20)
                world.feedback(storm=day == STORM_DAY)
                if day == RESUME_DAY:
                    world.resume_paused()
                stage("the users' day")
                world.live_a_day(clock[0])
                # best-hour messages due late in the day (before the next scan day's stats step at 22:00)
                for hours in world.release_hours(today, (), 21, 22 if day + 1 in SCAN_DAYS else 24):
                    clock[0] = today + timedelta(hours=hours)
                    world.release(clock[0])
            lap("three_weeks")
            stage.day = ""
            stage("audience export and reports")
            clock[0] = start + timedelta(days=DAYS)
            export = runner.fire_schedule(clock[0], "export")
            reports, html, program = _write_reports(out_dir, clock[0])
            lap("reports")
        totals = _totals()
        by_channel, duplicates = _provider_messages()
        dlq = {name: runner.queue_depth(name) for name in ("ScanDLQ", "SendDLQ") if name in resources.physical}
        journeys = _journey_figures()
        skips = _incentive_skips(start)
    finally:
        server.stop()
    summary: dict[str, Any] = {
        "users": users,
        "simulated": f"{start:%Y-%m-%d} to {start + timedelta(days=DAYS):%Y-%m-%d}",
        "by_tier": world.by_tier,
        "segments": dict(world.segments),
        "assigned": {k: world.arms_total[k] for k in ("treated", "holdout", "program_control")},
        "suppressed": totals.get("suppressed", 0),
        "no_channel": totals.get("no_channel", 0),
        "sent": {ch: totals.get(f"sent_{ch}", 0) for ch in ("email", "sms", "push", "inbox")},
        "sent_by_locale": dict(world.sent_by_locale()),
        "delivered_by_provider": {k: v for k, v in by_channel.items() if k != "email_catalog_items"},
        "emails_with_catalog_items": by_channel["email_catalog_items"],
        "duplicates": duplicates,
        "quiet_hours_deferred": totals.get("quiet_hours", 0),
        "capped_deferred": totals.get("capped", 0),
        "dropped_past_deadline": totals.get("dropped", 0),
        "left_journey_on_return": totals.get("active_again", 0),
        "journeys": journeys,
        "opened": totals.get("opened", 0),
        "machine_opened": totals.get("machine_opened", 0),
        "clicked": totals.get("clicked", 0),
        "not_opened": totals.get("not_opened", 0),
        "branch_skipped": totals.get("branch_skipped", 0),
        "email_unengaged": totals.get("email_unengaged", 0),
        "coupons": {
            "issued": totals.get("coupon_issued", 0),
            "budget_spent_fallbacks": totals.get("offer_budget_spent", 0),
            "announced": totals.get("coupon_announced", 0),
            "redeemed": world.coupon_results["coupons_redeemed"],
            "rejected": world.coupon_results["coupons_rejected"],
        },
        "offers_granted": totals.get("offer_granted", 0),
        "push": {**devices, "suppressed_disabled": totals.get("push_endpoint_disabled", 0)},
        "reactivated": {k: world.reactivated[k] for k in ("treated", "holdout", "program_control")},
        "reasons": dict(world.answers),
        "inferred_reasons": _inferred_reasons(reports),
        "holdout_sizing": _holdout_sizing(holdouts),
        "churn_risk": churn.summary(),
        "program_lift": {**_program_lift(program), "messaged": world.messaged_program_control()},
        "adaptive": _adaptive(reports, start),
        "paused": world.pauses,
        "lift": _lift(reports),
        "incentive_skips": skips,
        "audience_export": export.get("segments", {}),
        "ingest": ingest,
        "segment": segment,
        "backfill": backfill,
        "feedback_before": earlier,
        "feedback": dict(world.feedback_kinds),
        "runs": runs,
        "dlq_depth": dlq,
        "report_html": str(html),
        "send_time": world.send_time_figures(),
        "phase_s": {k: round(v, 1) for k, v in phases.items()},
        "wall_s": round(time.perf_counter() - started, 1),
    }
    (out_dir / "summary.json").write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return summary


def _program_line(p: dict[str, Any]) -> str:
    head = f"  program-wide     treated {p['treated']}  control {p['control']} ({p['control_percent']:g}% of users)"
    if p["abs_lift"] is None or p["ci95"] is None or p["incremental_ci95"] is None:
        return head + "  lift: no control users yet"
    low, high = p["incremental_ci95"]
    revenue = "".join(
        f"; revenue {cur} {r['incremental']:+,.2f} [{r['ci95'][0]:+,.2f}, {r['ci95'][1]:+,.2f}]"
        for cur, r in p["revenue"].items()
    )
    return (
        f"{head}  lift {p['abs_lift']:+.1%}  95% CI [{p['ci95'][0]:+.1%}, {p['ci95'][1]:+.1%}]"
        f"  incremental reactivations {p['incremental_reactivations']:+.0f} [{low:+.0f}, {high:+.0f}]{revenue}"
    )


def _send_time_line(arms: dict[str, dict[str, int]]) -> str:
    """dormant-vip's send-time experiment: the best-hour arm against the now arm."""

    def arm(name: str) -> str:
        f = arms.get(name, {})
        assigned, reactivated = f.get("assigned", 0), f.get("reactivated", 0)
        rate = f"{reactivated / assigned:.0%}" if assigned else "-"
        return f"{name} {assigned} assigned, {f.get('at_active_hour', 0)} reached at their hour, {rate} back"

    return f"  send time        dormant-vip {arm('best-hour')}  vs  {arm('now')}"


def _effect_lines(summary: dict[str, Any]) -> list[str]:
    """churn_risk against the fixed tier, and each campaign's holdout as sized for the simulated effect."""
    churn = summary["churn_risk"]
    median = churn["median_days_earlier"]
    fit = churn["fit"]
    lines = [
        f"  BG/NBD fit       {fit.get('sample_size', 0):>7}   users in the stats step's sample, "
        f"{fit.get('repeat_buyers', 0)} repeat buyers: {fit.get('status', 'not fitted')}",
        f"  churn_risk       {churn['reached']:>7}   users reached by P(alive) < {CHURN_RISK_BELOW:g}, "
        f"{churn['before_fixed_tier']} before their fixed tier"
        + ("" if median is None else f", {median:g} days earlier on median"),
        "  holdouts sized for the simulated effect (users needed per arm at 95%, power 90%):",
    ]
    for cid, s in summary["holdout_sizing"].items():
        needed = s["needed_per_arm"]
        short = needed is not None and s["smaller_arm"] < needed
        lines.append(
            f"    {cid:<14} holdout {s['holdout_percent']:g}% of {s['expected_users']} expected users"
            f" (reach {s['reach']:.0%}), needed per arm {'-' if needed is None else needed}"
            + (f": too few users, {s['smaller_arm']} in the smaller arm" if short else "")
        )
    return lines


def print_summary(summary: dict[str, Any], out_dir: Path) -> None:
    sent = summary["sent"]
    lift_lines = [
        f"    {cid:<14} treated {v['treated']:>9}  holdout {v['holdout']:>7}  lift {v['abs_lift']:+.1%}"
        f"  95% CI [{v['ci95'][0]:+.1%}, {v['ci95'][1]:+.1%}]  p={v['p_value']}"
        for cid, v in summary["lift"].items()
        if v["abs_lift"] is not None and v["ci95"] is not None
    ]
    journeys = summary["journeys"].get("dormant-offer", {})
    lines = [
        "",
        f"winback demo: three weeks ({summary['simulated']}) on moto",
        f"  users            {summary['users']:>7}   by tier at the end: "
        + ", ".join(f"{k} {v}" for k, v in sorted(summary["by_tier"].items())),
        f"  segments         {sum(summary['segments'].values()):>7}   "
        + ", ".join(f"{k} {v}" for k, v in sorted(summary["segments"].items())),
        f"  segment calls    {summary['segment'].get('calls', 0):>7}   Product Viewed via POST /events/segment "
        f"(signed); a batch delivered twice: {summary['segment'].get('already_applied', 0)} calls already applied",
        f"  assigned         {summary['assigned']['treated']:>7}   treated, {summary['assigned']['holdout']} held out, "
        f"{summary['assigned']['program_control']} in the program-wide control group",
        f"  sent             {sum(sent.values()):>7}   email {sent['email']}, sms {sent['sms']}, push {sent['push']}, "
        f"inbox {sent['inbox']}; by locale {summary['sent_by_locale']}",
        f"  push devices     {summary['push']['endpoints']:>7}   stale tokens {summary['push']['stale']}, "
        f"suppressed on EndpointDisabled {summary['push']['suppressed_disabled']}",
        "  journey          dormant-offer sent per step "
        + " / ".join(str(s.get("sent", 0)) for s in journeys.values())
        + f"; left on return {summary['left_journey_on_return']}",
        f"  engagement       {summary['opened']:>7}   opened ({summary['machine_opened']} more by privacy proxies), "
        f"{summary['clicked']} clicked; {summary['not_opened']} got the not-opened resend, "
        f"{summary['email_unengaged']} email sunset",
        f"  deferred         {summary['quiet_hours_deferred']:>7}   by quiet hours, "
        f"{summary['capped_deferred']} by caps; {summary['dropped_past_deadline']} dropped past their deadline",
        f"  coupons          {summary['coupons']['issued']:>7}   issued, {summary['coupons']['redeemed']} redeemed, "
        f"{summary['coupons']['rejected']} rejected (reused), {summary['coupons']['announced']} announced "
        f"(CouponIssued); offers granted {summary['offers_granted']}",
        f"  history          {summary['backfill']['rows']:>7}   rows imported from S3 "
        f"({summary['backfill']['files']} files, {summary['backfill']['batches']} batches, "
        f"{summary['backfill']['users']} users, {summary['backfill']['rejected']} rejected; a re-run of one "
        f"file: {summary['backfill']['rerun_duplicates']} duplicates), {summary['ingest']['events']} by webhook; "
        f"catalog {summary['backfill']['catalog_items']} items, shown by name and price in "
        f"{summary['emails_with_catalog_items']} emails",
        f"  reasons          {sum(summary['reasons'].values()):>7}   " + json.dumps(summary["reasons"]),
        f"  inferred reasons {sum(summary['inferred_reasons'].values()):>7}   "
        + json.dumps(summary["inferred_reasons"]),
        f"  paused           {len(summary['paused']):>7}   " + "; ".join(p["event"] for p in summary["paused"]),
        f"  provider got     {sum(summary['delivered_by_provider'].values()):>7}   duplicates: {summary['duplicates']}",
        *_effect_lines(summary),
        "  lift vs holdout (reactivated within 14 days of assignment):",
        *lift_lines,
        _program_line(summary["program_lift"]),
        _skips_line(summary.get("incentive_skips", [])),
        _adaptive_line(summary["adaptive"]),
        _send_time_line(summary.get("send_time", {})),
        f"  audience export  {sum(summary['audience_export'].values()):>7}   hashed rows by segment",
        f"  wall time        {summary['wall_s']:>7}s",
        f"  report: {summary['report_html']}",
        f"  summary: {out_dir / 'summary.json'}   logs: {out_dir / 'lambda.log'}",
        f"  as a table: winback report dormant-offer --from {out_dir / 'reports.json'}",
        "",
    ]
    print("\n".join(lines))
