"""RFM scores against quintile cut points, first-match groups, and the segments config's validation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError

from winback.config.segments import DEFAULT_RFM_GROUPS, RecommendationsConfig, SegmentsConfig
from winback.domain.audience import rfm
from winback.domain.audience.rfm import RfmScores, rfm_group, rfm_scores, spend_in_base
from winback.models.population import PopulationStats
from winback.models.profile import Profile

AS_OF = datetime(2026, 11, 25, 3, 0, tzinfo=UTC)
CONFIG = SegmentsConfig(base_currency="USD", fx_to_base={"CNY": Decimal("0.14")})
STATS = PopulationStats(
    computed_at=AS_OF,
    sample_size=1000,
    population_estimate=1000,
    base_currency="USD",
    recency_days={"order": (10.0, 20.0, 30.0, 40.0)},
    frequency_orders=(1.0, 2.0, 4.0, 8.0),
    monetary_base_minor=(1000.0, 2000.0, 4000.0, 8000.0),
)


def buyer(days_ago: float, orders: int, spend: dict[str, int] | None = None) -> Profile:
    at = AS_OF - timedelta(days=days_ago)
    return Profile(
        user_id="u1",
        first_seen_at=at - timedelta(days=400),
        last_seen_at=at,
        last_event_at={"order": at},
        orders=orders,
        spend_minor=spend if spend is not None else {"USD": 1500},
    )


@pytest.mark.parametrize(
    ("days_ago", "expected_r"),
    [(0, 5), (10, 5), (10.01, 4), (20, 4), (30, 3), (40, 2), (40.01, 1), (365, 1)],
)
def test_recency_at_a_cut_point_scores_the_more_recent_bin(days_ago: float, expected_r: int) -> None:
    assert rfm_scores(buyer(days_ago, 3), STATS, AS_OF, "order", CONFIG).r == expected_r


@pytest.mark.parametrize(("orders", "expected_f"), [(1, 1), (2, 2), (3, 3), (4, 3), (5, 4), (8, 4), (9, 5)])
def test_frequency_at_a_cut_point_scores_the_lower_bin(orders: int, expected_f: int) -> None:
    assert rfm_scores(buyer(5, orders), STATS, AS_OF, "order", CONFIG).f == expected_f


@pytest.mark.parametrize(("spend", "expected_m"), [(1000, 1), (1001, 2), (2000, 2), (4000, 3), (8000, 4), (8001, 5)])
def test_monetary_at_a_cut_point_scores_the_lower_bin(spend: int, expected_m: int) -> None:
    assert rfm_scores(buyer(5, 3, {"USD": spend}), STATS, AS_OF, "order", CONFIG).m == expected_m


def test_spend_in_other_currencies_is_put_on_the_base_scale() -> None:
    # 10,000 fen at 0.14 cents per fen = 1,400 cents, plus 700 cents.
    assert spend_in_base({"CNY": 10_000, "USD": 700}, CONFIG) == 2_100
    assert rfm_scores(buyer(5, 3, {"CNY": 10_000, "USD": 700}), STATS, AS_OF, "order", CONFIG).m == 3


def test_unknown_currency_counts_at_rate_one_and_is_logged_once(monkeypatch: pytest.MonkeyPatch) -> None:
    logged: list[tuple[str, str]] = []
    monkeypatch.setattr(rfm, "_unknown_currencies_logged", set())
    monkeypatch.setattr(rfm, "_log_unknown_currency", lambda currency, base: logged.append((currency, base)))
    assert spend_in_base({"XTS": 1234}, CONFIG) == 1234
    assert spend_in_base({"XTS": 1, "CNY": 100}, CONFIG) == 15
    assert logged == [("XTS", "USD")]


def test_user_without_orders_scores_lowest_frequency_and_monetary() -> None:
    at = AS_OF - timedelta(days=2)
    browser = Profile(user_id="u2", first_seen_at=at, last_seen_at=at, last_event_at={"login": at})
    scores = rfm_scores(browser, STATS, AS_OF, "login", CONFIG)
    assert (scores.f, scores.m) == (1, 1)
    assert scores.r == 5  # the default recency cuts (7, 30, 90, 180) apply: the stats have none for login


def test_user_who_never_did_the_signal_scores_lowest_recency() -> None:
    assert rfm_scores(buyer(5, 3), STATS, AS_OF, "view", CONFIG).r == 1


def test_without_stats_the_configured_default_cut_points_apply() -> None:
    defaults = CONFIG.default_cuts
    profile = buyer(defaults.recency_days[1], int(defaults.frequency_orders[2]) + 1, {"USD": 60_000})
    assert rfm_scores(profile, None, AS_OF, "order", CONFIG) == RfmScores(r=4, f=4, m=5)


@pytest.mark.parametrize(
    ("scores", "group"),
    [
        (RfmScores(5, 5, 5), "champions"),
        (RfmScores(4, 5, 3), "loyal"),
        (RfmScores(5, 1, 1), "potential_loyalist"),
        (RfmScores(1, 5, 5), "cant_lose"),
        (RfmScores(1, 3, 2), "at_risk"),
        (RfmScores(2, 1, 4), "hibernating"),
        (RfmScores(1, 1, 1), "lost"),
    ],
)
def test_default_groups_name_the_classic_segments(scores: RfmScores, group: str) -> None:
    assert rfm_group(scores, CONFIG) == group


def test_first_matching_group_wins() -> None:
    # cant_lose (R1, F4-5, M4-5) is inside at_risk's ranges; listed first, it wins.
    assert rfm_group(RfmScores(1, 4, 4), CONFIG) == "cant_lose"
    swapped = [g.model_dump() for g in DEFAULT_RFM_GROUPS]
    i, j = [g["name"] for g in swapped].index("cant_lose"), [g["name"] for g in swapped].index("at_risk")
    swapped[i], swapped[j] = swapped[j], swapped[i]
    assert rfm_group(RfmScores(1, 4, 4), SegmentsConfig.model_validate({"rfm_groups": swapped})) == "at_risk"


def test_every_score_combination_lands_in_a_group() -> None:
    names = {g.name for g in DEFAULT_RFM_GROUPS}
    combos = [RfmScores(r, f, m) for r in range(1, 6) for f in range(1, 6) for m in range(1, 6)]
    assert {rfm_group(s, CONFIG) for s in combos} == names


def test_last_group_must_be_a_catch_all() -> None:
    groups: list[dict[str, Any]] = [{"name": "champions", "r": [4, 5], "f": [4, 5], "m": [4, 5]}]
    with pytest.raises(ValidationError, match="catch-all"):
        SegmentsConfig.model_validate({"rfm_groups": groups})
    assert SegmentsConfig.model_validate({"rfm_groups": [*groups, {"name": "rest"}]}).rfm_groups[-1].catch_all


@pytest.mark.parametrize("bad", [[0, 5], [3, 2], [1, 6]])
def test_score_ranges_must_lie_within_one_to_five(bad: list[int]) -> None:
    with pytest.raises(ValidationError, match="score range"):
        SegmentsConfig.model_validate({"rfm_groups": [{"name": "x", "r": bad}, {"name": "rest"}]})


def test_group_names_must_be_unique() -> None:
    with pytest.raises(ValidationError, match="unique"):
        SegmentsConfig.model_validate({"rfm_groups": [{"name": "rest"}, {"name": "rest"}]})


def test_fx_rates_must_be_positive_and_iso_codes() -> None:
    with pytest.raises(ValidationError, match="positive"):
        SegmentsConfig(fx_to_base={"CNY": Decimal(0)})
    with pytest.raises(ValidationError, match="ISO 4217"):
        SegmentsConfig(fx_to_base={"yuan": Decimal(1)})


def test_personalize_provider_requires_a_campaign_arn() -> None:
    with pytest.raises(ValidationError, match="personalize_campaign_arn is required"):
        RecommendationsConfig(provider="personalize")
    arn = "arn:aws:personalize:us-east-1:123456789012:campaign/winback"
    assert RecommendationsConfig(provider="personalize", personalize_campaign_arn=arn).count == 3
