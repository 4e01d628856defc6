"""What a data subject's export and erasure both start from: the user's profile and addresses, and
the deferred send jobs that carry them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from winback.domain.journey.addresses import address_key
from winback.models.jobs import SendJob
from winback.models.profile import Profile

if TYPE_CHECKING:
    from winback.adapters.user_records import UserRecords


@dataclass(frozen=True)
class UserData:
    profile: Profile | None
    addresses: list[str]  # the keys the user's suppression entries and soft-bounce counts are under


def user_data(user_id: str, records: UserRecords) -> UserData:
    item = records.profile_item(user_id)
    profile = Profile.from_item(item) if item else None
    addresses = [f"inbox#{user_id}"]
    if profile is not None:
        contacts = {"email": profile.email, "sms": profile.phone, "push": profile.push_endpoint}
        addresses += [address_key(ch, a) for ch, a in contacts.items() if a]  # type: ignore[arg-type]
    return UserData(profile, addresses)


def jobs_with(user_id: str, records: UserRecords) -> list[tuple[dict[str, Any], SendJob]]:
    """The deferred send jobs (stored item and job) that have the user among their recipients."""
    found = []
    for item in records.deferred_jobs(user_id):
        job = SendJob.model_validate_json(item["body"])
        if any(r.user_id == user_id for r in job.recipients):
            found.append((item, job))
    return found
