"""program.yaml: steps that branch on engagement, and the email sunset's limits."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from winback.config.program import Program


def test_shipped_program_resends_the_question_to_non_openers(program: Program) -> None:
    campaign = program.campaign("lost-question")
    assert [s.when for s in campaign.steps] == ["any", "not_opened", "any"]
    assert program.sunset.email_unengaged_emails == 5


def test_unknown_branch_is_rejected_naming_the_field(program_data: dict[str, Any]) -> None:
    """Guard: `when` is validated: a typo fails the load, it never silently sends to everyone."""
    program_data["campaigns"][3]["steps"][1]["when"] = "unopened"
    with pytest.raises(ValidationError, match=r"steps\.1\.when"):
        Program.model_validate(program_data)


def test_first_step_cannot_branch(program_data: dict[str, Any]) -> None:
    """Guard: step 0 has no previous step to have opened."""
    program_data["campaigns"][3]["steps"][0]["when"] = "not_opened"
    with pytest.raises(ValidationError, match="step 0 cannot branch"):
        Program.model_validate(program_data)
