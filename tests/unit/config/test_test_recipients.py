"""program.yaml's `test_recipients`: addresses of a form a test message can go to, checked at load."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from winback.config.loader import load_program
from winback.config.program import Program
from winback.config.test_recipients import channel_of_address, is_test_recipient


def _with(recipients: list[str]) -> Program:
    data = load_program().model_dump(mode="json")
    data["test_recipients"] = recipients
    return Program.model_validate(data)


def test_emails_phones_and_push_endpoints_are_accepted() -> None:
    arn = "arn:aws:sns:us-east-1:123456789012:endpoint/GCM/app/0f1e2d"
    program = _with(["qa@shop.example.com", "+8613800138000", arn])
    assert [channel_of_address(a) for a in program.test_recipients] == ["email", "sms", "push"]


@pytest.mark.parametrize("address", ["qa", "0044 20 7946 0000", "+0123", "qa@shop", "arn:aws:sns:us-east-1:1:topic"])
def test_anything_else_fails_the_load(address: str) -> None:
    with pytest.raises(ValidationError, match="test_recipients"):
        _with([address])


def test_an_email_matches_without_case_a_phone_as_written() -> None:
    assert is_test_recipient(" QA@Shop.Example.com ", ["qa@shop.example.com"])
    assert not is_test_recipient("+15555550101", ["+15555550100"])
