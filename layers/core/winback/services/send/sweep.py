"""Sweep: every claim ends in exactly one record, however its job ended.

A send job writes its outcomes every chunk of sends (record.py); a job killed in between, or one
whose writes the store kept refusing, leaves claims with no outcome, and a claim it could not give
back leaves a `released` record. The sweeper reads the claims made since its last run (the `claims`
index, a cursor per shard: its work follows the sends, not the table) and, past a grace period,
finishes each one from its note:

- no record, and SES reported the message accepted (its `Send` event): `sent`, counted, and the
  user's next step parked;
- no record otherwise: `uncertain` (never resent: the provider may have accepted it);
- a `released` record: the claim given back and the message parked to be sent again.

Each record is written only if the claim still has none, in the same write as its counters and its
next step, so a record that lands after the sweep (or a second sweep) never counts twice.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from winback.models.bookkeeping import Bookkeeping
from winback.models.jobs import Recipient, SendJob
from winback.models.send_state import (
    SWEEP_LOOKBACK,
    TERMINAL,
    ClaimRecord,
    OpenClaim,
    Outcome,
    SendStatus,
    parse_send_key,
)
from winback.services.send.next_step import next_step, park
from winback.services.send.record import sent_counts

if TYPE_CHECKING:
    from winback.config.campaigns import Campaign
    from winback.services.send.ports import ClaimIndex, Records

# Far longer than a send job can run (60 s), so a claim still in flight is never swept.
GRACE = timedelta(minutes=15)
SWEPT = "no outcome recorded (swept)"


def _always() -> bool:
    return True


@dataclass(frozen=True)
class SweepDeps:
    index: ClaimIndex
    records: Records
    # The program's campaign (None: it left the program): a swept `sent` claim's next step.
    campaign: Callable[[str], Campaign | None]


def sweep_claims(
    deps: SweepDeps,
    now: datetime,
    *,
    grace: timedelta = GRACE,
    lookback: timedelta = SWEEP_LOOKBACK,
    keep_going: Callable[[], bool] = _always,
) -> Counter[str]:
    """Finish every claim made up to `now - grace` since the last run (at most `lookback` back, the
    first time); `keep_going` is asked before each claim, and the next run resumes where this stopped."""
    totals: Counter[str] = Counter()
    until = (now - grace).timestamp()
    for shard in range(deps.index.shards):
        cursor = deps.index.cursor(shard)
        since = (now - lookback).timestamp() if cursor is None else cursor
        if not _sweep_shard(deps, shard, since, until, now, keep_going, totals):
            totals["incomplete"] = 1
            break
    return totals


def _sweep_shard(
    deps: SweepDeps,
    shard: int,
    since: float,
    until: float,
    now: datetime,
    keep_going: Callable[[], bool],
    totals: Counter[str],
) -> bool:
    """One shard from its cursor; False when `keep_going` said stop (the cursor is where the last
    finished page ended)."""
    for page in deps.index.claimed(shard, since, until):
        claims = [claim for _, claims in page for claim in claims if claim.claimed_at <= until]
        records = deps.index.records(claims) if claims else {}
        for claim in claims:
            if not keep_going():
                return False
            totals["checked"] += 1
            done = _finish(deps, claim, records.get((claim.user_id, claim.key), ClaimRecord()), now)
            totals[done] += 1
            if done == SendStatus.SENT and claim.note.channel == "email":
                totals["sent_email"] += 1  # the bounce and complaint rates' denominator (SentEmail)
        if page:
            deps.index.save_cursor(shard, page[-1][0])
    return True


def _finish(deps: SweepDeps, claim: OpenClaim, record: ClaimRecord, now: datetime) -> str:
    """What the sweeper did with one claim (a figure's name)."""
    if not record.claimed:
        return "given_back"  # released since the index was read: nothing to finish
    if record.status in TERMINAL:
        return "recorded"
    job = _job(claim)
    if record.status == SendStatus.RELEASED:
        resend = park(job, job.recipients, now, "released")
        return "released" if deps.index.complete_release(claim, resend) else "changed"
    entry = Bookkeeping()
    swept = _outcome(claim, record, now)
    entry.add_outcome(swept)
    campaign = deps.campaign(job.campaign_id) if swept.status == SendStatus.SENT else None
    if campaign is not None:
        claimed_at = datetime.fromtimestamp(claim.claimed_at, UTC)
        entry.parked += next_step(job, campaign, job.recipients, claimed_at)
    refused = deps.records.write(entry)
    return "raced" if refused else str(swept.status)


def _outcome(claim: OpenClaim, record: ClaimRecord, now: datetime) -> Outcome:
    """`sent` when the provider reported the message accepted, else `uncertain`."""
    campaign_id, step, _ = parse_send_key(claim.key)
    note = claim.note
    accepted = record.accepted_message_id is not None
    return Outcome(
        user_id=claim.user_id,
        key=claim.key,
        status=SendStatus.SENT if accepted else SendStatus.UNCERTAIN,
        campaign_id=campaign_id,
        step=step,
        arm=note.arm,
        segment=note.segment,
        at=now,
        run_id=note.run_id or None,
        channel=note.channel or None,
        template=note.template or None,
        message_id=record.accepted_message_id,
        error=None if accepted else SWEPT,
        counts=sent_counts(note.channel) if accepted else ("uncertain",),
    )


def _job(claim: OpenClaim) -> SendJob:
    """The claim's job, for its one recipient, as the note keeps it."""
    campaign_id, step, episode = parse_send_key(claim.key)
    note = claim.note
    recipient = Recipient(user_id=claim.user_id, episode=episode, arm=note.arm, segment=note.segment)
    return SendJob(
        run_id=note.run_id or "swept",
        campaign_id=campaign_id,
        step=step,
        tier=note.tier or "dormant",
        recipients=[recipient],
        not_after=None if note.not_after is None else datetime.fromisoformat(note.not_after),
    )
