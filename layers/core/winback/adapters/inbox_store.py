"""The in-app inbox on the MessagingTable, and the inbox as a delivery channel for the sender.

Key design (also in docs/data.md, MessagingTable):
  inbox#<user_id>   msg#<message id>   title, body, cta_url, opt_out_url, campaign_id, step, message_key,
                                       created_at (ISO UTC), read_at (absent while unread), expires_at
The message id is derived from the user and the sender's message key (its send key), so the same
key always lands on the same item: a conditional put (`attribute_not_exists`) stores it once, and a
redelivery gets the existing id back without a read, keeping the first content and `created_at`.
The sort key is therefore not time-ordered; listing reads the user's whole partition and sorts by
`created_at`. That is deliberate: an inbox holds at most one message per campaign step and lapse
and expires after `ttl_days` (TTL `expires_at`), so a partition stays at tens of small items.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError
from pydantic import AwareDatetime, BaseModel, ConfigDict

from winback.adapters import clients
from winback.adapters.channels import _classify
from winback.adapters.dynamo import conditional_failed, from_av, put_new, to_av
from winback.models.delivery import SendError, Throttled

if TYPE_CHECKING:
    from winback.domain.clock import Clock
    from winback.models.outbound import Outbound

PK_PREFIX = "inbox#"
SK_PREFIX = "msg#"
ID_PREFIX = "inbox-"
# DynamoDB's own throttling codes (HTTP 400) that channels.THROTTLE_CODES, written for SES/SNS, lacks.
DYNAMODB_THROTTLE_CODES = frozenset({"ProvisionedThroughputExceededException", "RequestLimitExceeded"})


class InboxMessage(BaseModel):
    """One stored inbox message, as listed."""

    model_config = ConfigDict(extra="ignore", frozen=True, defer_build=True)
    id: str
    title: str
    body: str
    cta_url: str
    # A signed one-click link that turns the inbox off for this user (the unsubscribe route, channel
    # `inbox`); messages stored before it existed have none.
    opt_out_url: str = ""
    campaign_id: str
    step: int
    created_at: AwareDatetime
    read_at: AwareDatetime | None = None


def message_id(user_id: str, message_key: str) -> str:
    """The inbox id of a message key: stable, so a redelivered key maps to the stored message."""
    digest = hashlib.sha256(f"{user_id}\n{message_key}".encode()).hexdigest()[:32]
    return f"{ID_PREFIX}{digest}"


def _key(user_id: str, inbox_id: str) -> dict[str, str]:
    return {"pk": f"{PK_PREFIX}{user_id}", "sk": f"{SK_PREFIX}{inbox_id}"}


def _iso(at: datetime) -> str:
    return at.astimezone(UTC).isoformat(timespec="microseconds")


class InboxStore:
    def __init__(self, table: str) -> None:
        self.table = table

    def deliver(
        self,
        user_id: str,
        message_key: str,
        title: str,
        body: str,
        cta_url: str,
        campaign_id: str,
        step: int,
        now: datetime,
        ttl_days: int,
        opt_out_url: str = "",
    ) -> str:
        """Store one message for the user; returns its inbox id, the existing one if the key was delivered before."""
        inbox_id = message_id(user_id, message_key)
        item: dict[str, Any] = {
            **_key(user_id, inbox_id),
            "id": inbox_id,
            "message_key": message_key,
            "title": title,
            "body": body,
            "cta_url": cta_url,
            "opt_out_url": opt_out_url,
            "campaign_id": campaign_id,
            "step": step,
            "created_at": _iso(now),
            "expires_at": int((now + timedelta(days=ttl_days)).timestamp()),
        }
        put_new(self.table, item)
        return inbox_id

    def list(self, user_id: str, limit: int, now: datetime | None = None) -> list[InboxMessage]:
        """The user's newest `limit` messages, newest first; with `now`, ones past their TTL are left out
        (DynamoDB deletes expired items lazily, up to days later)."""
        items: list[dict[str, Any]] = []
        request: dict[str, Any] = {
            "TableName": self.table,
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :sk)",
            "ExpressionAttributeValues": to_av({":pk": f"{PK_PREFIX}{user_id}", ":sk": SK_PREFIX}),
            "ConsistentRead": True,
        }
        client = clients.dynamodb()
        while True:
            reply = client.query(**request)
            items.extend(from_av(i) for i in reply.get("Items", []))
            if "LastEvaluatedKey" not in reply:
                break
            request["ExclusiveStartKey"] = reply["LastEvaluatedKey"]
        if now is not None:
            cutoff = int(now.timestamp())
            items = [i for i in items if int(i.get("expires_at", cutoff + 1)) > cutoff]
        messages = [InboxMessage.model_validate(i) for i in items]
        messages.sort(key=lambda m: (m.created_at, m.id), reverse=True)
        return messages[:limit]

    def mark_read(self, user_id: str, ids: Iterable[str], now: datetime) -> Sequence[str]:
        """Set `read_at` on the given messages where it is absent; returns the ids this call marked.

        One conditional update per message (a batch write cannot carry conditions): the first read time
        stays, and an id the user does not have is never created.
        """
        marked: list[str] = []
        client = clients.dynamodb()
        for inbox_id in dict.fromkeys(ids):
            try:
                client.update_item(
                    TableName=self.table,
                    Key=to_av(_key(user_id, inbox_id)),
                    UpdateExpression="SET read_at = :now",
                    ConditionExpression="attribute_exists(pk) AND attribute_not_exists(read_at)",
                    ExpressionAttributeValues=to_av({":now": _iso(now)}),
                )
            except ClientError as error:
                if not conditional_failed(error):
                    raise
                continue
            marked.append(inbox_id)
        return marked


def classify(error: ClientError | BotoCoreError) -> SendError:
    """A DynamoDB failure as a channel outcome: throttled (retry later), rejected, or uncertain (5xx, timeout)."""
    if isinstance(error, ClientError) and error.response.get("Error", {}).get("Code") in DYNAMODB_THROTTLE_CODES:
        return Throttled(str(error.response["Error"]["Code"]))
    return _classify(error)


class InboxChannel:
    """The inbox as a channel: `send` returns a message id or raises Throttled, Rejected or Uncertain,
    like the channels in adapters/channels.py. Delivering the same key twice is harmless."""

    def __init__(self, store: InboxStore, clock: Clock, ttl_days: int) -> None:
        self.store = store
        self.clock = clock
        self.ttl_days = ttl_days

    def send(self, message: Outbound) -> str:
        m = message
        try:
            return self.store.deliver(
                m.user_id,
                m.key,
                m.content.subject,
                m.content.text,
                m.cta_url,
                m.campaign_id,
                m.step,
                self.clock.now(),
                self.ttl_days,
                m.unsubscribe_url,
            )
        except (ClientError, BotoCoreError) as error:
            raise classify(error) from error
