"""Who may post to /events/segment (services/ingest/segment_auth.py), on requests signed the way
Segment's Webhooks (Actions) destination signs them: by its own code run with `node`
(tests/segment_batch/signer.js), and by JSON.stringify written from the ECMAScript specification
(tests/segment_batch/stringify.py); the two are checked against each other where node is there."""

from __future__ import annotations

import hashlib
import hmac
import json
import math
import random
import shutil
import struct
import subprocess
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.segment_batch.stringify import number, stringify
from winback.services.ingest.segment_auth import SegmentRejected, authenticate, first_call

SECRET = "seg-shared-secret-1"
SIGNER = Path(__file__).resolve().parents[3] / "segment_batch" / "signer.js"
NODE = shutil.which("node")
needs_node = pytest.mark.skipif(NODE is None, reason="node is not installed")


def calls() -> list[dict[str, Any]]:
    """Three mapped events: non-ASCII text, a float total as JavaScript computes it, nested objects,
    an array, keys JavaScript orders before the others, escapes, and a literal U+2028."""
    return [
        {
            "type": "track",
            "event": "Order Completed",
            "userId": "u-1001",
            "messageId": "ajs-1",
            "timestamp": "2026-06-02T12:15:00Z",
            "properties": {
                "total": 3.3000000000000003,  # 1.1 * 3 in IEEE doubles
                "currency": "EUR",
                "products": [{"product_id": "sku-é", "name": "Café «crème» 🍰", "price": 1.1, "quantity": 3}],
                "10": "ten",
                "2": "two",
            },
            "context": {"note": 'quote " backslash \\ tab \t nl \n ls \u2028 nul \u0000', "big": 1e21, "tiny": 1e-7},
        },
        {"type": "page", "userId": "u-1002", "messageId": "ajs-2", "timestamp": "2026-06-02T12:16:00Z"},
        {
            "type": "identify",
            "userId": "u-1003",
            "messageId": "ajs-3",
            "timestamp": "2026-06-02T12:17:00Z",
            "traits": {"name": "Zoë 北京", "email": "zoe@example.com"},
        },
    ]


def sign_like_segment(secret: str, data: list[dict[str, Any]]) -> tuple[bytes, str]:
    """The body and X-Signature of a batch, as the destination builds them (with the spec's
    JSON.stringify): the body is the array of the calls' data, the signature covers the first."""
    body = stringify(data)
    signature = hmac.new(secret.encode(), stringify(data[0]).encode("utf-8"), hashlib.sha1).hexdigest()
    return body.encode("utf-8"), signature


def sign_with_node(secret: str, data: list[Any]) -> tuple[bytes, str]:
    assert NODE is not None
    done = subprocess.run(
        [NODE, str(SIGNER)],
        input=json.dumps({"secret": secret, "calls": data}),
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    out = json.loads(done.stdout)
    return out["body"].encode("utf-8"), out["signature"]


def test_a_batch_of_one_signed_as_segment_signs_it_is_accepted() -> None:
    body, signature = sign_like_segment(SECRET, calls()[:1])
    assert authenticate([SECRET], body, {"X-Signature": signature}) == "signature"


def test_a_batch_signed_as_segment_signs_it_is_accepted_with_the_bearer_header() -> None:
    """Guard: `first_call` and `_by_signature`. Segment's signature covers the first call's
    JSON.stringify text only, which is the stretch of the body after `[`: checked as sent."""
    body, signature = sign_like_segment(SECRET, calls())
    headers = {"X-Signature": signature, "Authorization": f"Bearer {SECRET}"}
    assert authenticate([SECRET], body, headers) == "signature and bearer"


def test_a_signed_batch_of_several_calls_without_the_bearer_header_is_refused() -> None:
    """Guard: a signature over the first call says nothing of the others, so a batch of several is
    not accepted on it alone: else anyone holding one signed request could append calls."""
    body, signature = sign_like_segment(SECRET, calls())
    with pytest.raises(SegmentRejected, match="bearer"):
        authenticate([SECRET], body, {"X-Signature": signature})
    forged = body[:-1] + b',{"type":"identify","userId":"victim","messageId":"x","timestamp":"2026-06-02T12:18:00Z"}]'
    with pytest.raises(SegmentRejected):
        authenticate([SECRET], forged, {"X-Signature": signature})


@pytest.mark.parametrize(
    "tamper",
    [
        lambda b: b.replace(b"u-1001", b"u-1009"),  # the signed call itself changed
        lambda b: b"[ " + b[1:],  # whitespace JSON.stringify never writes: not the signed text
        lambda b: b.replace(b"3.3000000000000003", b"3.3"),  # the same number, re-serialized
    ],
    ids=["edited", "reformatted", "re-serialized"],
)
def test_a_first_call_that_is_not_the_signed_text_is_refused(tamper: Any) -> None:
    body, signature = sign_like_segment(SECRET, calls()[:1])
    with pytest.raises(SegmentRejected):
        authenticate([SECRET], tamper(body), {"X-Signature": signature})


def test_a_bearer_does_not_rescue_a_wrong_batch_signature() -> None:
    body, _ = sign_like_segment(SECRET, calls())
    with pytest.raises(SegmentRejected):
        authenticate([SECRET], body, {"X-Signature": "00" * 20, "Authorization": f"Bearer {SECRET}"})


def test_a_whole_body_signature_of_an_array_covers_all_of_it() -> None:
    body = stringify(calls()).encode()
    signature = hmac.new(SECRET.encode(), body, hashlib.sha1).hexdigest()
    assert authenticate([SECRET], body, {"X-Signature": signature}) == "signature"


def test_the_previous_secret_of_a_rotation_still_verifies() -> None:
    """Guard: the secret's key ring (`{"current": ..., "previous": [...]}`) on this route too."""
    body, signature = sign_like_segment("old-secret", calls()[:1])
    assert authenticate(["new-secret", "old-secret"], body, {"X-Signature": signature}) == "signature"
    assert authenticate(["new-secret", "old-secret"], b"{}", {"Authorization": "Bearer old-secret"}) == "bearer"
    with pytest.raises(SegmentRejected):
        authenticate(["new-secret"], body, {"X-Signature": signature})


@needs_node
def test_a_batch_signed_by_the_destinations_own_code_is_accepted() -> None:
    """The destination's code run by node (JavaScript computes 1.1 * 3 itself): its body is what the
    spec's JSON.stringify writes, and its signature verifies."""
    data: list[Any] = calls()
    data[0]["properties"]["total"] = {"$js": "1.1 * 3"}
    body, signature = sign_with_node(SECRET, data)
    assert body == stringify(calls()).encode("utf-8")
    assert authenticate([SECRET], body, {"X-Signature": signature, "Authorization": f"Bearer {SECRET}"}) == (
        "signature and bearer"
    )
    one, one_signature = sign_with_node(SECRET, data[:1])
    assert authenticate([SECRET], one, {"X-Signature": one_signature}) == "signature"


_json = st.recursive(
    st.none() | st.booleans() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=8),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=4), children, max_size=3),
    max_leaves=12,
)


@given(st.lists(st.dictionaries(st.text(max_size=4), _json, max_size=4), min_size=1, max_size=4))
def test_the_first_call_is_found_in_any_array_json_stringify_writes(data: list[dict[str, Any]]) -> None:
    body = stringify(data).encode("utf-8")
    found = first_call(body)
    assert found is not None
    assert found.data == stringify(data[0]).encode("utf-8")
    assert found.alone == (len(data) == 1)


_TRICKY_TEXT = ["", "é", "北京", "🍰", "\u2028\u2029", "\x00\x1f\x7f", '"\\', "\ud800", "a\udfffb", "\t\n\r\b\f"]
_TRICKY_NUMBERS = [0.1, 1.1 * 3, 1e21, 1e-7, 5e-324, 1.7976931348623157e308, -0.0, 2**53 + 1, 123456789.123]


def _value(rng: random.Random, depth: int) -> Any:
    kind = rng.randrange(7 if depth < 3 else 4)
    if kind == 0:
        return rng.choice([None, True, False])
    if kind == 1:
        return rng.choice([*_TRICKY_NUMBERS, struct.unpack("<d", rng.randbytes(8))[0], rng.randint(-(10**18), 10**18)])
    if kind in (2, 3):
        return rng.choice(_TRICKY_TEXT) + "".join(chr(rng.randrange(0x20, 0x3000)) for _ in range(rng.randrange(4)))
    if kind == 4:
        return [_value(rng, depth + 1) for _ in range(rng.randrange(4))]
    keys = [rng.choice(["a", "10", "2", "0", "01", "-1", "4294967294", "4294967295", "é", ""]) for _ in range(4)]
    return {k: _value(rng, depth + 1) for k in keys}


@needs_node
def test_the_spec_stringify_writes_what_node_writes() -> None:
    """The Python JSON.stringify against node's on 2,000 random values (finite numbers: JSON input
    cannot carry the others), in one run of the destination's code."""
    rng = random.Random(15)
    values = [_value(rng, 0) for _ in range(2000)]
    data = [{"v": v} for v in values if not (isinstance(v, float) and not math.isfinite(v))]
    body, _ = sign_with_node(SECRET, data)
    assert body == stringify(data).encode("utf-8")


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (3.3000000000000003, "3.3000000000000003"),
        (1e21, "1e+21"),
        (1e20, "100000000000000000000"),
        (1e-7, "1e-7"),
        (0.000001, "0.000001"),
        (-0.0, "0"),
        (123.0, "123"),
        (1.5e300, "1.5e+300"),
    ],
)
def test_numbers_print_as_number_to_string_prints_them(value: float, text: str) -> None:
    assert number(value) == text
