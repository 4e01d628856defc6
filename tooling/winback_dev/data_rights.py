"""`winback erase USER_ID`, `winback export-user USER_ID` and `winback migrate-suppression`: the
operator's side of the privacy routes, against a deployed stack (`--stack-name`) or the tables the
environment names."""

from __future__ import annotations

import json


def erase(user_id: str) -> dict[str, int]:
    from winback.runtime.deps import deps
    from winback.services.privacy.erasure import erase_user

    d = deps()
    return erase_user(user_id, d.user_records, d.suppression, d.clock.now())


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
