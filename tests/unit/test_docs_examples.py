"""Every JSON example in the docs parses, and each event example is accepted as written
(docs/design.md, "Pitfalls": models at the boundary must accept what the docs show)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from winback.models.events import Consent, parse_body
from winback.services.ingest.segment import translate

DOCS = sorted((Path(__file__).parents[2] / "docs").rglob("*.md"))
_BLOCK = re.compile(r"```json\n(.*?)```", re.S)
_INLINE = re.compile(r"`(\{[^`]*\})`", re.S)


def _examples() -> list[str]:
    text = "\n".join(page.read_text(encoding="utf-8") for page in DOCS)
    return [m.group(1) for m in _BLOCK.finditer(text)] + [m.group(1) for m in _INLINE.finditer(text)]


def test_the_docs_have_json_examples() -> None:
    assert len(_examples()) >= 3


def _segment_example(data: Any) -> bool:
    if isinstance(data, list):
        return bool(data) and all(isinstance(call, dict) and "messageId" in call for call in data)
    return isinstance(data, dict) and ("batch" in data or "messageId" in data)


@pytest.mark.parametrize("example", _examples())
def test_every_json_example_parses_and_is_accepted(example: str) -> None:
    """Guard: a docs example the webhook would reject (the consent block's `inbox`) fails here."""
    data: Any = json.loads(example)
    if _segment_example(data):
        found = translate(data)  # a Segment-spec example (POST /events/segment): some call applies
        assert found.calls and not found.skipped
    elif isinstance(data, dict) and "calls" in data:
        pass  # a reply of POST /events/segment (tests/unit/services/ingest/test_segment_docs.py)
    elif isinstance(data, dict) and ("events" in data or "user_id" in data):
        assert parse_body(data)
    elif isinstance(data, dict) and data and all(isinstance(v, bool) for v in data.values()):
        Consent.model_validate(data)  # the consent block of a profile event
