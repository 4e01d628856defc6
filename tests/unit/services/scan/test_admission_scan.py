"""The scan admits each day only its share of the day's capacity, the most valuable first, and leaves
the rest eligible for a later day (services/scan/job.py: Admitter, rank). Guards proved here: the
heap bound (admitted <= share), the order (top by priority), not marking who waits (admitted later),
the continuation carrying what is left of the share, and no budget = the old behaviour."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, cast

from hypothesis import given, settings
from hypothesis import strategies as st

from winback.adapters.activity_store import ScanPage
from winback.config.dormancy import ChurnRisk
from winback.config.loader import load_program
from winback.config.program import Program
from winback.config.settings import Settings
from winback.domain.audience.scoring import Scorer
from winback.domain.audience.segmentation import RfmSegmenter
from winback.domain.prediction.bgnbd import BgNbdParams
from winback.domain.prediction.gamma_gamma import GammaGammaParams
from winback.models.jobs import ScanJob, SendJob
from winback.models.profile import Assignment, Journeys, Profile
from winback.services.scan.job import ScanPorts, scan_segment
from winback_dev.memory.stores import InMemorySuppressions

DAY = datetime(2026, 12, 7, 5, 0, tzinfo=UTC)
PROGRAM = load_program()


class Activity:
    """ActivityTable in a list: pages in order, tier marks kept (what the next day's scan reads)."""

    def __init__(self, profiles: list[Profile]) -> None:
        self.profiles = {p.user_id: p for p in profiles}

    def item_count(self) -> int:
        return len(self.profiles)

    def scan_page(self, segment: int, total_segments: int, start_key: dict[str, Any] | None, limit: int) -> ScanPage:
        ids = sorted(self.profiles)
        first = 0 if start_key is None else int(start_key["i"])
        last = min(first + limit, len(ids))
        page = [self.profiles[i] for i in ids[first:last]]
        return ScanPage(profiles=page, next_key={"i": last} if last < len(ids) else None)

    def mark_tier(
        self, user_id: str, tier: str, at: datetime, version: int, assignment: Assignment | None, journeys: Journeys
    ) -> bool:
        p = self.profiles[user_id]
        self.profiles[user_id] = p.model_copy(update={"tier": tier, "tier_entered_at": at, "assignment": assignment})
        return True


@dataclass
class Messaging:
    figures: Counter[str] = field(default_factory=Counter)

    def put_scan_figures(self, run_id: str, segment: int, first_page: int, counts: Mapping[str, int]) -> None:
        self.figures.update(counts)

    def add_cell(self, campaign_id: str, step: int | None, arm: str, segment: str, counts: Mapping[str, int]) -> None:
        pass


@dataclass
class Ports:
    program: Program
    activity: Activity
    messaging: Messaging = field(default_factory=Messaging)
    suppression: InMemorySuppressions = field(default_factory=InMemorySuppressions)
    settings: Settings = field(
        default_factory=lambda: Settings.model_validate(
            {"ACTIVITY_TABLE": "a", "SUPPRESSION_TABLE": "s", "MESSAGING_TABLE": "m", "SEND_QUEUE_URL": "send"}
        )
    )


def lapsed(i: int, spend: int, quiet_days: float = 40, orders: int = 3) -> Profile:
    last = DAY - timedelta(days=quiet_days)
    return Profile(
        user_id=f"u{i:04d}",
        version=1,
        first_seen_at=last - timedelta(days=100),
        first_order_at=last - timedelta(days=100),
        last_seen_at=last,
        last_event_at={"order": last},
        orders=orders,
        spend_minor={"USD": spend},
        email=f"u{i}@mail.example.com",
        consent={"email": True},
    )


@dataclass
class Run:
    sent: list[str] = field(default_factory=list)  # user ids in send jobs
    follow: list[ScanJob] = field(default_factory=list)

    def enqueue(self, url: str, bodies: list[str]) -> None:
        for body in bodies:
            if url == "send":
                self.sent += [r.user_id for r in SendJob.model_validate_json(body).recipients]
            else:
                self.follow.append(ScanJob.model_validate_json(body))


def scan(
    ports: Ports, admit: dict[str, int] | None, as_of: datetime = DAY, scorer: Scorer | None = None, page: int = 500
) -> tuple[Run, Counter[str]]:
    program = ports.program.model_copy(update={"scan": ports.program.scan.model_copy(update={"page_size": page})})
    ports.program = program
    run = Run()
    job = ScanJob(run_id="r", as_of=as_of, segment=0, total_segments=1, admit=admit)
    result = scan_segment(
        job, cast("ScanPorts", ports), RfmSegmenter(program, None), lambda: 900_000, run.enqueue, scorer
    )
    return run, result.tally


def admitted(ports: Ports) -> set[str]:
    return {u for u, p in ports.activity.profiles.items() if p.tier is not None}


@settings(max_examples=40, deadline=None)
@given(
    spends=st.lists(st.integers(0, 1_000_000), min_size=1, max_size=60),
    share=st.integers(0, 70),
    page=st.integers(1, 25),
)
def test_admission_never_exceeds_the_share_and_admits_the_highest_spend_first(
    spends: list[int], share: int, page: int
) -> None:
    ports = Ports(PROGRAM, Activity([lapsed(i, s) for i, s in enumerate(spends)]))
    run, tally = scan(ports, {"email": share}, page=page)
    chosen = admitted(ports)
    assert len(chosen) == min(share, len(spends))  # both arms take a slot; nobody beyond the share
    assert tally["admitted"] == len(chosen) and tally["waiting"] == len(spends) - len(chosen)
    # Without a model, one tier: by spend, ties by user id (the highest first).
    ranked = sorted(((s, f"u{i:04d}") for i, s in enumerate(spends)), reverse=True)
    assert chosen == {user for _, user in ranked[: len(chosen)]}
    assert set(run.sent) <= chosen  # the held-out ones are marked, not sent


def test_a_user_not_admitted_today_is_admitted_on_a_later_day() -> None:
    ports = Ports(PROGRAM, Activity([lapsed(i, 1_000 * (i + 1)) for i in range(10)]))
    _, first = scan(ports, {"email": 4})
    day_one = admitted(ports)
    assert day_one == {"u0009", "u0008", "u0007", "u0006"}
    assert first["waiting"] == 6
    _, second = scan(ports, {"email": 4}, as_of=DAY + timedelta(days=1))
    assert second["already_handled"] == 4 and second["admitted"] == 4
    assert admitted(ports) - day_one == {"u0005", "u0004", "u0003", "u0002"}
    scan(ports, {"email": 4}, as_of=DAY + timedelta(days=2))
    assert len(admitted(ports)) == 10


def test_without_a_budget_everyone_found_is_admitted_page_by_page() -> None:
    ports = Ports(PROGRAM, Activity([lapsed(i, 100) for i in range(30)]))
    _, tally = scan(ports, None, page=7)
    assert len(admitted(ports)) == 30 and tally["waiting"] == 0 and "admitted" not in tally


def test_push_and_inbox_take_no_email_slot() -> None:
    no_email = [lapsed(i, 100).model_copy(update={"consent": {}}) for i in range(5)]  # the inbox reaches them
    ports = Ports(PROGRAM, Activity([*no_email, *[lapsed(i, 100) for i in range(5, 10)]]))
    scan(ports, {"email": 2})
    assert len(admitted(ports)) == 5 + 2


def test_a_continuation_carries_what_is_left_of_the_share() -> None:
    ports = Ports(PROGRAM, Activity([lapsed(i, 100 * i) for i in range(10)]))
    ports.program = PROGRAM
    run = Run()
    program = PROGRAM.model_copy(update={"scan": PROGRAM.scan.model_copy(update={"page_size": 5})})
    ports.program = program
    job = ScanJob(run_id="r", as_of=DAY, segment=0, total_segments=1, admit={"email": 3})
    scan_segment(job, cast("ScanPorts", ports), RfmSegmenter(program, None), lambda: 0, run.enqueue)
    assert admitted(ports) == {"u0004", "u0003", "u0002"}  # the best of the first page, admitted before handing over
    (follow,) = run.follow
    assert follow.admit == {"email": 0}
    scan_segment(follow, cast("ScanPorts", ports), RfmSegmenter(program, None), lambda: 0, run.enqueue)
    assert len(admitted(ports)) == 3


def test_with_a_model_expected_value_times_p_alive_comes_first() -> None:
    """Two users quiet as long: the one who spends more per order (Gamma-Gamma) and is likelier alive first."""
    scorer = Scorer(
        BgNbdParams(r=0.243, alpha=30.9, a=0.793, b=2.426),
        GammaGammaParams(p=6.25, q=3.74, v=15.44 * 100),
        PROGRAM.segments,
    )
    big_spender = lapsed(1, 90_000, orders=3)
    many_small = lapsed(2, 3_000, orders=3)
    ports = Ports(PROGRAM, Activity([big_spender, many_small]))
    _, tally = scan(ports, {"email": 1}, scorer=scorer)
    assert admitted(ports) == {"u0001"}
    assert tally["admitted_value_1000_plus"] + tally["admitted_value_under_1000"] == 1
    assert sum(v for k, v in tally.items() if k.startswith("waiting_value_")) == 1


def test_churn_risk_users_are_targeted_by_a_campaign_that_names_the_tier() -> None:
    rules = PROGRAM.dormancy.model_copy(update={"churn_risk": ChurnRisk(p_alive_below=0.7)})
    campaigns = tuple(
        c.model_copy(update={"tiers": ("churn_risk", *c.tiers)}) if c.id == "lapsing-nudge" else c
        for c in PROGRAM.campaigns
    )
    program = PROGRAM.model_copy(update={"dormancy": rules, "campaigns": campaigns})
    weekly = lapsed(1, 60_000, quiet_days=25, orders=12).model_copy(
        update={"first_order_at": DAY - timedelta(days=25 + 77)}
    )
    scorer = Scorer(BgNbdParams(r=0.243, alpha=30.9, a=0.793, b=2.426), None, program.segments)
    ports = Ports(program, Activity([weekly]))
    _, tally = scan(ports, None, scorer=scorer)
    assert tally["tier_churn_risk"] == 1
    marked = ports.activity.profiles["u0001"]
    assert marked.tier == "churn_risk" and marked.assignment is not None
    assert marked.assignment.campaign_id == "lapsing-nudge"
    assert json.loads(marked.assignment.to_json())["tier"] == "churn_risk"


def test_the_run_figures_show_admitted_and_waiting_by_value_band() -> None:
    """What `winback admission RUN_ID` prints: the scan's tallies summed per band."""
    from winback.domain.audience.admission import by_value_band
    from winback_dev.admission_cli import render

    spends = [0, 500, 5_000, 50_000, 500_000, 600_000]  # none, under_10, under_100, under_1000, 1000_plus x2
    ports = Ports(PROGRAM, Activity([lapsed(i, s) for i, s in enumerate(spends)]))
    _, tally = scan(ports, {"email": 3})
    bands = {band: (a, w) for band, a, w in by_value_band(tally)}
    assert bands == {
        "none": (0, 1),
        "under_10": (0, 1),
        "under_100": (0, 1),
        "under_1000": (1, 0),
        "1000_plus": (2, 0),
    }
    table = render(tally)
    assert "1000_plus" in table and table.splitlines()[-1].split() == ["total", "3", "3"]


def test_the_assignment_records_the_users_expected_value_and_a_value_range_routes_on_it() -> None:
    """Guard: decide() scores the user before matching a campaign and stores the figures on the
    assignment (the sender's incentive gate reads them there, with no extra call)."""
    from winback.config.campaigns import ValueRange

    campaigns = tuple(
        c.model_copy(update={"expected_value": ValueRange(at_least=Decimal(100))}) if c.id == "lapsing-nudge" else c
        for c in PROGRAM.campaigns
    )
    program = PROGRAM.model_copy(update={"campaigns": campaigns})
    scorer = Scorer(
        BgNbdParams(r=0.243, alpha=30.9, a=0.793, b=2.426),
        GammaGammaParams(p=6.25, q=3.74, v=15.44 * 100),
        program.segments,
    )
    big_spender = lapsed(1, 90_000, orders=3)
    ports = Ports(program, Activity([big_spender]))
    scan(ports, None, scorer=scorer)
    prediction = scorer(big_spender, DAY)
    assignment = ports.activity.profiles["u0001"].assignment
    assert prediction is not None and prediction.expected_value_minor is not None
    assert prediction.expected_value_minor >= 10_000
    assert assignment is not None and assignment.campaign_id == "lapsing-nudge"
    assert assignment.expected_value_minor == prediction.expected_value_minor
    assert assignment.p_alive == round(prediction.p_alive, 4)
    without_model = Ports(program, Activity([lapsed(1, 90_000, orders=3)]))
    scan(without_model, None, scorer=None)
    assert without_model.activity.profiles["u0001"].assignment is None  # no value known: no campaign matches
