"""Variants that pick their winner: Thompson sampling on each variant's reactivation rate (pure).

Each variant's rate has a Beta(1 + reactivated, 1 + assigned - reactivated) posterior (a uniform
prior). Thompson sampling gives a new user to a variant with the probability that its rate is the
highest, so the day's shares are that probability, P(best), estimated by Monte Carlo with a seeded
generator: the same counts on the same day give the same shares on every run. A floor per variant
keeps every variant learning; below the campaign's minimum per variant the shares stay equal.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
from collections import Counter
from collections.abc import Iterable, Mapping

from winback.config.campaigns import Campaign
from winback.domain.measurement.cells import CellLike
from winback.models.allocation import Allocation

DRAWS = 20_000


def arm_counts(cells: Iterable[CellLike], arms: Iterable[str]) -> tuple[Counter[str], Counter[str]]:
    """Users assigned and reactivated per arm, over every segment (campaign-level cells only)."""
    wanted = set(arms)
    assigned: Counter[str] = Counter()
    reactivated: Counter[str] = Counter()
    for cell in cells:
        if cell.step is None and cell.arm in wanted:
            assigned[cell.arm] += cell.counts.get("assigned", 0)
            reactivated[cell.arm] += cell.counts.get("reactivated", 0)
    return assigned, reactivated


def seed_for(campaign_id: str, day: dt.date) -> int:
    """A seed fixed for (campaign, day): a rerun of the day's stats step decides the same."""
    return int(hashlib.sha256(f"{campaign_id}#{day.isoformat()}".encode()).hexdigest()[:16], 16)


def p_best(counts: Mapping[str, tuple[int, int]], seed: int, draws: int = DRAWS) -> dict[str, float]:
    """Per arm (assigned, reactivated), the posterior probability that the arm's rate is the highest."""
    rng = random.Random(seed)  # noqa: S311 - a reproducible simulation, not a secret
    arms = list(counts)
    wins = dict.fromkeys(arms, 0)
    params = [(1 + min(x, n), 1 + n - min(x, n)) for n, x in (counts[a] for a in arms)]
    for _ in range(draws):
        samples = [rng.betavariate(alpha, beta) for alpha, beta in params]
        wins[arms[samples.index(max(samples))]] += 1
    return {arm: wins[arm] / draws for arm in arms}


def floored(probabilities: Mapping[str, float], floor: float) -> dict[str, float]:
    """Shares from P(best) with at least `floor` each: floor + (1 - n·floor)·P(best), summing to 1."""
    rest = 1 - floor * len(probabilities)
    return {arm: floor + rest * p for arm, p in probabilities.items()}


def allocate(
    campaign: Campaign, assigned: Mapping[str, int], reactivated: Mapping[str, int], day: dt.date
) -> Allocation:
    """The day's allocation of an adaptive campaign's treated users, from the counts so far."""
    arms = [v.id for v in campaign.variants]
    n = {arm: assigned.get(arm, 0) for arm in arms}
    x = {arm: min(reactivated.get(arm, 0), n[arm]) for arm in arms}
    probabilities = p_best({arm: (n[arm], x[arm]) for arm in arms}, seed_for(campaign.id, day))
    adapting = all(n[arm] >= campaign.adaptive_min_per_arm for arm in arms)
    if adapting:
        weights = floored(probabilities, campaign.adaptive_floor_percent / 100)
    else:
        weights = dict.fromkeys(arms, 1 / len(arms))
    best = max(arms, key=lambda arm: probabilities[arm])
    winner = best if adapting and probabilities[best] >= campaign.winner_probability else None
    return Allocation(
        campaign_id=campaign.id,
        day=day,
        weights=weights,
        p_best=probabilities,
        assigned=n,
        reactivated=x,
        adapting=adapting,
        winner=winner,
    )
