"""A data subject's erasure (GDPR Art. 17, CCPA, PIPL): a state first, then two passes of removal.

`begin_erasure` (DELETE /users/{id}, before its 202) makes the erasure a state in four writes: the
tombstone (written first; hashed id, kept three years), the erased send state (no claim can succeed
on it), the stand-in that replaces the profile (no profile write can succeed on it; it keeps the
addresses the passes find the user's records by) and the request. From then on no door rebuilds the
profile (ingest, Segment and the backfill drop a tombstoned user's events, counted), and no send job
mails the user, whatever it read before.

Then ErasureStateMachine runs `erasure_pass` twice, `SECOND_PASS_DELAY` apart. Each pass removes the
send ledger and outcomes, answers, webhook and import markers, the inbox, soft-bounce counts, coupon
pointers and grants (coupons stay for budget totals, their owner anonymized), deferred jobs (rewritten
without the user), the user's rows in the audience CSVs and in the history files of BackfillBucket,
and the import bookkeeping that names them; the plain suppression entries become hashed (an erased
user who unsubscribed is still never messaged). The first pass keeps the erased send state; the
second, once every job that could have read the user before the erasure has ended, removes what such
a job wrote (an outcome, a next step, a coupon), then the erased send state and the stand-in, and
closes the request. Aggregate counters stay. A pass works within the function's time and says where
it stopped (`stage`, `after`); the state machine calls it again from there.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import TYPE_CHECKING

from winback.models.erasure import ErasureRequest, erased_id
from winback.services.privacy.user_data import jobs_with, user_data

if TYPE_CHECKING:
    from winback.adapters.suppression_store import SuppressionStore
    from winback.adapters.user_records import UserRecords
    from winback.models.erasure import ErasureTask, Stage
    from winback.services.privacy.user_data import UserData

# Stop a pass's bucket stage with this much of the function's time left: one more object's rewrite.
MIN_TIME_LEFT_MS = 60_000


class UnknownErasure(LookupError):
    """No erasure request with this id (or it holds no user any more: it is done)."""


def begin_erasure(user_id: str, records: UserRecords, now: datetime, request_id: str | None = None) -> ErasureRequest:
    """Make the erasure a state (see the module docstring); the request to follow. Safe to repeat."""
    request_id = request_id or uuid.uuid4().hex
    records.put_tombstone(user_id, request_id, now)
    records.erase_send_state(user_id, request_id, now)
    data = user_data(user_id, records)
    records.put_stand_in(user_id, request_id, data.addresses, now)
    request = ErasureRequest(
        request_id=request_id,
        subject=erased_id(user_id),
        status="accepted",
        accepted_at=now.isoformat(),
        removed={"profile": 1} if data.profile is not None else {},
    )
    records.put_request(request, user_id, now)
    return request


def erasure_status(request_id: str, records: UserRecords) -> ErasureRequest | None:
    found = records.request(request_id)
    return None if found is None else found[0]


def erasure_pass(
    task: ErasureTask,
    records: UserRecords,
    suppression: SuppressionStore,
    now: datetime,
    time_left_ms: Callable[[], int] | None = None,
) -> ErasureTask:
    """Work one pass from where `task` says, until it is done or the time runs short; where it stopped."""
    found = records.request(task.request_id)
    user_id = found[1] if found else None
    if found is None or user_id is None:
        raise UnknownErasure(task.request_id)
    request = found[0]
    data = user_data(user_id, records)
    done: Counter[str] = Counter()
    work = _Pass(task, user_id, data, records, done, time_left_ms or (lambda: 10**9))
    while task.stage != "done":
        task = work.stage(task, suppression)
        if task.stage != "done" and task.after:
            break  # out of time in a bucket: the state machine calls again from `after`
    records.add_removed(task.request_id, done)
    if task.stage == "done":
        _finish(task, request, user_id, records, now)
    return task


def _finish(task: ErasureTask, request: ErasureRequest, user_id: str, records: UserRecords, now: datetime) -> None:
    if task.pass_ == 1:
        records.mark_request(task.request_id, "first_pass_done", now)
        return
    records.delete_stand_in(user_id)
    latest = records.request(task.request_id)
    removed = latest[0].removed if latest else request.removed
    records.close_request(
        request.model_copy(update={"status": "erased", "erased_at": now.isoformat(), "removed": removed}), now
    )


class _Pass:
    """One invocation of a pass: the user, what the stand-in says about them, and what was removed."""

    def __init__(
        self,
        task: ErasureTask,
        user_id: str,
        data: UserData,
        records: UserRecords,
        done: Counter[str],
        time_left_ms: Callable[[], int],
    ) -> None:
        self.first = task.pass_ == 1
        self.user_id, self.data, self.records, self.done, self.time_left_ms = user_id, data, records, done, time_left_ms

    def stage(self, task: ErasureTask, suppression: SuppressionStore) -> ErasureTask:
        """Work `task.stage` from `task.after`; the task after it (the next stage, or where it stopped)."""
        if task.stage == "tables":
            self._tables(suppression)
            return _next(task, "audience")
        if task.stage == "audience":
            after = self._objects(self.records.audience_objects(task.after), self._audience)
            return _next(task, "backfill") if after is None else task.model_copy(update={"after": after})
        after = self._objects(self.records.backfill_objects(task.after), self._backfill)
        return _next(task, "done") if after is None else task.model_copy(update={"after": after})

    def _tables(self, suppression: SuppressionStore) -> None:
        records, done = self.records, self.done
        for address in self.data.addresses:
            done["suppression_hashed"] += suppression.forget_plain(address)
        _remove_from_deferred_jobs(self.user_id, records, done)
        _remove_incentives(self.user_id, records, done)
        messaging = records.messaging_items(self.user_id, self.data.addresses)
        if self.first:  # the erased send state stays until the second pass: it stops claims in flight
            messaging = [i for i in messaging if not (i["sk"] == "sendstate" and str(i["pk"]).startswith("user#"))]
        done["messaging_items"] += records.delete_messaging_items(messaging)

    def _objects(self, keys: Iterable[str], work: Callable[[str], None]) -> str | None:
        """Work each key in order; the last one done when the time runs short (None: all done)."""
        for key in keys:
            work(key)
            if self.time_left_ms() < MIN_TIME_LEFT_MS:
                return key
        return None

    def _audience(self, key: str) -> None:
        hashes = self.data.audience_hashes
        if hashes:
            self.done["audience_rows"] += self.records.remove_rows(key, hashes)

    def _backfill(self, key: str) -> None:
        from winback.adapters.user_records import bookkeeping

        if bookkeeping(key):
            self.done["import_bookkeeping"] += self.records.delete_naming(key, self.data.needles)
        else:
            self.done["history_rows"] += self.records.remove_history_rows(key, self.user_id)


def _next(task: ErasureTask, stage: Stage) -> ErasureTask:
    return task.model_copy(update={"stage": stage, "after": ""})


def _remove_from_deferred_jobs(user_id: str, records: UserRecords, done: Counter[str]) -> None:
    """Rewrite each deferred job that carries the user without them (delete it when nobody is left)."""
    for item, job in jobs_with(user_id, records):
        remaining = [r for r in job.recipients if r.user_id != user_id]
        if remaining:
            rewritten = job.model_copy(update={"recipients": remaining})
            records.put_deferred({**item, "body": rewritten.model_dump_json()})
        else:
            records.delete_deferred([item])
        done["deferred_jobs"] += 1


def _remove_incentives(user_id: str, records: UserRecords, done: Counter[str]) -> None:
    """Anonymize the user's coupons (their records stay for budget totals), then delete the pointers."""
    incentives = records.incentive_items(user_id)
    for item in incentives:
        if "code" in item:
            for coupon in records.coupons([str(item["code"])]):
                if coupon.get("user_id") == user_id:
                    records.anonymize_coupon(str(item["code"]))
                    done["coupons_anonymized"] += 1
    done["incentive_items"] += records.delete_incentive_items(incentives)
