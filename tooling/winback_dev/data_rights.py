"""`winback erase USER_ID`, `winback export-user USER_ID` and `winback migrate-suppression`: the
operator's side of the privacy routes, against a deployed stack (`--stack-name`) or the tables the
environment names."""

from __future__ import annotations

import contextlib
import json
import sys
import time
from typing import Any

# A deployed erasure's second pass comes SECOND_PASS_DELAY (20 minutes) after the first.
POLL_S = 30.0


def erase(user_id: str, wait: bool = True, poll_s: float = POLL_S) -> dict[str, Any]:
    """Accept the erasure as DELETE /users/{id} does and run it: against a deployed stack, start its
    ErasureStateMachine and (unless `wait` is False) poll the request until the second pass is done;
    otherwise play the state machine here. The request's status (never the user id)."""
    from winback.runtime.deps import deps
    from winback.services.privacy.erasure import begin_erasure, erasure_status

    d = deps()
    request = begin_erasure(user_id, d.user_records, d.clock.now())
    if d.erasure_runs.start(request.request_id) is None:
        from winback_dev import erasure

        with contextlib.redirect_stdout(sys.stderr):  # the handler's metrics lines: stdout is the answer
            erasure.play(request.request_id)
    while wait:
        found = erasure_status(request.request_id, d.user_records)
        if found is None or found.status == "erased":
            break
        print(f"  {found.status}", file=sys.stderr)
        time.sleep(poll_s)
    found = erasure_status(request.request_id, d.user_records)
    return (found or request).model_dump(exclude_none=True)


def export(user_id: str) -> str:
    from winback.runtime.deps import deps
    from winback.services.privacy.export import export_user

    d = deps()
    return json.dumps(export_user(user_id, d.user_records, d.suppression), indent=2, ensure_ascii=False, default=str)


def migrate_suppression() -> int:
    """One-off: rewrite every plain SuppressionTable entry (`email#...`) as its SHA-256 form, keeping
    the first reason; safe to run again or to interrupt. Afterwards set SUPPRESSION_PLAIN_LOOKUP=false."""
    from winback.runtime.deps import deps

    store = deps().suppression
    return sum(store.forget_plain(address) for address in list(store.plain_addresses()))
