"""Offers other systems fulfil (points multipliers, free trials, member perks), granted on EventBridge.

Each grant is recorded once on the IncentiveTable before it is announced:
  user#<user_id>   grant#<campaign>#<step>#<episode>   kind, value, description, granted_at,
                                                       grant_id, published (bool), TTL expires_at
The record starts unpublished and is marked published only after PutEvents accepted the event, so
a failed or interrupted publish is repeated by the next call for the same send. The system that
owns points or subscriptions receives each grant at least once and deduplicates on `grant_id`,
which is derived from the send and never changes.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from winback.adapters import clients
from winback.adapters.dynamo import from_av, put_new, to_av
from winback.models.delivery import OfferNotPublished
from winback.runtime.observability import logger

if TYPE_CHECKING:
    from mypy_boto3_events.type_defs import PutEventsRequestEntryTypeDef

    from winback.config.incentives import OfferIncentive
    from winback.models.coupons import IssuedCoupon

SOURCE = "winback"
DETAIL_TYPE = "OfferGranted"
COUPON_DETAIL_TYPE = "CouponIssued"
PUT_EVENTS_MAX = 10
GRANT_RETENTION = timedelta(days=400)
# Namespace of grant ids: uuid5(namespace, "<user>#<campaign>#<step>#<episode>").
GRANT_NAMESPACE = uuid.UUID("5b0c5d3e-8f0e-4a53-9a43-1f8f0e6c2a71")


def _utc(at: datetime) -> str:
    return at.astimezone(UTC).isoformat().replace("+00:00", "Z")


def grant_key(user_id: str, campaign_id: str, step: int, episode: str) -> dict[str, str]:
    return {"pk": f"user#{user_id}", "sk": f"grant#{campaign_id}#{step}#{episode}"}


def grant_id(user_id: str, campaign_id: str, step: int, episode: str) -> str:
    return str(uuid.uuid5(GRANT_NAMESPACE, f"{user_id}#{campaign_id}#{step}#{episode}"))


class OfferBus:
    def __init__(self, bus_name: str, table: str) -> None:
        self.bus_name = bus_name
        self.table = table

    def grant(
        self, user_id: str, campaign_id: str, step: int, episode: str, incentive: OfferIncentive, now: datetime
    ) -> bool:
        """Grant the offer for this send: True when this call announced it, False when it had been already.

        Raises OfferNotPublished when EventBridge refuses the event; calling again publishes it then.
        """
        key = grant_key(user_id, campaign_id, step, episode)
        record = {
            **key,
            "grant_id": grant_id(user_id, campaign_id, step, episode),
            "campaign_id": campaign_id,
            "step": step,
            "kind": incentive.kind,
            "value": str(incentive.value),
            "description": incentive.description,
            "granted_at": now.isoformat(),
            "published": False,
            "expires_at": int((now + GRANT_RETENTION).timestamp()),
        }
        if not put_new(self.table, record):
            # Granted before: publish again only if that grant never reached the bus, and as it was then.
            reply = clients.dynamodb().get_item(TableName=self.table, Key=to_av(key), ConsistentRead=True)
            record = from_av(reply["Item"])
            if record.get("published"):
                return False
        self._publish(user_id, record)
        clients.dynamodb().update_item(
            TableName=self.table,
            Key=to_av(key),
            UpdateExpression="SET published = :true, published_at = :at",
            ExpressionAttributeValues=to_av({":true": True, ":at": now.isoformat()}),
        )
        logger.debug("offer granted", extra={"user_id": user_id, "campaign_id": campaign_id, "kind": record["kind"]})
        return True

    def announce_coupons(self, coupons: Sequence[IssuedCoupon], now: datetime) -> list[IssuedCoupon]:
        """Publish `CouponIssued` for coupons just issued (up to 10 per PutEvents), so a shop that creates
        discount codes in its own commerce platform can create the same codes there; each event's
        stable id is the coupon code. Returns the coupons EventBridge accepted; the others stay
        unannounced (logged), and the caller marks only the accepted ones."""
        accepted: list[IssuedCoupon] = []
        for start in range(0, len(coupons), PUT_EVENTS_MAX):
            chunk = coupons[start : start + PUT_EVENTS_MAX]
            try:
                reply = clients.events().put_events(Entries=[self._coupon_entry(c, now) for c in chunk])
            except (ClientError, BotoCoreError):
                logger.warning("coupons not announced", extra={"count": len(chunk)})
                continue
            for coupon, result in zip(chunk, reply["Entries"], strict=True):
                if result.get("ErrorCode"):
                    logger.warning("coupon not announced", extra={"code": result.get("ErrorCode")})
                else:
                    accepted.append(coupon)
        return accepted

    def _coupon_entry(self, coupon: IssuedCoupon, now: datetime) -> PutEventsRequestEntryTypeDef:
        from winback.domain.money import exponent

        detail = {
            "id": coupon.code,
            "code": coupon.code,
            "user_id": coupon.user_id,
            "campaign_id": coupon.campaign_id,
            "step": coupon.step,
            "value": str(Decimal(coupon.value_minor).scaleb(-exponent(coupon.currency))),  # as GET /coupons says
            "value_minor": coupon.value_minor,
            "currency": coupon.currency,
            "expires_at": _utc(coupon.expires_at),
            "issued_at": _utc(now),
        }
        return {
            "Source": SOURCE,
            "DetailType": COUPON_DETAIL_TYPE,
            "Detail": json.dumps(detail, separators=(",", ":")),
            "EventBusName": self.bus_name,
            "Time": now,
        }

    def _publish(self, user_id: str, record: dict[str, Any]) -> None:
        detail = {
            "user_id": user_id,
            "campaign_id": record["campaign_id"],
            "step": int(record["step"]),
            "kind": record["kind"],
            "value": record["value"],
            "description": record["description"],
            "granted_at": record["granted_at"],
            "grant_id": record["grant_id"],
        }
        entry: PutEventsRequestEntryTypeDef = {
            "Source": SOURCE,
            "DetailType": DETAIL_TYPE,
            "Detail": json.dumps(detail, separators=(",", ":")),
            "EventBusName": self.bus_name,
            "Time": datetime.fromisoformat(str(record["granted_at"])),
        }
        try:
            reply = clients.events().put_events(Entries=[entry])
        except (ClientError, BotoCoreError) as error:
            logger.warning("offer not published", extra={"grant_id": record["grant_id"]})
            raise OfferNotPublished(f"PutEvents failed for grant {record['grant_id']}") from error
        if reply.get("FailedEntryCount", 0):
            failure = reply["Entries"][0]
            logger.warning(
                "offer not published",
                extra={"grant_id": record["grant_id"], "code": failure.get("ErrorCode")},
            )
            raise OfferNotPublished(f"EventBridge refused grant {record['grant_id']}: {failure.get('ErrorCode')}")
