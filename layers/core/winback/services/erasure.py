"""A data subject's rights (GDPR Art. 15/17, CCPA, PIPL): export everything stored about a user as
one JSON document, and erase it.

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
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from winback.adapters.suppression_store import SuppressionStore
from winback.adapters.user_records import UserRecords, delete_keys
from winback.domain.audience.hashing import audience_row
from winback.domain.journey.addresses import address_key
from winback.models.jobs import SendJob
from winback.models.profile import Profile

CHANNELS = ("email", "sms", "push")


@dataclass(frozen=True)
class UserData:
    profile: Profile | None
    addresses: list[str]


def _user_data(user_id: str, records: UserRecords) -> UserData:
    item = records.profile_item(user_id)
    profile = Profile.from_item(item) if item else None
    addresses = [f"inbox#{user_id}"]
    if profile is not None:
        contacts = {"email": profile.email, "sms": profile.phone, "push": profile.push_endpoint}
        addresses += [address_key(ch, a) for ch, a in contacts.items() if a]  # type: ignore[arg-type]
    return UserData(profile, addresses)


def _jobs_with(user_id: str, records: UserRecords) -> list[tuple[dict[str, Any], SendJob]]:
    found = []
    for item in records.deferred_jobs(user_id):
        job = SendJob.model_validate_json(item["body"])
        if any(r.user_id == user_id for r in job.recipients):
            found.append((item, job))
    return found


def export_user(user_id: str, records: UserRecords, suppression: SuppressionStore) -> dict[str, Any]:
    """Every item stored about the user, as one JSON-ready document."""
    data = _user_data(user_id, records)
    messaging = records.messaging_items(user_id, data.addresses)
    incentives = records.incentive_items(user_id)
    codes = [str(i["code"]) for i in incentives if "code" in i]
    return {
        "user_id": user_id,
        "profile": data.profile.model_dump(mode="json") if data.profile else None,
        "consent": data.profile.model_dump(mode="json").get("consent") if data.profile else None,
        "messages": [i for i in messaging if str(i["sk"]).startswith("msg#") and str(i["pk"]).startswith("user#")],
        "inbox": [i for i in messaging if str(i["pk"]).startswith("inbox#")],
        "answers": [i for i in messaging if str(i["sk"]).startswith("reason#")],
        "messaging_records": messaging,
        "incentives": incentives,
        "coupons": records.coupons(codes),
        "deferred_sends": [
            {"campaign_id": job.campaign_id, "step": job.step, "due_at": item.get("due_at"), "kind": item.get("kind")}
            for item, job in _jobs_with(user_id, records)
        ],
        "suppression": [
            {"reason": e.get("reason"), "source": e.get("source"), "at": e.get("at")}
            for e in suppression.entries(data.addresses)
        ],
    }


def erase_user(user_id: str, records: UserRecords, suppression: SuppressionStore, now: datetime) -> dict[str, int]:
    """Erase everything stored about the user (see the module docstring); what was removed, by kind."""
    done: Counter[str] = Counter()
    data = _user_data(user_id, records)
    for address in data.addresses:
        done["suppression_hashed"] += suppression.forget_plain(address)
    if data.profile is not None and records.bucket:
        row = audience_row(data.profile.email, data.profile.phone)
        hashes = {cell for cell in row or () if cell}
        if hashes:
            for key in records.audience_objects():
                done["audience_rows"] += records.remove_rows(key, hashes)
    for item, job in _jobs_with(user_id, records):
        remaining = [r for r in job.recipients if r.user_id != user_id]
        if remaining:
            rewritten = job.model_copy(update={"recipients": remaining})
            records.put_deferred({**item, "body": rewritten.model_dump_json()})
        else:
            delete_keys(records.deferral, [{"pk": item["pk"], "sk": item["sk"]}])
        done["deferred_jobs"] += 1
    incentives = records.incentive_items(user_id)
    for item in incentives:
        if "code" in item:
            for coupon in records.coupons([str(item["code"])]):
                if coupon.get("user_id") == user_id:
                    records.anonymize_coupon(str(item["code"]))
                    done["coupons_anonymized"] += 1
    done["incentive_items"] += delete_keys(records.incentive, [{"pk": i["pk"], "sk": i["sk"]} for i in incentives])
    messaging = records.messaging_items(user_id, data.addresses)
    done["messaging_items"] += delete_keys(records.messaging, [{"pk": i["pk"], "sk": i["sk"]} for i in messaging])
    if data.profile is not None:
        records.delete_profile(user_id)
        done["profile"] += 1
    return dict(done)
