"""What the doctor found: one Check per question, each with what it saw and what to do about it."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Literal

Status = Literal["ok", "warn", "fail"]


@dataclass(frozen=True)
class Check:
    """One answer: `id` names the question (`email.production_access`), `what` what the doctor saw,
    `fix` what to do (empty when there is nothing to do). `fail`: a channel the program uses cannot
    send, or sending would burn the audience; `warn`: it can send, but something will hurt."""

    id: str
    status: Status
    what: str
    fix: str = ""


def ok(check_id: str, what: str) -> Check:
    return Check(check_id, "ok", what)


def warn(check_id: str, what: str, fix: str) -> Check:
    return Check(check_id, "warn", what, fix)


def fail(check_id: str, what: str, fix: str) -> Check:
    return Check(check_id, "fail", what, fix)


def passed(checks: Iterable[Check]) -> bool:
    """Ready to send: no check failed (warnings are for the operator to weigh)."""
    return all(c.status != "fail" for c in checks)


def as_json(checks: Sequence[Check]) -> str:
    return json.dumps([asdict(c) for c in checks], indent=2, ensure_ascii=False)


def as_text(checks: Sequence[Check]) -> str:
    lines: list[str] = []
    for c in checks:
        lines.append(f"{c.status.upper():<5} {c.id}: {c.what}")
        if c.fix:
            lines.append(f"      fix: {c.fix}")
    counts = Counter(c.status for c in checks)
    verdict = "ready to send" if passed(checks) else "not ready: fix what fails, then run winback doctor again"
    lines.append(f"{counts['ok']} ok, {counts['warn']} warn, {counts['fail']} fail: {verdict}")
    return "\n".join(lines)
