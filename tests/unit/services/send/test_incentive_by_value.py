"""An incentive's `min_expected_value`: the offer goes only to users whose expected 12-month value
(stored on the assignment by the scan) reaches it; the others get the step without it, and a user
with no fitted value gets it as before."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.fakes.send import MemoryWorld
from tests.unit.services.send.conftest import EPISODE, LAST_ORDER, NOW, job, profile
from winback.config.incentives import CouponIncentive
from winback.config.program import Program
from winback.models.profile import Assignment
from winback.services.send import send_job


def _with_minimum(program: Program, minimum: Decimal) -> Program:
    """The shipped dormant-offer with its step-0 coupon only for users worth `minimum` USD or more."""
    campaign = program.campaign("dormant-offer")
    coupon = campaign.steps[0].incentive
    assert isinstance(coupon, CouponIncentive)
    steps = (
        campaign.steps[0].model_copy(update={"incentive": coupon.model_copy(update={"min_expected_value": minimum})}),
        *campaign.steps[1:],
    )
    updated = campaign.model_copy(update={"steps": steps})
    return program.model_copy(
        update={"campaigns": tuple(updated if c.id == campaign.id else c for c in program.campaigns)}
    )


def _assigned(user_id: str, value_minor: int | None, campaign_id: str = "dormant-offer") -> Assignment:
    return Assignment(
        campaign_id=campaign_id,
        arm="coupon",
        segment="all",
        tier="dormant",
        episode=EPISODE,
        assigned_at=NOW,
        expected_value_minor=value_minor,
    )


@pytest.mark.parametrize(
    ("value_minor", "gets_coupon"),
    [(4_999, False), (5_000, True), (250_000, True), (None, True)],
    ids=["below", "at-the-minimum", "above", "no-fitted-value"],
)
def test_the_coupon_goes_only_to_users_worth_its_minimum(
    world: MemoryWorld, program: Program, value_minor: int | None, gets_coupon: bool
) -> None:
    """Guard: deliver._below_value before the coupon is issued; the message itself still goes."""
    program = _with_minimum(program, Decimal(50))
    world.profiles["u1"] = profile("u1", assignment=_assigned("u1", value_minor), last_event_at={"order": LAST_ORDER})
    tally = send_job(job("u1"), program, world.deps())
    assert tally["sent"] == 1
    issued = world.coupons.issued("u1", "dormant-offer", 0, EPISODE)
    assert (issued is not None) is gets_coupon
    assert tally["incentive_below_value"] == (0 if gets_coupon else 1)


def test_a_value_stored_for_another_campaign_does_not_gate_this_one(world: MemoryWorld, program: Program) -> None:
    program = _with_minimum(program, Decimal(50))
    world.profiles["u1"] = profile("u1", assignment=_assigned("u1", 10, campaign_id="lapsing-nudge"))
    send_job(job("u1"), program, world.deps())
    assert world.coupons.issued("u1", "dormant-offer", 0, EPISODE) is not None
