"""program.yaml's `campaigns`: journeys of steps over channels, their experiment arms and offers."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator, model_validator

from winback.config.incentives import Budget, CouponIncentive, Incentive, NonNegativeAmount
from winback.models.strict import Strict

ChannelName = Literal["email", "sms", "push", "inbox"]

CHANNELS: tuple[ChannelName, ...] = ("email", "sms", "push", "inbox")

TEMPLATE_NAME = r"^[a-z][a-z0-9_-]{0,63}$"

ARM_ID = r"^[a-z0-9][a-z0-9_-]{0,31}$"

# When a step's message goes out: as soon as the guards allow, or at the user's most active local hour.
SendTime = Literal["now", "best_hour"]

HOLDOUT = "holdout"
# The arm of a user in the program-wide control group: assigned and measured, never messaged.
PROGRAM_CONTROL = "program-control"


class Step(Strict):
    """One message of a journey: sent `delay_days` after the previous step went out."""

    template: str = Field(pattern=TEMPLATE_NAME)
    delay_days: float = Field(0, ge=0, le=365, description="after the previous step (the first: at assignment)")
    deadline_days: float = Field(3, gt=0, le=365, description="held back longer than this, the step is dropped")
    channels: tuple[ChannelName, ...] | None = Field(
        None, min_length=1, description="preference order; default: campaign's"
    )
    incentive: Incentive | None = None
    coupon_from_step: int | None = Field(None, ge=0, description="remind of the coupon that step issued")
    when: Literal["any", "not_opened", "not_clicked", "clicked"] = Field(
        "any", description="who gets it: by their email engagement since the previous step went out"
    )
    send_time: SendTime = Field(
        "now", description="best_hour: deferred to the user's most active local hour (within the deadline)"
    )


class ValueRange(Strict):
    """A range of expected 12-month value (BG/NBD with Gamma-Gamma), in the base currency's major units."""

    at_least: NonNegativeAmount | None = None
    below: NonNegativeAmount | None = None

    @model_validator(mode="after")
    def _bounded(self) -> ValueRange:
        if self.at_least is None and self.below is None:
            raise ValueError("expected_value needs `at_least`, `below` or both")
        if self.at_least is not None and self.below is not None and self.at_least >= self.below:
            raise ValueError("expected_value: `at_least` must be less than `below`")
        return self


class Variant(Strict):
    """An arm of the campaign's experiment: a share of the treated users and what differs for them."""

    id: str = Field(pattern=ARM_ID)
    weight: int = Field(1, ge=1)
    templates: dict[int, str] = Field(default_factory=dict, description="step index -> template for this arm")
    incentives: bool = Field(True, description="False: this arm gets the steps without their offers")
    send_times: dict[int, SendTime] = Field(default_factory=dict, description="step index -> send_time for this arm")

    @field_validator("id")
    @classmethod
    def _not_holdout(cls, value: str) -> str:
        if value in (HOLDOUT, PROGRAM_CONTROL):
            raise ValueError(f"'{value}' is a control group's name; a variant cannot use it")
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
    channels: tuple[ChannelName, ...] = Field(min_length=1)
    steps: tuple[Step, ...] = Field(min_length=1)
    coupon_budget: Budget | None = None
    holdout_percent: float | None = Field(None, ge=0, lt=100, description="default: experiments.holdout_percent")
    variants: tuple[Variant, ...] = (Variant(id="a"),)
    expected_value: ValueRange | None = Field(
        None, description="users whose expected 12-month value is in this range; without a fitted model, none"
    )
    skip_segments_without_lift: bool = Field(
        False, description="a segment where the incentive shows no lift gets the no-offer variant instead"
    )
    segment_lift_min_sample: int = Field(
        200, ge=1, description="users assigned to each side (incentive, no offer) in a segment before deciding"
    )
    segment_min_lift: float = Field(
        0.02, gt=-1, lt=1, description="absolute reactivation lift an incentive must be able to reach in a segment"
    )
    allocation: Literal["fixed", "adaptive"] = Field(
        "fixed", description="adaptive: the variants' shares follow each one's probability of being best"
    )
    adaptive_min_per_arm: int = Field(100, ge=0, description="adaptive: users per variant before the split moves")
    adaptive_floor_percent: float = Field(5, ge=0, le=50, description="adaptive: the least share a variant keeps")
    winner_probability: float = Field(0.95, gt=0.5, lt=1, description="P(best) at which a variant is the winner")

    default_send_hour: int = Field(
        10, ge=0, le=23, description="best_hour for a user with too little history: this local hour"
    )
    best_hour_min_events: int = Field(5, ge=1, description="events a user needs before their own best hour counts")

    @model_validator(mode="after")
    def _adaptive(self) -> Campaign:
        if self.allocation == "adaptive" and len(self.variants) < 2:
            raise ValueError(f"campaign {self.id}: adaptive allocation needs at least two variants")
        if self.adaptive_floor_percent * len(self.variants) > 100:
            raise ValueError(f"campaign {self.id}: adaptive_floor_percent × variants exceeds 100")
        return self

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
        if self.steps[0].when != "any":
            raise ValueError(f"campaign {self.id}: step 0 cannot branch on engagement (when: any)")
        if self.steps[0].delay_days:
            raise ValueError(f"campaign {self.id}: the first step goes out at assignment (delay_days 0)")
        coupons = [s.incentive for s in self.steps if isinstance(s.incentive, CouponIncentive)]
        if len({c.currency for c in coupons}) > 1:
            raise ValueError(f"campaign {self.id}: coupons must share one currency")
        if self.coupon_budget and any(c.currency != self.coupon_budget.currency for c in coupons):
            raise ValueError(f"campaign {self.id}: coupon_budget currency differs from its coupons")
        return self

    @model_validator(mode="after")
    def _skip_needs_both_arms(self) -> Campaign:
        """Skipping the incentive where it does not lift needs something to measure it against, and
        something to give instead: an incentive variant, a no-offer variant, and an incentive."""
        if not self.skip_segments_without_lift:
            return self
        if not self.incentive_arms() or not self.no_offer_arms():
            raise ValueError(
                f"campaign {self.id}: skip_segments_without_lift needs an incentive variant and a no-offer "
                "variant (incentives: false)"
            )
        if not any(step.incentive is not None for step in self.steps):
            raise ValueError(f"campaign {self.id}: skip_segments_without_lift needs a step with an incentive")
        return self

    def incentive_arms(self) -> tuple[str, ...]:
        """The variants that get the steps' offers."""
        return tuple(v.id for v in self.variants if v.incentives)

    def no_offer_arms(self) -> tuple[str, ...]:
        """The variants that get the steps without their offers."""
        return tuple(v.id for v in self.variants if not v.incentives)

    @model_validator(mode="after")
    def _send_times(self) -> Campaign:
        for variant in self.variants:
            bad = [i for i in variant.send_times if not 0 <= i < len(self.steps)]
            if bad:
                raise ValueError(
                    f"campaign {self.id}: variant {variant.id} sets send_times of steps {bad} that do not exist"
                )
        return self

    def variant(self, arm: str) -> Variant | None:
        return next((v for v in self.variants if v.id == arm), None)

    def step_channels(self, step: int) -> tuple[ChannelName, ...]:
        return self.steps[step].channels or self.channels

    def template_for(self, step: int, arm: str) -> str:
        """The template step `step` uses for arm `arm`."""
        variant = next((v for v in self.variants if v.id == arm), None)
        if variant is not None and step in variant.templates:
            return variant.templates[step]
        return self.steps[step].template

    def send_time_for(self, step: int, arm: str) -> SendTime:
        """When step `step` goes out for arm `arm`: the variant's `send_times`, else the step's `send_time`."""
        variant = self.variant(arm)
        if variant is not None and step in variant.send_times:
            return variant.send_times[step]
        return self.steps[step].send_time

    def sending_now(self) -> Campaign:
        """This campaign with every step and arm sent `now`: what a dry run screens (best_hour only delays)."""
        steps = tuple(s.model_copy(update={"send_time": "now"}) for s in self.steps)
        variants = tuple(v.model_copy(update={"send_times": {}}) for v in self.variants)
        return self.model_copy(update={"steps": steps, "variants": variants})
