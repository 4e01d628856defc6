"""The win-back program: dormancy tiers, campaigns, caps and limits, declared in YAML.

A business changes its program by editing `program.yaml` (shipped with the layer) or by pointing
WINBACK_PROGRAM_PATH at its own file; pydantic validates it at load, so a mistake fails the
deployment's first invocation loudly instead of messaging customers wrongly.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Literal
from urllib.parse import quote
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import Field, field_validator, model_validator

from winback.domain.quiet_hours import QuietHours
from winback.domain.reasons import ReasonsConfig
from winback.models.incentives import Budget, CouponIncentive, Incentive
from winback.models.segments import RecommendationsConfig, SegmentsConfig
from winback.models.strict import Strict

Channel = Literal["email", "sms", "push", "inbox"]
CHANNELS: tuple[Channel, ...] = ("email", "sms", "push", "inbox")
Signal = Literal["order", "login", "view", "any"]

DEFAULT_PROGRAM_PATH = Path(__file__).with_name("program.yaml")


class Tier(Strict):
    name: str = Field(pattern=r"^[a-z][a-z0-9_-]{0,31}$")
    after_days: int = Field(gt=0)


class Dormancy(Strict):
    signal: Signal = "order"
    tiers: tuple[Tier, ...] = Field(min_length=1)

    @field_validator("tiers")
    @classmethod
    def _ascending_unique(cls, tiers: tuple[Tier, ...]) -> tuple[Tier, ...]:
        days = [t.after_days for t in tiers]
        names = [t.name for t in tiers]
        if days != sorted(days) or len(set(days)) != len(days):
            raise ValueError("tiers must be listed by strictly increasing after_days")
        if len(set(names)) != len(names):
            raise ValueError("tier names must be unique")
        return tiers


class FrequencyCap(Strict):
    max_messages: int = Field(gt=0)
    window_days: int = Field(gt=0)


TEMPLATE_NAME = r"^[a-z][a-z0-9_-]{0,63}$"
ARM_ID = r"^[a-z0-9][a-z0-9_-]{0,31}$"
HOLDOUT = "holdout"


class Step(Strict):
    """One message of a journey: sent `delay_days` after the previous step went out."""

    template: str = Field(pattern=TEMPLATE_NAME)
    delay_days: float = Field(0, ge=0, le=365, description="after the previous step (the first: at assignment)")
    deadline_days: float = Field(3, gt=0, le=365, description="held back longer than this, the step is dropped")
    channels: tuple[Channel, ...] | None = Field(
        None, min_length=1, description="preference order; default: campaign's"
    )
    incentive: Incentive | None = None
    coupon_from_step: int | None = Field(None, ge=0, description="remind of the coupon that step issued")


class Variant(Strict):
    """An arm of the campaign's experiment: a share of the treated users and what differs for them."""

    id: str = Field(pattern=ARM_ID)
    weight: int = Field(1, ge=1)
    templates: dict[int, str] = Field(default_factory=dict, description="step index -> template for this arm")
    incentives: bool = Field(True, description="False: this arm gets the steps without their offers")

    @field_validator("id")
    @classmethod
    def _not_holdout(cls, value: str) -> str:
        if value == HOLDOUT:
            raise ValueError(f"'{HOLDOUT}' is the control group's name; a variant cannot use it")
        return value

    @field_validator("templates")
    @classmethod
    def _template_names(cls, templates: dict[int, str]) -> dict[int, str]:
        for name in templates.values():
            if not re.match(TEMPLATE_NAME, name):
                raise ValueError(f"bad template name {name!r}")
        return templates


class Campaign(Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,63}$")
    tiers: tuple[str, ...] = Field(min_length=1)
    segments: tuple[str, ...] | None = Field(None, min_length=1, description="RFM groups; default: any")
    activity_levels: tuple[Literal["heavy", "regular", "light", "one_time"], ...] | None = Field(
        None, min_length=1, description="engagement before going quiet; default: any"
    )
    channels: tuple[Channel, ...] = Field(min_length=1)
    steps: tuple[Step, ...] = Field(min_length=1)
    coupon_budget: Budget | None = None
    holdout_percent: float | None = Field(None, ge=0, lt=100, description="default: experiments.holdout_percent")
    variants: tuple[Variant, ...] = (Variant(id="a"),)

    @model_validator(mode="after")
    def _variants(self) -> Campaign:
        ids = [v.id for v in self.variants]
        if not ids or len(set(ids)) != len(ids):
            raise ValueError(f"campaign {self.id}: variant ids must be present and unique")
        for variant in self.variants:
            bad = [i for i in variant.templates if not 0 <= i < len(self.steps)]
            if bad:
                raise ValueError(f"campaign {self.id}: variant {variant.id} names steps {bad} that do not exist")
        for index, step in enumerate(self.steps):
            source = step.coupon_from_step
            if source is not None and not (
                source < index and isinstance(self.steps[source].incentive, CouponIncentive)
            ):
                raise ValueError(f"campaign {self.id}: step {index} reminds of a coupon no earlier step issues")
        if self.steps[0].delay_days:
            raise ValueError(f"campaign {self.id}: the first step goes out at assignment (delay_days 0)")
        coupons = [s.incentive for s in self.steps if isinstance(s.incentive, CouponIncentive)]
        if len({c.currency for c in coupons}) > 1:
            raise ValueError(f"campaign {self.id}: coupons must share one currency")
        if self.coupon_budget and any(c.currency != self.coupon_budget.currency for c in coupons):
            raise ValueError(f"campaign {self.id}: coupon_budget currency differs from its coupons")
        return self

    def variant(self, arm: str) -> Variant | None:
        return next((v for v in self.variants if v.id == arm), None)

    def step_channels(self, step: int) -> tuple[Channel, ...]:
        return self.steps[step].channels or self.channels

    def template_for(self, step: int, arm: str) -> str:
        """The template step `step` uses for arm `arm`."""
        variant = next((v for v in self.variants if v.id == arm), None)
        if variant is not None and step in variant.templates:
            return variant.templates[step]
        return self.steps[step].template


class Experiments(Strict):
    """How every campaign is measured against doing nothing, and when it stops itself."""

    holdout_percent: float = Field(10, ge=0, lt=100)
    attribution_window_days: int = Field(14, ge=1, le=365)
    # Which event counts as coming back; "dormancy" = the dormancy signal.
    reactivation_signal: Literal["dormancy", "order", "login", "view", "any"] = "dormancy"
    # Mail providers act at these levels (SES reviews accounts at 5% bounces and 0.1% complaints).
    max_bounce_rate: float = Field(0.05, gt=0, lt=1)
    max_complaint_rate: float = Field(0.001, gt=0, lt=1)
    pause_min_sent: int = Field(200, ge=1, description="no auto-pause before this many sends")
    min_detectable_lift: float = Field(0.1, gt=0, description="relative lift a decision needs to detect")


class ScanLimits(Strict):
    items_per_segment: int = Field(20_000, gt=0)
    min_segments: int = Field(1, ge=1)
    max_segments: int = Field(64, ge=1, le=1_000_000)
    page_size: int = Field(500, ge=1, le=10_000)
    recipients_per_job: int = Field(100, ge=1, le=100)
    continuation_margin_ms: int = Field(60_000, ge=1_000)

    @model_validator(mode="after")
    def _bounds(self) -> ScanLimits:
        if self.min_segments > self.max_segments:
            raise ValueError("min_segments must not exceed max_segments")
        return self


class Feedback(Strict):
    soft_bounce_limit: int = Field(3, ge=1)
    soft_bounce_window_days: int = Field(30, ge=1)


class Sunset(Strict):
    """Stop chasing users who do not come back: it protects the sender's reputation."""

    cooldown_days: int = Field(30, ge=0, description="no new journey this soon after one that failed")
    max_failed_journeys: int = Field(3, ge=1, description="then the user is suppressed from marketing")


class InboxConfig(Strict):
    ttl_days: int = Field(30, ge=1, le=365)


class Program(Strict):
    brand: str = Field(min_length=1)
    site_url: str = Field(pattern=r"^https?://[^\s]+$", description="where calls to action lead")
    item_url: str = Field("", description="a recommended item's page, with {item_id}; default: <site_url>p/{item_id}")
    default_locale: Literal["en", "zh-CN"] = "en"
    dormancy: Dormancy
    default_time_zone: str = "UTC"
    frequency_caps: dict[Channel, FrequencyCap]
    # Per channel, in the user's own time zone; a message due inside the window waits for its end.
    quiet_hours: dict[Channel, QuietHours] = Field(default_factory=dict)
    campaigns: tuple[Campaign, ...] = Field(min_length=1)
    scan: ScanLimits = ScanLimits()
    feedback: Feedback = Feedback()
    experiments: Experiments = Experiments()
    sunset: Sunset = Sunset()
    segments: SegmentsConfig = SegmentsConfig()
    recommendations: RecommendationsConfig = RecommendationsConfig()
    reasons: ReasonsConfig = ReasonsConfig()
    inbox: InboxConfig = InboxConfig()
    unsubscribe_token_days: int = Field(365, ge=1)

    @field_validator("default_time_zone")
    @classmethod
    def _known_zone(cls, name: str) -> str:
        try:
            ZoneInfo(name)  # an unknown zone fails the load, not a send at 3 a.m.
        except (ZoneInfoNotFoundError, ValueError, OSError) as exc:
            raise ValueError(f"unknown IANA time zone {name!r}") from exc
        return name

    @model_validator(mode="after")
    def _references(self) -> Program:
        tier_names = {t.name for t in self.dormancy.tiers}
        ids = [c.id for c in self.campaigns]
        if len(set(ids)) != len(ids):
            raise ValueError("campaign ids must be unique")
        for campaign in self.campaigns:
            unknown = set(campaign.tiers) - tier_names
            if unknown:
                raise ValueError(f"campaign {campaign.id} targets unknown tiers {sorted(unknown)}")
            groups = {g.name for g in self.segments.rfm_groups}
            unknown = set(campaign.segments or ()) - groups
            if unknown:
                raise ValueError(f"campaign {campaign.id} targets unknown segments {sorted(unknown)}")
        return self

    def item_link(self, item_id: str) -> str:
        template = self.item_url or self.site_url.rstrip("/") + "/p/{item_id}"
        return template.replace("{item_id}", quote(item_id, safe=""))

    def holdout_percent(self, campaign: Campaign) -> float:
        return self.experiments.holdout_percent if campaign.holdout_percent is None else campaign.holdout_percent

    def reactivation_signal(self) -> Signal:
        signal = self.experiments.reactivation_signal
        return self.dormancy.signal if signal == "dormancy" else signal

    def campaign(self, campaign_id: str) -> Campaign:
        for campaign in self.campaigns:
            if campaign.id == campaign_id:
                return campaign
        raise KeyError(campaign_id)


def parse_program(text: str) -> Program:
    return Program.model_validate(yaml.safe_load(text))


@cache
def load_program(path: str = "") -> Program:
    """The program at `path` (default: the one shipped with the layer), validated; cached per container."""
    source = Path(path) if path else DEFAULT_PROGRAM_PATH
    program = parse_program(source.read_text(encoding="utf-8"))
    from winback.domain.rendering import validate_templates

    validate_templates(program)
    return program
