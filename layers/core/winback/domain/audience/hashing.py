"""Hashed identifiers for ad-platform custom audiences: normalize, then SHA-256, lowercase hex.

Each platform matches on the hash of *its own* normalized form, so one user yields one digest per
platform and identifier; a digest normalized the other platform's way simply never matches.

Meta (Customer File Custom Audiences, Marketing API; "Hashing and Normalizing Data",
https://developers.facebook.com/docs/marketing-api/audiences/guides/custom-audiences):
- email: trim leading and trailing whitespace, lowercase. No provider-specific rewriting.
- phone: remove symbols, letters and leading zeros and keep the country code: for a number we
  hold in E.164 that is its digits without the "+" ("+16505551212" -> "16505551212").
- SHA-256, hex. The documented vector: sha256("mary@example.com") =
  f1904cf1a9d73a55fa5de0ac823c4403ded71afd4c3248d00bdcd0866552bb79
  (https://developers.facebook.com/docs/marketing-api/custom-audiences-targeting/).

Google (Customer Match, Data Manager API "Format user data",
https://developers.google.com/data-manager/api/get-started/formatting, which the Google Ads API
Customer Match guides now point to; `UserIdentifier.hashed_email` / `hashed_phone_number` in
https://developers.google.com/google-ads/api/reference/rpc/latest/UserIdentifier):
- email: lowercase; trim leading, trailing *and intermediate* whitespace; for gmail.com and
  googlemail.com remove every "." before the "@" (the current page says so; older Customer Match
  pages did not, and the enhanced-conversions pages always did; we follow the current page).
- phone: E.164 *with* the "+" and the country code: "(800)555-0100" in the US -> "+18005550100".
- SHA-256, hex (Google takes hex or Base64; hex is what both platforms accept).

Phones are parsed with `phonenumbers` (international format required, as ingest stores them), so
a number that is not a valid E.164 number yields no digest instead of a digest nobody matches.
"""

from __future__ import annotations

import hashlib
import re
from typing import Literal

import phonenumbers

Platform = Literal["meta", "google"]
PLATFORMS: tuple[Platform, ...] = ("meta", "google")

# One column per platform and identifier, in this order; an empty cell means "no such identifier".
AUDIENCE_COLUMNS: tuple[str, ...] = (
    "meta_email_sha256",
    "meta_phone_sha256",
    "google_email_sha256",
    "google_phone_sha256",
)
HASH_FORMAT = "sha256-hex-lowercase"

_GOOGLE_DOTLESS_DOMAINS = frozenset({"gmail.com", "googlemail.com"})
_WHITESPACE = re.compile(r"\s+")


def sha256_hex(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def normalize_email(email: str, platform: Platform) -> str | None:
    """The address as `platform` hashes it, or None when it is not an address (no single "@")."""
    # Google also drops whitespace inside the address; Meta only trims it.
    value = _WHITESPACE.sub("", email).lower() if platform == "google" else email.strip().lower()
    local, at, domain = value.partition("@")
    if not at or not local or not domain or "@" in domain:
        return None
    if platform == "google" and domain in _GOOGLE_DOTLESS_DOMAINS:
        local = local.replace(".", "")
        if not local:
            return None
    return f"{local}@{domain}"


def normalize_phone(phone: str, platform: Platform) -> str | None:
    """E.164 ("+8613800138000") for Google, the same digits without "+" for Meta; None if invalid."""
    try:
        parsed = phonenumbers.parse(phone.strip(), None)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(parsed):
        return None
    e164 = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    return e164 if platform == "google" else e164.removeprefix("+")


def hashed_email(email: str | None, platform: Platform) -> str | None:
    normalized = normalize_email(email, platform) if email else None
    return sha256_hex(normalized) if normalized else None


def hashed_phone(phone: str | None, platform: Platform) -> str | None:
    normalized = normalize_phone(phone, platform) if phone else None
    return sha256_hex(normalized) if normalized else None


def audience_row(email: str | None, phone: str | None) -> tuple[str, ...] | None:
    """The user's cells under AUDIENCE_COLUMNS, or None when neither identifier is usable."""
    cells = (
        hashed_email(email, "meta"),
        hashed_phone(phone, "meta"),
        hashed_email(email, "google"),
        hashed_phone(phone, "google"),
    )
    if not any(cells):
        return None
    return tuple(cell or "" for cell in cells)
