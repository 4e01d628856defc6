"""domain/journey/addresses.py: normalized suppression keys."""

from __future__ import annotations

import pytest

from winback.config.campaigns import ChannelName
from winback.domain.journey.addresses import address_key, contact_address, has_consent
from winback.models.profile import Profile

ARN = "arn:aws:sns:us-east-1:123456789012:endpoint/APNS/App/AbC-123"


@pytest.mark.parametrize(
    ("channel", "address", "key"),
    [
        ("email", "Ada@Example.COM", "email#ada@example.com"),
        ("email", "  ada@example.com\n", "email#ada@example.com"),
        ("sms", "+8613800138000", "sms#+8613800138000"),
        ("sms", " +14155552671 ", "sms#+14155552671"),
        ("push", ARN, f"push#{ARN}"),
        ("push", f"  {ARN} ", f"push#{ARN}"),
    ],
)
def test_address_key_normalizes_per_channel(channel: ChannelName, address: str, key: str) -> None:
    assert address_key(channel, address) == key


def test_email_keys_are_case_insensitive() -> None:
    assert address_key("email", "ADA@EXAMPLE.COM") == address_key("email", "ada@example.com")


def test_push_endpoint_case_is_preserved() -> None:
    assert address_key("push", ARN) != address_key("push", ARN.lower())


@pytest.mark.parametrize(
    ("channel", "expected"),
    [("email", "a@x.com"), ("sms", "+14155552671"), ("push", ARN)],
)
def test_contact_address_picks_the_channel_address(channel: ChannelName, expected: str) -> None:
    profile = Profile(user_id="u1", email="a@x.com", phone="+14155552671", push_endpoint=ARN)
    assert contact_address(channel, profile) == expected


def test_contact_address_is_none_when_missing() -> None:
    assert contact_address("sms", Profile(user_id="u1", email="a@x.com")) is None


def test_the_inbox_reaches_app_users_by_user_id() -> None:
    assert contact_address("inbox", Profile(user_id="u1", event_counts={"login": 2})) == "u1"
    assert contact_address("inbox", Profile(user_id="u1", event_counts={"order": 2})) is None


def test_inbox_needs_no_explicit_yes_but_honours_a_no() -> None:
    assert has_consent("inbox", Profile(user_id="u1"))
    assert not has_consent("inbox", Profile(user_id="u1", consent={"inbox": False}))
    assert not has_consent("email", Profile(user_id="u1"))
