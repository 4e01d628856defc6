"""Normalization and hashing of audience identifiers, per Meta's and Google's documented rules."""

from __future__ import annotations

import pytest

from winback.domain.audience.hashing import (
    AUDIENCE_COLUMNS,
    Platform,
    audience_row,
    hashed_email,
    hashed_phone,
    normalize_email,
    normalize_phone,
    sha256_hex,
)

# Meta's documented example: hash("sha256", "mary@example.com").
MARY_SHA256 = "f1904cf1a9d73a55fa5de0ac823c4403ded71afd4c3248d00bdcd0866552bb79"
# Google's documented normalization: (800)555-0100 in the US -> "+18005550100"; Meta's form drops the "+".
GOOGLE_US_PHONE_SHA256 = "fb4f73a6ec5fdb7077d564cdd22c3554b43ce49168550c3b12c547b78c517b30"  # sha256("+18005550100")
META_US_PHONE_SHA256 = "92cfdc5fbcd4a20fbe5d3857af6c1aba31762105bba7f21a17155e920653046c"  # sha256("18005550100")


def test_sha256_hex_matches_meta_documented_vector() -> None:
    assert sha256_hex("mary@example.com") == MARY_SHA256


@pytest.mark.parametrize("platform", ["meta", "google"])
def test_email_is_trimmed_and_lowercased_before_hashing(platform: Platform) -> None:
    assert hashed_email("  Mary@Example.COM \n", platform) == MARY_SHA256


def test_google_drops_dots_before_at_for_gmail_and_googlemail_only() -> None:
    assert normalize_email("John.Smith@gmail.com", "google") == "johnsmith@gmail.com"
    assert normalize_email("j.o.h.n@googlemail.com", "google") == "john@googlemail.com"
    assert normalize_email("john.smith@example.com", "google") == "john.smith@example.com"


def test_meta_keeps_gmail_dots() -> None:
    assert normalize_email("John.Smith@gmail.com", "meta") == "john.smith@gmail.com"


def test_google_removes_intermediate_whitespace_meta_only_trims() -> None:
    assert normalize_email(" john smith@example.com ", "google") == "johnsmith@example.com"
    assert normalize_email(" john smith@example.com ", "meta") == "john smith@example.com"


@pytest.mark.parametrize("value", ["", "   ", "no-at-sign", "@example.com", "john@", "a@b@c.com", "...@gmail.com"])
def test_a_value_that_is_not_an_address_gets_no_hash(value: str) -> None:
    assert hashed_email(value, "google") is None
    if value != "...@gmail.com":  # only Google's gmail rule empties that local part
        assert hashed_email(value, "meta") is None


def test_phone_is_e164_with_plus_for_google_and_digits_only_for_meta() -> None:
    assert normalize_phone("+1 (800) 555-0100", "google") == "+18005550100"
    assert normalize_phone("+1 (800) 555-0100", "meta") == "18005550100"
    assert hashed_phone("+18005550100", "google") == GOOGLE_US_PHONE_SHA256
    assert hashed_phone("+18005550100", "meta") == META_US_PHONE_SHA256


def test_phone_national_trunk_zero_is_dropped() -> None:
    # A UK number written with its trunk "0" still normalizes to country code + national number.
    assert normalize_phone("+44 (0)20 7946 0958", "meta") == "442079460958"
    assert normalize_phone("+44 (0)20 7946 0958", "google") == "+442079460958"


@pytest.mark.parametrize("value", ["", "8005550100", "+1 555", "not a phone", "+999 1234567"])
def test_phone_without_country_code_or_invalid_gets_no_hash(value: str) -> None:
    assert hashed_phone(value, "meta") is None
    assert hashed_phone(value, "google") is None


def test_digests_are_lowercase_hex() -> None:
    digest = hashed_email("Mary@Example.com", "meta")
    assert digest is not None
    assert len(digest) == 64
    assert digest == digest.lower()
    int(digest, 16)


def test_audience_row_has_one_cell_per_column_in_column_order() -> None:
    row = audience_row("Mary@Example.com", "+18005550100")
    assert row is not None
    assert dict(zip(AUDIENCE_COLUMNS, row, strict=True)) == {
        "meta_email_sha256": MARY_SHA256,
        "meta_phone_sha256": META_US_PHONE_SHA256,
        "google_email_sha256": MARY_SHA256,
        "google_phone_sha256": GOOGLE_US_PHONE_SHA256,
    }


def test_audience_row_leaves_missing_identifier_cells_empty() -> None:
    row = audience_row(None, "+18005550100")
    assert row == ("", META_US_PHONE_SHA256, "", GOOGLE_US_PHONE_SHA256)


def test_audience_row_is_none_without_a_usable_identifier() -> None:
    assert audience_row(None, None) is None
    assert audience_row("not-an-email", "12345") is None


def test_audience_row_never_contains_plaintext() -> None:
    row = audience_row("mary@example.com", "+18005550100")
    assert row is not None
    assert not any("@" in cell or "8005550100" in cell for cell in row)
