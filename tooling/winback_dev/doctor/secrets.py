"""The stack's secrets hold values of the right shape: the webhook key (Standard Webhooks: base64,
optionally `whsec_`, of 24 to 64 bytes), the unsubscribe link key (at least 32 characters) and the
Segment shared secret. Each may be a rotating key ring (domain/links/keyring.py). Values are never
printed."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from typing import TYPE_CHECKING

from winback.domain.links.keyring import parse_secret
from winback_dev.doctor.report import Check, fail, ok, warn

if TYPE_CHECKING:
    from mypy_boto3_secretsmanager import SecretsManagerClient

MIN_LINK_KEY = 32
MIN_SEGMENT_SECRET = 16


def _webhook_key(value: str) -> str | None:
    try:
        key = base64.b64decode(value.removeprefix("whsec_"), validate=True)
    except (binascii.Error, ValueError):
        return "is not base64 (after an optional whsec_ prefix)"
    return None if 24 <= len(key) <= 64 else f"decodes to {len(key)} bytes, not 24 to 64"


def _link_key(value: str) -> str | None:
    return None if len(value) >= MIN_LINK_KEY else f"has {len(value)} characters, fewer than {MIN_LINK_KEY}"


def _segment_secret(value: str) -> str | None:
    return None if len(value.strip()) >= MIN_SEGMENT_SECRET else "is shorter than 16 characters"


# name -> (the shape check, what a bad value breaks, whether that stops sending)
SHAPES: dict[str, tuple[Callable[[str], str | None], str, bool]] = {
    "webhook": (_webhook_key, "every signed webhook is rejected (401)", True),
    "unsubscribe": (_link_key, "unsubscribe links cannot be signed", True),
    "segment": (_segment_secret, "every Segment or RudderStack call is rejected (401)", False),
}


def secrets(client: SecretsManagerClient, secret_ids: dict[str, str]) -> list[Check]:
    return [_secret(client, name, secret_ids.get(name, "")) for name in SHAPES]


def _secret(client: SecretsManagerClient, name: str, secret_id: str) -> Check:
    shape, breaks, stops_sending = SHAPES[name]
    check_id = f"secrets.{name}"
    if not secret_id:
        return fail(check_id, "the stack names no such secret", "run the doctor with --stack-name")
    value = client.get_secret_value(SecretId=secret_id).get("SecretString", "")
    try:
        problems = [p for key in parse_secret(value).all if (p := shape(key))] if value.strip() else ["is empty"]
    except ValueError as error:
        problems = [f"is not a valid key ring ({error})"]
    if not problems:
        return ok(check_id, "set, of the right shape")
    fix = f"aws secretsmanager put-secret-value --secret-id {secret_id} with a value of the right shape"
    report = fail if stops_sending else warn
    return report(check_id, f"the value {problems[0]}: {breaks}", fix)
