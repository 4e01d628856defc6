"""A data subject's export (GDPR Art. 15): every item stored about the user, as one JSON document."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from winback.services.privacy.user_data import jobs_with, user_data

if TYPE_CHECKING:
    from winback.adapters.suppression_store import SuppressionStore
    from winback.adapters.user_records import UserRecords


def export_user(user_id: str, records: UserRecords, suppression: SuppressionStore) -> dict[str, Any]:
    """Every item stored about the user, as one JSON-ready document."""
    data = user_data(user_id, records)
    messaging = records.messaging_items(user_id, data.addresses)
    incentives = records.incentive_items(user_id)
    codes = [str(i["code"]) for i in incentives if "code" in i]
    profile = data.profile.model_dump(mode="json") if data.profile else None
    return {
        "user_id": user_id,
        "profile": profile,
        "consent": profile.get("consent") if profile else None,
        **_messaging_sections(messaging),
        "messaging_records": messaging,
        "incentives": incentives,
        "coupons": records.coupons(codes),
        "deferred_sends": [
            {"campaign_id": job.campaign_id, "step": job.step, "due_at": item.get("due_at"), "kind": item.get("kind")}
            for item, job in jobs_with(user_id, records)
        ],
        "suppression": [
            {"reason": e.get("reason"), "source": e.get("source"), "at": e.get("at")}
            for e in suppression.entries(data.addresses)
        ],
    }


def _messaging_sections(messaging: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """The user's MessagingTable items by what they are: messages sent, the inbox and their answers."""

    def where(pk: str = "", sk: str = "") -> list[dict[str, Any]]:
        return [i for i in messaging if str(i["pk"]).startswith(pk) and str(i["sk"]).startswith(sk)]

    return {"messages": where(pk="user#", sk="msg#"), "inbox": where(pk="inbox#"), "answers": where(sk="reason#")}
