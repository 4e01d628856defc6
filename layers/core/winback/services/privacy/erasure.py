"""A data subject's erasure (GDPR Art. 17, CCPA, PIPL).

Erasure removes the profile, the send state and ledger, outcome records, reason answers, webhook
markers, the inbox, soft-bounce counts, coupon pointers and grants; coupon records stay for budget
totals with the owner replaced by "erased"; deferred send jobs are rewritten without the user (or
deleted when nobody is left); the user's rows leave the audience files still in the bucket. The
user's suppression entries stay, hashed (no plain address kept), so they are never messaged again
if they come back. Aggregate counters stay. The profile goes last, so a run that fails halfway
still knows the addresses when it is run again; a second run finds nothing left to do.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import TYPE_CHECKING

from winback.domain.audience.hashing import audience_row
from winback.services.privacy.user_data import jobs_with, user_data

if TYPE_CHECKING:
    from winback.adapters.suppression_store import SuppressionStore
    from winback.adapters.user_records import UserRecords
    from winback.models.profile import Profile


def erase_user(user_id: str, records: UserRecords, suppression: SuppressionStore, now: datetime) -> dict[str, int]:
    """Erase everything stored about the user (see the module docstring); what was removed, by kind."""
    done: Counter[str] = Counter()
    data = user_data(user_id, records)
    for address in data.addresses:
        done["suppression_hashed"] += suppression.forget_plain(address)
    if data.profile is not None and records.bucket:
        _remove_audience_rows(data.profile, records, done)
    _remove_from_deferred_jobs(user_id, records, done)
    _remove_incentives(user_id, records, done)
    messaging = records.messaging_items(user_id, data.addresses)
    done["messaging_items"] += records.delete_messaging_items(messaging)
    if data.profile is not None:
        records.delete_profile(user_id)
        done["profile"] += 1
    return dict(done)


def _remove_audience_rows(profile: Profile, records: UserRecords, done: Counter[str]) -> None:
    row = audience_row(profile.email, profile.phone)
    hashes = {cell for cell in row or () if cell}
    if hashes:
        for key in records.audience_objects():
            done["audience_rows"] += records.remove_rows(key, hashes)


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
