"""docs/integrations.md's partial-reply example: the batch it shows gets, from the code, the reply it
shows (ingest_segment over in-memory stores)."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from tests.unit.services.ingest.memory import MemoryActivity
from winback.config.program import Program
from winback.services.ingest.segment import ingest_segment

PAGE = Path(__file__).resolve().parents[4] / "docs" / "integrations.md"
_BLOCK = re.compile(r"```json\n(.*?)```", re.S)


class NoCells:
    def add_cell(self, *args: Any) -> None:
        raise AssertionError("nobody in the example has a campaign assignment")


class NoCoupons:
    def redeem(self, *args: Any) -> Any:
        raise AssertionError("no order in the example carries a coupon")


def _blocks() -> list[str]:
    return _BLOCK.findall(PAGE.read_text(encoding="utf-8"))


def test_the_documented_batch_gets_the_documented_reply(program: Program) -> None:
    request = next(b for b in _blocks() if '"US$"' in b)
    reply = next(b for b in _blocks() if b.startswith('{"calls"'))
    store = MemoryActivity()
    outcome = ingest_segment(
        json.loads(request, parse_float=Decimal),
        request.encode(),
        store,
        NoCells(),  # type: ignore[arg-type]
        NoCoupons(),
        program,
        datetime(2026, 6, 2, 12, 30, tzinfo=UTC),
    )
    assert outcome.reply == json.loads(reply)
    assert store.profiles["u-1001"].spend_minor == {"USD": 330}
    assert (store.profiles["u-1002"].email, store.profiles["u-1002"].consent) == (None, {"email": False})
