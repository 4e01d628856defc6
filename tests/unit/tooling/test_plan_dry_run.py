"""`winback plan` over in-memory pages: exactly the users a program change adds and removes, the
guards' suppressed and capped estimates, the coupons it would commit within the budget, the days
its first messages take, and memory bounded by a page however large the table."""

from __future__ import annotations

import tracemalloc
from collections.abc import Iterator, Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.fakes.profiles import customer_fields
from tests.fakes.send import InMemoryContext, InMemoryMessaging, InMemorySuppressions, ManualClock, NoRecommendations
from winback.adapters.activity_store import ScanPage
from winback.config.loader import load_program
from winback.config.program import Program
from winback.domain.measurement.arms import assign
from winback.models.allocation import Allocation
from winback.models.population import PopulationStats
from winback.models.profile import Assignment, Profile
from winback.models.send_state import SendState
from winback.services.send.compose import Signer
from winback_dev.plan_dry_run import PlanResult, PlanSources, run_plan
from winback_dev.plan_pace import ChannelRate, pace_for

AS_OF = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)  # 10:00 in New York
DAYS = (10, 25, 45, 100, 200)  # quiet for: active, lapsing only if the tier starts at 21, lapsing, dormant, lost


def person(i: int, days: int | None = None, **fields: Any) -> Profile:
    quiet = days if days is not None else DAYS[i % len(DAYS)]
    last = AS_OF - timedelta(days=quiet, hours=1)
    data = {**customer_fields(f"u{i:06d}", last), "version": 1, "first_seen_at": last - timedelta(days=30)}
    return Profile.model_validate({**data, **fields})


class People(Mapping[str, Profile]):
    """n users made when read (so a large table costs no memory here)."""

    def __init__(self, n: int, special: dict[int, Profile] | None = None) -> None:
        self.n, self.special = n, special or {}

    def __getitem__(self, user_id: str) -> Profile:
        i = int(user_id[1:])
        if not 0 <= i < self.n:
            raise KeyError(user_id)
        return self.special.get(i) or person(i)

    def __iter__(self) -> Iterator[str]:
        return (f"u{i:06d}" for i in range(self.n))

    def __len__(self) -> int:
        return self.n


class Table:
    """The activity table as the scan reads it, a page at a time, from `People`."""

    def __init__(self, people: People) -> None:
        self.people = people
        self.pages_served = 0

    def scan_page(self, segment: int, total_segments: int, start_key: dict[str, Any] | None, limit: int) -> ScanPage:
        start = int(start_key["i"]) if start_key else 0
        end = min(start + limit, self.people.n)
        self.pages_served += 1
        profiles = [self.people[f"u{i:06d}"] for i in range(start, end)]
        return ScanPage(profiles=profiles, next_key={"i": end} if end < self.people.n else None)

    def item_count(self) -> int:
        return self.people.n


class Spend:
    def __init__(self, issued: int = 0, issued_value: int = 0) -> None:
        self.figures = {"issued": issued, "issued_value": issued_value, "redeemed": 0, "redeemed_value": 0}

    def spend(self, campaign_id: str) -> dict[str, int]:
        return dict(self.figures)


def plan_sources(
    people: People,
    suppressed: set[str] | None = None,
    messaging: InMemoryMessaging | None = None,
    spend: Spend | None = None,
) -> PlanSources:
    messaging = messaging or InMemoryMessaging()
    return PlanSources(
        table=Table(people),
        context=InMemoryContext(people, messaging),
        suppression=InMemorySuppressions(suppressed or set()),
        coupons=spend or Spend(),
        recommender=NoRecommendations(),
        signer=Signer(b"k" * 32, "https://api.example.com"),
        clock=ManualClock(AS_OF),
    )


@pytest.fixture
def published() -> Program:
    """The shipped program without a holdout, so that who is reached is plain from the table."""
    program = load_program()
    return program.model_copy(update={"experiments": program.experiments.model_copy(update={"holdout_percent": 0})})


def changed(published: Program) -> Program:
    """Lapsing from 21 days instead of 30; lost users no longer have a campaign."""
    tiers = tuple(
        t.model_copy(update={"after_days": 21}) if t.name == "lapsing" else t for t in published.dormancy.tiers
    )
    return published.model_copy(
        update={
            "dormancy": published.dormancy.model_copy(update={"tiers": tiers}),
            "campaigns": tuple(c for c in published.campaigns if c.id != "lost-question"),
        }
    )


def ids(days: int, n: int) -> set[str]:
    return {f"u{i:06d}" for i in range(n) if DAYS[i % len(DAYS)] == days}


def test_a_change_reports_exactly_the_users_it_adds_and_removes(published: Program, tmp_path: Any) -> None:
    """Guard: Reach.compare counts every user whose reach differs under the two programs."""
    n = 53
    with (tmp_path / "changes.jsonl").open("w", encoding="utf-8") as out:
        result = run_plan(plan_sources(People(n)), published, changed(published), AS_OF, changes=out)
    added, removed = ids(25, n), ids(200, n)
    assert result.reach.totals() == {"added": len(added), "removed": len(removed), "moved": 0}
    assert dict(result.reach.added) == {"lapsing-nudge": len(added)}
    assert dict(result.reach.removed) == {"lost-question": len(removed)}
    lines = [__import__("json").loads(line) for line in (tmp_path / "changes.jsonl").read_text().splitlines()]
    assert {c["user_id"] for c in lines if c["change"] == "added"} == added
    assert {c["user_id"] for c in lines if c["change"] == "removed"} == removed
    assert result.scanned == n and result.pages == 1
    assert result.published.tally["targeted"] == n - len(ids(10, n)) - len(added)


def test_without_a_change_nothing_is_added_or_removed(published: Program) -> None:
    result = run_plan(plan_sources(People(20)), published, None, AS_OF)
    assert result.reach.totals() == {"added": 0, "removed": 0, "moved": 0}
    assert result.planned is result.published
    assert result.planned.tally["tier_lapsing"] == len(ids(45, 20))


def test_suppressed_capped_and_unreachable_users_are_estimated_by_the_guards(published: Program) -> None:
    messaging = InMemoryMessaging()
    full = {
        "email": {"a": int((AS_OF - timedelta(days=1)).timestamp()), "b": int((AS_OF - timedelta(days=2)).timestamp())}
    }
    messaging.states["u000002"] = SendState(version=1, caps=full)  # two emails this week: the cap is full
    people = People(5, {3: person(3, consent={})})  # no consent on any channel
    result = run_plan(plan_sources(people, {"email#u000004@mail.example.com"}, messaging), published, None, AS_OF)
    guards = result.sends.guards
    assert (guards["suppressed"], guards["capped"], guards["no_channel"]) == (1, 1, 1)
    assert result.sends.by_channel == {"email": 1}  # u000002, capped: it waits for a slot, then goes
    assert messaging.claims == 0 and messaging.cells == {}


def test_best_hour_steps_are_counted_on_their_channel_not_as_held(published: Program) -> None:
    """Guard: the plan screens `Campaign.sending_now()` (best_hour only delays a message, as quiet hours do)."""
    every_step_best_hour = published.model_copy(
        update={
            "campaigns": tuple(
                c.model_copy(update={"steps": tuple(s.model_copy(update={"send_time": "best_hour"}) for s in c.steps)})
                for c in published.campaigns
            )
        }
    )
    people = People(20, {i: person(i, time_zone="Asia/Tokyo") for i in range(20)})  # 00:00 there: no best hour now
    now = run_plan(plan_sources(people), published, None, AS_OF)
    best = run_plan(plan_sources(people), every_step_best_hour, None, AS_OF)
    assert now.sends.by_channel["email"] > 0
    assert best.sends.by_channel == now.sends.by_channel and "best_hour" not in best.sends.guards


def test_coupons_are_counted_and_committed_within_the_budget(published: Program) -> None:
    n = 40
    dormant = sorted(ids(100, n))
    coupon_arm = [u for u in dormant if assign(published.campaign("dormant-offer"), u, 0) == "coupon"]
    result = run_plan(plan_sources(People(n)), published, None, AS_OF)
    offer = result.sends.coupons["dormant-offer"]
    assert (offer.wanted, offer.wanted_value) == (len(coupon_arm), 1000 * len(coupon_arm))  # $10 off each
    assert offer.committed == len(coupon_arm)
    tight = run_plan(plan_sources(People(n), spend=Spend(issued=999, issued_value=9_000_00)), published, None, AS_OF)
    assert tight.sends.coupons["dormant-offer"].committed == 1  # the budget: 1,000 coupons, $10,000


def test_the_days_follow_the_rate_and_quota(published: Program) -> None:
    result = run_plan(plan_sources(People(50)), published, None, AS_OF, pace_for(published, ChannelRate(1, 8, "given")))
    assert result.pace is not None
    assert result.pace.run_days(result.sends.by_channel) == pytest.approx(result.sends.by_channel["email"] / 8)


def _peak(n: int, program: Program) -> tuple[int, PlanResult]:
    tracemalloc.start()
    try:
        result = run_plan(plan_sources(People(n)), program, changed(program), AS_OF)
        return tracemalloc.get_traced_memory()[1], result
    finally:
        tracemalloc.stop()


def test_memory_holds_a_page_whatever_the_table(published: Program) -> None:
    """Ten times the users, the same peak: pages of 50 profiles, one at a time."""
    program = published.model_copy(update={"scan": published.scan.model_copy(update={"page_size": 50})})
    small, _ = _peak(200, program)
    large, result = _peak(2_000, program)
    assert result.scanned == 2_000 and result.pages == 40
    assert all(len(examples) <= 10 for examples in result.reach.examples.values())
    assert large < small * 1.5


def test_all_dormant_counts_users_the_next_scan_would_skip(published: Program) -> None:
    """The next scan skips users already in their tier; --all-dormant plans as if each entered it now."""
    quiet = AS_OF - timedelta(days=100, hours=1)
    handled = person(0, days=100, tier="dormant")
    handled = handled.model_copy(
        update={
            "assignment": Assignment(
                campaign_id="dormant-offer",
                arm="coupon",
                segment="hibernating",
                tier="dormant",
                episode=quiet.isoformat(),
                assigned_at=AS_OF - timedelta(days=2),
            )
        }
    )
    people = People(1, {0: handled})
    assert run_plan(plan_sources(people), published, None, AS_OF).published.tally["already_handled"] == 1
    everyone = run_plan(plan_sources(people), published, None, AS_OF, all_dormant=True)
    assert everyone.published.tally["targeted"] == 1 and everyone.published.tally["cooling_off"] == 0


def test_a_plan_that_enables_churn_risk_counts_the_regular_buyers_it_reaches_early(published: Program) -> None:
    """Guard: the plan scores with the stored fit (scorer_for(sources.stats)) as the scan does; without
    it, churn_risk would reach no one in the plan."""
    from winback.config.dormancy import ChurnRisk
    from winback.domain.prediction.bgnbd import BgNbdParams
    from winback.domain.prediction.models import BgNbdFit, FitStatus

    def weekly(i: int) -> Profile:
        """Twelve weekly orders, the last 25 days ago: under the 30-day fixed tier, P(alive) under 0.7."""
        last = AS_OF - timedelta(days=25)
        return person(i, days=25, orders=12, first_order_at=last - timedelta(days=77))

    fit = BgNbdFit(
        FitStatus.FITTED, AS_OF, 500, 200, params=BgNbdParams(r=0.243, alpha=30.9, a=0.793, b=2.426), log_likelihood=-1
    )
    stats = PopulationStats(computed_at=AS_OF, sample_size=500, population_estimate=500, base_currency="USD", bgnbd=fit)
    rules = published.dormancy.model_copy(update={"churn_risk": ChurnRisk(p_alive_below=0.7)})
    campaigns = tuple(
        c.model_copy(update={"tiers": ("churn_risk", *c.tiers)}) if c.id == "lapsing-nudge" else c
        for c in published.campaigns
    )
    with_churn_risk = published.model_copy(update={"dormancy": rules, "campaigns": campaigns})
    people = People(10, {i: weekly(i) for i in range(4)})
    result = run_plan(replace(plan_sources(people), stats=stats), published, with_churn_risk, AS_OF)
    assert result.planned.tally["tier_churn_risk"] == 4
    assert result.reach.added["lapsing-nudge"] >= 4


def test_the_plan_splits_an_adaptive_campaign_by_the_days_decision(published: Program) -> None:
    """The plan passes the stored decision to the scan's rules: all of lapsing-nudge's new users go
    to the variant the day's split gives everything."""
    decision = Allocation(
        campaign_id="lapsing-nudge",
        day=AS_OF.date(),
        weights={"nostalgic": 0.0, "question": 1.0},
        p_best={"nostalgic": 0.0, "question": 1.0},
        assigned={},
        reactivated={},
        adapting=True,
    )
    stats = PopulationStats(
        computed_at=AS_OF,
        sample_size=0,
        population_estimate=0,
        base_currency="USD",
        allocations={"lapsing-nudge": decision},
    )
    with_decision = run_plan(replace(plan_sources(People(40)), stats=stats), published, None, AS_OF)
    without = run_plan(plan_sources(People(40)), published, None, AS_OF)
    arms = {arm for (campaign, _, arm), n in with_decision.published.cells.items() if campaign == "lapsing-nudge" and n}
    static = {arm for (campaign, _, arm), n in without.published.cells.items() if campaign == "lapsing-nudge" and n}
    assert arms == {"question"} and static == {"nostalgic", "question"}
