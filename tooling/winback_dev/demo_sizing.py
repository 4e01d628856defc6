"""The demo's holdouts, sized by the report's own "users needed per arm" for the simulated effect.

The effect is the one the demo's people follow (demo_world: a base daily return rate, a higher one
once an email or SMS reached them) over the attribution window, diluted by the share of a campaign's
users no email or SMS can reach (they return at the base rate although treated). How many users each
campaign will hold comes from a dry run of the loaded population through the scan's own rules (tier,
churn_risk with the day's fit, segment, campaign) on each scan day. Each campaign's holdout is then
the smallest whole percent that gives the holdout the users needed, between the program's default
and a cap (the treated arm must keep as many).
"""

from __future__ import annotations

import math
import statistics
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from winback.config.campaigns import ChannelName
from winback.config.program import Program
from winback.domain.audience.scoring import Scorer
from winback.domain.journey.targeting import campaign_for, reachable_channels
from winback.domain.measurement.lift import sample_size_per_arm
from winback.models.jobs import ScanJob
from winback.models.profile import Profile
from winback.services.scan.job import Segmenter, tier_of

# The channels the demo's people react to (demo_world counts a user messaged on an email or SMS).
MESSAGED_CHANNELS: tuple[ChannelName, ...] = ("email", "sms")
MAX_HOLDOUT_PERCENT = 50.0
# The report's sample size asks for 80% power; with five campaigns one in five would then miss by chance.
POWER = 0.9


@dataclass(frozen=True)
class Expected:
    """What the dry run expects of a campaign: users it takes first, how many of them email or SMS
    reaches, and per user the whole days the demo has left after the scan day that takes them."""

    users: int
    reached: int
    days_left: tuple[int, ...]


@dataclass(frozen=True)
class HoldoutSize:
    campaign_id: str
    expected_users: int  # in the campaign's experiment (treated and holdout), over the demo's scan days
    reach: float  # share of them an email or SMS can reach
    needed_per_arm: int | None  # None: too few reachable users to show any effect
    holdout_percent: float

    @property
    def smaller_arm(self) -> int:
        """The users the smaller arm can expect: under `needed_per_arm` when the cap held the holdout back."""
        share = min(self.holdout_percent, 100.0 - self.holdout_percent) / 100.0
        return math.floor(self.expected_users * share)


def return_within(daily: float, days: int) -> float:
    """P(coming back at least once in `days` days) at a constant daily probability."""
    return 1.0 - (1.0 - daily) ** days


def needed_per_arm(base_daily: float, messaged_daily: float, reach: float, windows: Sequence[int]) -> int | None:
    """The report's users per arm (lift.sample_size_per_arm) for the treated arm's expected rate:
    `reach` of it messaged, the rest at the base rate; each user over their own window (the days the
    demo has left for them, at most the attribution window), the rates averaged over the users."""
    base = statistics.fmean(return_within(base_daily, w) for w in windows)
    effect = reach * (statistics.fmean(return_within(messaged_daily, w) for w in windows) - base)
    if effect <= 0.0:
        return None
    return sample_size_per_arm(base, effect, power=POWER)


def holdout_percent(expected_users: int, needed: int | None, floor: float, cap: float = MAX_HOLDOUT_PERCENT) -> float:
    """The smallest whole percent of `expected_users` that holds `needed`, within [floor, cap]."""
    if needed is None or expected_users <= 0:
        return floor
    return min(cap, max(floor, float(math.ceil(100.0 * needed / expected_users))))


def _campaign_of(
    profile: Profile, job: ScanJob, program: Program, segmenter: Segmenter, scorer: Scorer | None
) -> str | None:
    tier = tier_of(profile, job, program, scorer)
    if tier is None:
        return None
    segment = segmenter(profile, job.as_of)
    campaign = campaign_for(program, tier.name, segment.rfm, segment.activity)
    return None if campaign is None else campaign.id


def dry_run(
    profiles: Sequence[Profile],
    program: Program,
    segmenter: Segmenter,
    scorer: Scorer | None,
    scan_days: Iterable[datetime],
    end: datetime,
) -> dict[str, Expected]:
    """Per campaign: the users it would take first over the scan days (the demo ending at `end`)."""
    first: dict[str, tuple[str, int]] = {}
    for as_of in scan_days:
        job = ScanJob(run_id="holdout-sizing", as_of=as_of, segment=0, total_segments=1)
        for profile in profiles:
            if profile.user_id not in first and (cid := _campaign_of(profile, job, program, segmenter, scorer)):
                first[profile.user_id] = (cid, (end - as_of).days)
    users: Counter[str] = Counter()
    reached: Counter[str] = Counter()
    days_left: dict[str, list[int]] = {}
    by_id = {p.user_id: p for p in profiles}
    for user_id, (cid, left) in first.items():
        users[cid] += 1
        reached[cid] += bool(reachable_channels(MESSAGED_CHANNELS, by_id[user_id]))
        days_left.setdefault(cid, []).append(left)
    return {cid: Expected(users[cid], reached[cid], tuple(days_left[cid])) for cid in users}


def stored_profiles(table: str) -> list[Profile]:
    """Every profile of the activity table (the demo's thousand, read as World reads assignments)."""
    import boto3
    from boto3.dynamodb.types import TypeDeserializer

    deserialize = TypeDeserializer().deserialize
    pages = boto3.client("dynamodb").get_paginator("scan").paginate(TableName=table)
    return [Profile.from_item({k: deserialize(v) for k, v in raw.items()}) for page in pages for raw in page["Items"]]


def size_holdouts(
    expected: dict[str, Expected],
    program: Program,
    rates: tuple[float, float],
    control_share: float,
) -> list[HoldoutSize]:
    """Each campaign's holdout for `rates` (base and messaged daily return), outside the program-wide
    control group's share of users."""
    window = program.experiments.attribution_window_days
    floor = program.experiments.holdout_percent
    out = []
    for campaign in program.campaigns:
        e = expected.get(campaign.id, Expected(0, 0, ()))
        in_experiment = math.floor(e.users * (1.0 - control_share))
        reach = e.reached / e.users if e.users else 0.0
        needed = needed_per_arm(rates[0], rates[1], reach, [min(window, d) for d in e.days_left] or [window])
        share = holdout_percent(in_experiment, needed, floor)
        out.append(HoldoutSize(campaign.id, in_experiment, round(reach, 3), needed, share))
    return out
