"""program.yaml's `test_recipients`: the only addresses `winback test-send` may send a test message
to (an email address, an E.164 phone number or an SNS push endpoint ARN), so a test never reaches a
customer by a typo. The functions never read it."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Annotated, Literal

from pydantic import Field

EMAIL = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
PHONE = r"^\+[1-9][0-9]{6,14}$"
PUSH_ENDPOINT = r"^arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:endpoint/\S+$"

RecipientAddress = Annotated[str, Field(pattern=f"{EMAIL}|{PHONE}|{PUSH_ENDPOINT}", max_length=320)]

AddressChannel = Literal["email", "sms", "push"]

_FORMS: tuple[tuple[AddressChannel, re.Pattern[str]], ...] = (
    ("email", re.compile(EMAIL)),
    ("sms", re.compile(PHONE)),
    ("push", re.compile(PUSH_ENDPOINT)),
)


def channel_of_address(address: str) -> AddressChannel | None:
    """The channel an address is for, by its form (None: not one a test message can go to)."""
    value = address.strip()
    return next((channel for channel, form in _FORMS if form.match(value)), None)


def _normalized(address: str) -> str:
    """Email addresses compare without case; phone numbers and ARNs as written."""
    value = address.strip()
    return value.lower() if "@" in value else value


def is_test_recipient(address: str, recipients: Iterable[str]) -> bool:
    wanted = _normalized(address)
    return any(_normalized(r) == wanted for r in recipients)
