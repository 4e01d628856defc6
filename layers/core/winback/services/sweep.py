"""Sweep: claims left without an outcome after a grace period are recorded `uncertain`.

A send job writes outcomes every few sends (services/send/record.py); a job killed in between (a Lambda
timeout, out of memory) leaves claims with no outcome. The claim itself stays (never resent: the
provider may have accepted the message), and this scheduled sweep gives each one its outcome, so
every claim ends as exactly one of sent, failed, uncertain or released, and counts in its cell.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta
from itertools import islice

from winback.adapters.messaging_store import MessagingStore
from winback.models.send_state import SWEEP_LOOKBACK, OpenClaim, parse_send_key

# Far longer than a send job can run (60 s), so a claim still in flight is never swept.
GRACE = timedelta(minutes=15)
_BATCH = 100


def _always() -> bool:
    return True


def sweep_claims(
    messaging: MessagingStore,
    now: datetime,
    *,
    grace: timedelta = GRACE,
    lookback: timedelta = SWEEP_LOOKBACK,
    keep_going: Callable[[], bool] = _always,
) -> Counter[str]:
    """Record every claim made in [now - lookback, now - grace] with no outcome as uncertain."""
    totals: Counter[str] = Counter()
    cells: dict[tuple[str, int, str, str], Counter[str]] = {}
    claims = messaging.claims_between(now - lookback, now - grace)
    while batch := list(islice(claims, _BATCH)):
        known = messaging.outcomes_known(batch)
        for claim in batch:
            totals["checked"] += 1
            if (claim.user_id, claim.key) in known or not messaging.record_uncertain(claim, now):
                continue
            totals["uncertain"] += 1
            _count(cells, claim)
        if not keep_going():
            totals["incomplete"] = 1
            break
    for (campaign_id, step, arm, segment), counts in cells.items():
        messaging.add_cell(campaign_id, step, arm, segment, counts)
    return totals


def _count(cells: dict[tuple[str, int, str, str], Counter[str]], claim: OpenClaim) -> None:
    if claim.arm == "-":
        return  # a claim made before claims carried their cell: counted in the totals only
    campaign_id, step, _ = parse_send_key(claim.key)
    cells.setdefault((campaign_id, step, claim.arm, claim.segment), Counter())["uncertain"] += 1
