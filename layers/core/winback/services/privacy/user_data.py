"""What a data subject's export and erasure both start from: the user's profile and addresses (or,
while an erasure runs, the addresses its stand-in kept), and the deferred send jobs that carry them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from winback.domain.audience.hashing import audience_row
from winback.domain.journey.addresses import address_key
from winback.models.erasure import is_stand_in
from winback.models.jobs import SendJob
from winback.models.profile import Profile

if TYPE_CHECKING:
    from winback.adapters.user_records import UserRecords


@dataclass(frozen=True)
class UserData:
    user_id: str
    profile: Profile | None
    addresses: list[str]  # the keys the user's suppression entries and soft-bounce counts are under

    def _address(self, channel: str) -> str | None:
        return next((a.split("#", 1)[1] for a in self.addresses if a.startswith(f"{channel}#")), None)

    @property
    def audience_hashes(self) -> set[str]:
        """The cells of the user's rows in the audience CSVs (hashed email and phone)."""
        return {cell for cell in audience_row(self._address("email"), self._address("sms")) or () if cell}

    @property
    def needles(self) -> list[str]:
        """What names the user in a bookkeeping document, each as a whole token (adapters/object_rewrite
        `names_any`): the id (a JSON value, also inside another JSON string, as a Step Functions result
        holds its input, or a word of an error message), the email address and the phone number."""
        return [self.user_id, *(a for a in (self._address("email"), self._address("sms")) if a)]


def user_data(user_id: str, records: UserRecords) -> UserData:
    item = records.profile_item(user_id)
    if is_stand_in(item):
        assert item is not None
        return UserData(user_id, None, [str(a) for a in item.get("addresses", [])] or [f"inbox#{user_id}"])
    profile = Profile.from_item(item) if item else None
    addresses = [f"inbox#{user_id}"]
    if profile is not None:
        contacts = {"email": profile.email, "sms": profile.phone, "push": profile.push_endpoint}
        addresses += [address_key(ch, a) for ch, a in contacts.items() if a]  # type: ignore[arg-type]
    return UserData(user_id, profile, addresses)


def jobs_with(user_id: str, records: UserRecords) -> list[tuple[dict[str, Any], SendJob]]:
    """The deferred send jobs (stored item and job) that have the user among their recipients."""
    found = []
    for item, job in ((i, SendJob.model_validate_json(i["body"])) for i in records.deferred_jobs(user_id)):
        if any(r.user_id == user_id for r in job.recipients):
            found.append((item, job))
    return found
