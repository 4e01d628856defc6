"""The win-back program: dormancy tiers, campaigns, caps and limits, declared in YAML.

A business changes its program by editing `program.yaml` (shipped with the layer) or by pointing
WINBACK_PROGRAM_PATH at its own file; pydantic validates it at load, so a mistake fails the
deployment's first invocation loudly instead of messaging customers wrongly.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Channel = Literal["email", "sms", "push"]
CHANNELS: tuple[Channel, ...] = ("email", "sms", "push")
Signal = Literal["order", "login", "view", "any"]

DEFAULT_PROGRAM_PATH = Path(__file__).with_name("program.yaml")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


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


class Step(Strict):
    template: str = Field(pattern=r"^[a-z][a-z0-9_-]{0,63}$")


class Campaign(Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,63}$")
    tiers: tuple[str, ...] = Field(min_length=1)
    channels: tuple[Channel, ...] = Field(min_length=1)
    steps: tuple[Step, ...] = Field(min_length=1)


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


class Program(Strict):
    brand: str = Field(min_length=1)
    site_url: str = Field(pattern=r"^https?://[^\s]+$", description="where calls to action lead")
    default_locale: Literal["en", "zh-CN"] = "en"
    dormancy: Dormancy
    frequency_caps: dict[Channel, FrequencyCap]
    campaigns: tuple[Campaign, ...] = Field(min_length=1)
    scan: ScanLimits = ScanLimits()
    feedback: Feedback = Feedback()
    unsubscribe_token_days: int = Field(365, ge=1)

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
        return self

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
