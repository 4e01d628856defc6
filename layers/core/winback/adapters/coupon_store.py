"""Coupons on the IncentiveTable: issue within a budget, redeem exactly once, report the spend.

Key design (also in docs/data.md):
  coupon#<code>            coupon                              the coupon: user, campaign, step,
                                                               episode, value (minor units),
                                                               currency, valid_until, status
  user#<user_id>           coupon#<campaign>#<step>#<episode>  the code that user got for that
                                                               send (issuing again returns it)
  couponspend#<campaign>   issued                              issued count and value, currency:
                                                               the budget reservation counter
  couponspend#<campaign>   redeemed                            redeemed count and value
Codes are canonical (`winback.domain.journey.coupons.normalize_code`); `valid_until` is epoch seconds and
`expires_at` (the table's TTL) keeps a coupon for a while after it lapses, so a late redemption
attempt is answered "expired" rather than "unknown".

Issuing counts the coupon on the `issued` counter (conditional on the budget) and stores the coupon
and the user's pointer in one transaction: all or nothing, so the budget is never exceeded and a
crash never leaves a reservation without its coupon.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from winback.adapters import clients
from winback.adapters.dynamo import batch_put, error_code, from_av, to_av
from winback.domain.journey.coupons import SYSTEM_RANDOM, RandomBits, new_code, normalize_code
from winback.domain.money import minor_units
from winback.models.coupons import IssuedCoupon, Redemption, RedemptionStatus
from winback.runtime.observability import logger

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.type_defs import PutTypeDef, UpdateTypeDef

    from winback.config.incentives import Budget

RETENTION_AFTER_EXPIRY = timedelta(days=400)
ISSUED = "issued"
REDEEMED = "redeemed"
_COUPON_SK = "coupon"
_ATTEMPTS = 5


class CurrencyMismatch(ValueError):
    """A campaign's coupons, or a coupon and its budget, are in different currencies."""


def coupon_key(code: str) -> dict[str, str]:
    return {"pk": f"coupon#{code}", "sk": _COUPON_SK}


def pointer_key(user_id: str, campaign_id: str, step: int, episode: str) -> dict[str, str]:
    return {"pk": f"user#{user_id}", "sk": f"coupon#{campaign_id}#{step}#{episode}"}


def spend_key(campaign_id: str, counter: str) -> dict[str, str]:
    return {"pk": f"couponspend#{campaign_id}", "sk": counter}


def _epoch(at: datetime) -> int:
    if at.tzinfo is None:
        raise ValueError("times must be timezone-aware")
    return math.floor(at.timestamp())


def _cancellation_codes(error: ClientError) -> list[str]:
    reasons: Sequence[Mapping[str, Any]] = error.response.get("CancellationReasons", [])
    return [str(reason.get("Code", "None")) for reason in reasons]


def _backoff(attempt: int) -> None:
    time.sleep(min(0.02 * 2**attempt, 0.5))


class CouponStore:
    def __init__(self, table: str, prefix: str = "WB", rng: RandomBits = SYSTEM_RANDOM) -> None:
        self.table = table
        self.prefix = prefix
        self.rng = rng

    def issue(
        self,
        user_id: str,
        campaign_id: str,
        step: int,
        episode: str,
        value_minor: int,
        currency: str,
        expires_at: datetime,
        budget: Budget | None,
        now: datetime,
        pointer_absent: bool = False,
    ) -> IssuedCoupon | None:
        """The user's coupon for this send: the one issued before, or a new one; None when the budget is spent.
        `pointer_absent`: the caller read the pointer a moment ago and found none, so it is not read
        again (a concurrent issue still loses to the pointer's conditional write)."""
        if value_minor <= 0:
            raise ValueError("a coupon is worth a positive amount")
        if expires_at <= now:
            raise ValueError("a coupon must expire after it is issued")
        pointer = pointer_key(user_id, campaign_id, step, episode)
        existing = None if pointer_absent else self._get(pointer)
        if existing is not None:
            return _issued_from_pointer(existing, user_id, campaign_id, step, episode)
        reservation = self._reservation(campaign_id, value_minor, currency, budget)
        coupon = IssuedCoupon("", user_id, campaign_id, step, episode, value_minor, currency, expires_at)
        issued = None if reservation is None else self._store(coupon, pointer, now, reservation)
        if issued is None:
            logger.info("coupon budget spent", extra={"campaign_id": campaign_id})
        return issued

    def issued(self, user_id: str, campaign_id: str, step: int, episode: str) -> IssuedCoupon | None:
        """The coupon issued to the user for that send, if any (a later step reminds them of it)."""
        item = self._get(pointer_key(user_id, campaign_id, step, episode))
        return None if item is None else _issued_from_pointer(item, user_id, campaign_id, step, episode)

    def mark_announced(self, coupons: Sequence[IssuedCoupon]) -> None:
        """Record on each user's pointer that the coupon's CouponIssued event reached the offers bus, so
        a send retried after a failure does not announce it again. The pointer never changes once
        issued, so it is rewritten whole, 25 per BatchWriteItem."""
        batch_put(
            self.table,
            (
                {
                    **pointer_key(c.user_id, c.campaign_id, c.step, c.episode),
                    "code": c.code,
                    "value_minor": c.value_minor,
                    "currency": c.currency,
                    "valid_until": _epoch(c.expires_at),
                    "expires_at": _epoch(c.expires_at + RETENTION_AFTER_EXPIRY),
                    "announced": True,
                }
                for c in coupons
            ),
        )

    def look_up(self, code: str) -> tuple[str, dict[str, Any] | None]:
        """The code's canonical form and its stored coupon (None: not one of ours); reads only."""
        canonical = normalize_code(code)
        if canonical is None:
            return code, None
        return canonical, self._get(coupon_key(canonical))

    def redeem(self, code: str, user_id: str, order_at: datetime, order_ref: str) -> Redemption:
        """Mark the coupon used by this order, exactly once; a replay of the same order is `redeemed_before`."""
        canonical = normalize_code(code)
        if canonical is None:
            return Redemption(RedemptionStatus.UNKNOWN)
        at = _epoch(order_at)
        for attempt in range(_ATTEMPTS):
            item = self._get(coupon_key(canonical))
            if item is None:
                return Redemption(RedemptionStatus.UNKNOWN)
            verdict = _judge(canonical, item, user_id, at, order_ref)
            if verdict is not None:
                return verdict
            try:
                self._mark_redeemed(canonical, item, user_id, order_at, order_ref)
            except ClientError as error:
                codes = _cancellation_codes(error)
                if error_code(error) != "TransactionCanceledException":
                    raise
                if codes and codes[0] == "ConditionalCheckFailed":
                    continue  # changed since read (a concurrent redemption): judge the fresh item
                if "TransactionConflict" in codes:
                    _backoff(attempt)  # another redemption of this campaign is counting right now
                    continue
                raise
            logger.debug("coupon redeemed", extra={"campaign_id": item["campaign_id"], "user_id": user_id})
            return _details(RedemptionStatus.REDEEMED, canonical, item)
        raise RuntimeError("coupon redemption kept conflicting; retry later")

    def spend(self, campaign_id: str) -> dict[str, int]:
        """Issued and redeemed coupons of a campaign: counts and values in minor units."""
        reply = clients.dynamodb().query(
            TableName=self.table,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues=to_av({":pk": f"couponspend#{campaign_id}"}),
            ConsistentRead=True,
        )
        figures = {"issued": 0, "issued_value": 0, "redeemed": 0, "redeemed_value": 0}
        for raw in reply.get("Items", []):
            item = from_av(raw)
            for name in figures:
                if name in item:
                    figures[name] = int(item[name])
        return figures

    def _get(self, key: Mapping[str, str]) -> dict[str, Any] | None:
        reply = clients.dynamodb().get_item(TableName=self.table, Key=to_av(key), ConsistentRead=True)
        return from_av(reply["Item"]) if "Item" in reply else None

    def _reservation(
        self, campaign_id: str, value_minor: int, currency: str, budget: Budget | None
    ) -> UpdateTypeDef | None:
        """The update counting the coupon on the campaign's `issued` counter, within the budget if any
        (None: the coupon alone is worth more than the budget)."""
        condition = "(attribute_not_exists(#cur) OR #cur = :cur)"
        values: dict[str, Any] = {":one": 1, ":v": value_minor, ":cur": currency}
        if budget is not None:
            if budget.currency != currency:
                raise CurrencyMismatch(f"campaign {campaign_id}: coupon in {currency}, budget in {budget.currency}")
            room = minor_units(budget.max_value, budget.currency) - value_minor
            if room < 0:
                return None
            condition += (
                " AND (attribute_not_exists(#n) OR #n < :max_count)"
                " AND (attribute_not_exists(#value) OR #value <= :room)"
            )
            values |= {":max_count": budget.max_count, ":room": room}
        return {
            "TableName": self.table,
            "Key": to_av(spend_key(campaign_id, ISSUED)),
            "UpdateExpression": "ADD #n :one, #value :v SET #cur = :cur",
            "ConditionExpression": condition,
            "ExpressionAttributeNames": {"#n": "issued", "#value": "issued_value", "#cur": "currency"},
            "ExpressionAttributeValues": to_av(values),
        }

    def _store(
        self, coupon: IssuedCoupon, pointer: dict[str, str], now: datetime, reservation: UpdateTypeDef
    ) -> IssuedCoupon | None:
        """Count the coupon in the budget, write it and the user's pointer, in one transaction (all or
        nothing); a concurrent issue for the same send wins once; None when the budget is spent."""
        valid_until = _epoch(coupon.expires_at)
        ttl = _epoch(coupon.expires_at + RETENTION_AFTER_EXPIRY)
        for attempt in range(_ATTEMPTS):
            code = new_code(self.rng, self.prefix)
            coupon_item = {
                **coupon_key(code),
                "user_id": coupon.user_id,
                "campaign_id": coupon.campaign_id,
                "step": coupon.step,
                "episode": coupon.episode,
                "value_minor": coupon.value_minor,
                "currency": coupon.currency,
                "valid_until": valid_until,
                "issued_at": now.isoformat(),
                "status": ISSUED,
                "expires_at": ttl,
            }
            pointer_item = {
                **pointer,
                "code": code,
                "value_minor": coupon.value_minor,
                "currency": coupon.currency,
                "valid_until": valid_until,
                "expires_at": ttl,
            }
            try:
                clients.dynamodb().transact_write_items(
                    TransactItems=[
                        {"Update": reservation},
                        {"Put": self._new(coupon_item)},
                        {"Put": self._new(pointer_item)},
                    ]
                )
            except ClientError as error:
                if error_code(error) != "TransactionCanceledException":
                    raise  # the outcome is unknown: a retry finds the pointer if it was written
                codes = _cancellation_codes(error)
                if len(codes) > 2 and codes[2] == "ConditionalCheckFailed":
                    existing = self._get(pointer)
                    if existing is None:
                        raise RuntimeError("the coupon pointer vanished right after a conflict") from error
                    return _issued_from_pointer(
                        existing, coupon.user_id, coupon.campaign_id, coupon.step, coupon.episode
                    )
                if codes and codes[0] == "ConditionalCheckFailed":
                    self._check_currency(coupon.campaign_id, coupon.currency)
                    return None  # the budget is spent
                if len(codes) > 1 and codes[1] == "ConditionalCheckFailed":
                    continue  # this code exists already (75 random bits: practically never)
                if "TransactionConflict" in codes:
                    _backoff(attempt)
                    continue
                raise
            logger.debug("coupon issued", extra={"campaign_id": coupon.campaign_id, "user_id": coupon.user_id})
            return replace(coupon, code=code)
        raise RuntimeError("could not store a coupon; retry later")

    def _new(self, item: Mapping[str, Any]) -> PutTypeDef:
        return {"TableName": self.table, "Item": to_av(item), "ConditionExpression": "attribute_not_exists(pk)"}

    def _check_currency(self, campaign_id: str, currency: str) -> None:
        """Raise CurrencyMismatch when the campaign's coupons were issued in another currency."""
        spent = self._get(spend_key(campaign_id, ISSUED)) or {}
        if spent.get("currency", currency) != currency:
            raise CurrencyMismatch(
                f"campaign {campaign_id}: coupons were issued in {spent['currency']}, not {currency}"
            )

    def _mark_redeemed(
        self, code: str, item: Mapping[str, Any], user_id: str, order_at: datetime, order_ref: str
    ) -> None:
        """One conditional update of the coupon, counted on the campaign's `redeemed` counter atomically."""
        redeem: UpdateTypeDef = {
            "TableName": self.table,
            "Key": to_av(coupon_key(code)),
            "UpdateExpression": "SET #status = :redeemed, order_ref = :ref, redeemed_at = :at",
            "ConditionExpression": "#status = :issued AND user_id = :user AND valid_until > :at_epoch",
            "ExpressionAttributeNames": {"#status": "status"},
            "ExpressionAttributeValues": to_av(
                {
                    ":redeemed": REDEEMED,
                    ":issued": ISSUED,
                    ":ref": order_ref,
                    ":at": order_at.isoformat(),
                    ":user": user_id,
                    ":at_epoch": _epoch(order_at),
                }
            ),
        }
        count: UpdateTypeDef = {
            "TableName": self.table,
            "Key": to_av(spend_key(str(item["campaign_id"]), REDEEMED)),
            "UpdateExpression": "ADD #n :one, #value :v",
            "ExpressionAttributeNames": {"#n": "redeemed", "#value": "redeemed_value"},
            "ExpressionAttributeValues": to_av({":one": 1, ":v": int(item["value_minor"])}),
        }
        clients.dynamodb().transact_write_items(TransactItems=[{"Update": redeem}, {"Update": count}])


def issued_from_pointer(
    item: Mapping[str, Any], user_id: str, campaign_id: str, step: int, episode: str
) -> IssuedCoupon:
    """The coupon a stored pointer item names."""
    return _issued_from_pointer(item, user_id, campaign_id, step, episode)


def _issued_from_pointer(
    item: Mapping[str, Any], user_id: str, campaign_id: str, step: int, episode: str
) -> IssuedCoupon:
    return IssuedCoupon(
        code=str(item["code"]),
        user_id=user_id,
        campaign_id=campaign_id,
        step=step,
        episode=episode,
        value_minor=int(item["value_minor"]),
        currency=str(item["currency"]),
        expires_at=datetime.fromtimestamp(int(item["valid_until"]), UTC),
        announced=bool(item.get("announced", False)),
    )


def _details(status: RedemptionStatus, code: str, item: Mapping[str, Any]) -> Redemption:
    return Redemption(
        status=status,
        code=code,
        campaign_id=str(item["campaign_id"]),
        step=int(item["step"]),
        value_minor=int(item["value_minor"]),
        currency=str(item["currency"]),
    )


def _judge(code: str, item: Mapping[str, Any], user_id: str, at: int, order_ref: str) -> Redemption | None:
    """Why this coupon cannot be redeemed by this order, or None when it can."""
    # The owner is checked first, so nobody learns anything about someone else's coupon.
    if item["user_id"] != user_id:
        return Redemption(RedemptionStatus.WRONG_USER)
    if item["status"] == REDEEMED:
        if item.get("order_ref") == order_ref:
            return _details(RedemptionStatus.REDEEMED_BEFORE, code, item)
        return Redemption(RedemptionStatus.ALREADY_USED)
    if int(item["valid_until"]) <= at:
        return Redemption(RedemptionStatus.EXPIRED)
    return None
