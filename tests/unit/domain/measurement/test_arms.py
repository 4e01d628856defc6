from __future__ import annotations

from collections import Counter

import pytest

from winback.config.campaigns import HOLDOUT, PROGRAM_CONTROL, Campaign, Variant
from winback.domain.measurement.arms import assign, in_program_control, position


def _campaign(*variants: Variant) -> Campaign:
    return Campaign.model_validate(
        {"id": "c1", "tiers": ["t"], "channels": ["email"], "steps": [{"template": "offer"}], "variants": variants}
    )


def test_the_same_user_always_lands_in_the_same_arm() -> None:
    campaign = _campaign(Variant(id="a"), Variant(id="b"))
    first = [assign(campaign, f"u{i}", 10) for i in range(500)]
    again = [assign(campaign, f"u{i}", 10) for i in range(500)]
    assert first == again


def test_arms_follow_the_holdout_share_and_the_weights() -> None:
    campaign = _campaign(Variant(id="a", weight=3), Variant(id="b", weight=1))
    arms = Counter(assign(campaign, f"user-{i}", 10) for i in range(40_000))
    assert arms[HOLDOUT] / 40_000 == pytest.approx(0.10, abs=0.01)
    assert arms["a"] / 40_000 == pytest.approx(0.675, abs=0.01)
    assert arms["b"] / 40_000 == pytest.approx(0.225, abs=0.01)


def test_assignment_is_independent_between_campaigns() -> None:
    same = sum((position("c1", f"u{i}") < 0.5) == (position("c2", f"u{i}") < 0.5) for i in range(10_000))
    assert same / 10_000 == pytest.approx(0.5, abs=0.03)


def test_no_holdout_puts_everyone_in_a_variant() -> None:
    campaign = _campaign(Variant(id="a"))
    assert {assign(campaign, f"u{i}", 0) for i in range(1000)} == {"a"}


def test_raising_the_holdout_keeps_every_held_out_user_held_out() -> None:
    campaign = _campaign(Variant(id="a"), Variant(id="b"))
    before = {f"u{i}": assign(campaign, f"u{i}", 10) for i in range(5000)}
    after = {u: assign(campaign, u, 20) for u in before}
    assert all(after[u] == HOLDOUT for u, arm in before.items() if arm == HOLDOUT)


def test_a_variant_cannot_be_called_holdout() -> None:
    with pytest.raises(ValueError, match="control group"):
        Variant(id=HOLDOUT)


def test_a_variant_template_for_a_missing_step_is_rejected() -> None:
    with pytest.raises(ValueError, match="do not exist"):
        _campaign(Variant(id="a", templates={3: "offer"}))


def test_a_variant_can_change_a_step_template() -> None:
    campaign = _campaign(Variant(id="a"), Variant(id="b", templates={0: "question"}))
    assert campaign.template_for(0, "a") == "offer"
    assert campaign.template_for(0, "b") == "question"


def test_the_program_control_group_is_its_share_by_user_alone_and_independent_of_holdouts() -> None:
    users = [f"user-{i}" for i in range(40_000)]
    control = {u for u in users if in_program_control(u, 5)}
    assert len(control) / len(users) == pytest.approx(0.05, abs=0.005)
    assert control == {u for u in users if in_program_control(u, 5)}  # deterministic
    assert {u for u in users if in_program_control(u, 2)} <= control  # growing the share only adds users
    # Independent of a campaign's holdout: the control group is held out there at the holdout's share.
    campaign = _campaign(Variant(id="a"))
    held = sum(assign(campaign, u, 10) == HOLDOUT for u in control)
    assert held / len(control) == pytest.approx(0.10, abs=0.02)


@pytest.mark.parametrize("name", [HOLDOUT, PROGRAM_CONTROL])
def test_a_variant_cannot_take_a_control_groups_name(name: str) -> None:
    with pytest.raises(ValueError, match="control group"):
        Variant(id=name)
