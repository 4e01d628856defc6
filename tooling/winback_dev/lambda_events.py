"""Real-shaped Lambda events for each trigger, as the AWS services deliver them.

The local runner and the tests use these to call handlers exactly as Lambda would.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

REGION = "us-east-1"
ACCOUNT = "123456789012"


@dataclass
class FakeContext:
    """The parts of LambdaContext the handlers and Powertools use."""

    function_name: str = "winback-local"
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:winback-local"
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    remaining_ms: int = 900_000

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_ms


def http_event(
    method: str,
    path: str,
    body: str | None = None,
    headers: dict[str, str] | None = None,
    query: dict[str, str] | None = None,
) -> dict[str, Any]:
    """An API Gateway HTTP API (payload format 2.0) event."""
    now = datetime.now(UTC)
    return {
        "version": "2.0",
        "routeKey": f"{method} {path}",
        "rawPath": path,
        "rawQueryString": urlencode(query or {}),
        "headers": {k.lower(): v for k, v in (headers or {}).items()} | {"host": "api.example.com"},
        "queryStringParameters": dict(query) if query else None,
        "requestContext": {
            "accountId": ACCOUNT,
            "apiId": "local",
            "domainName": "api.example.com",
            "http": {
                "method": method,
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": "127.0.0.1",
                "userAgent": "winback-local",
            },
            "requestId": str(uuid.uuid4()),
            "routeKey": f"{method} {path}",
            "stage": "$default",
            "time": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "timeEpoch": int(now.timestamp() * 1000),
        },
        "body": body,
        "isBase64Encoded": False,
    }


def iam_identity() -> dict[str, Any]:
    """What API Gateway puts in requestContext.authorizer.iam for a SigV4-signed caller."""
    return {
        "accessKey": "AKIAIOSFODNN7EXAMPLE",
        "accountId": ACCOUNT,
        "callerId": "AIDAEXAMPLE",
        "principalOrgId": None,
        "userArn": f"arn:aws:iam::{ACCOUNT}:user/operator",
        "userId": "AIDAEXAMPLE",
    }


def schedule_event(at: datetime) -> dict[str, Any]:
    """The event an EventBridge schedule rule delivers."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": ACCOUNT,
        "time": at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": REGION,
        "resources": [f"arn:aws:events:{REGION}:{ACCOUNT}:rule/winback-scan"],
        "detail": {},
    }


def sqs_record(body: str, queue_arn: str, message_id: str | None = None, receive_count: int = 1) -> dict[str, Any]:
    return {
        "messageId": message_id or str(uuid.uuid4()),
        "receiptHandle": base64.b64encode(uuid.uuid4().bytes).decode(),
        "body": body,
        "attributes": {
            "ApproximateReceiveCount": str(receive_count),
            "SentTimestamp": str(int(datetime.now(UTC).timestamp() * 1000)),
            "SenderId": "AIDAEXAMPLE",
            "ApproximateFirstReceiveTimestamp": str(int(datetime.now(UTC).timestamp() * 1000)),
        },
        "messageAttributes": {},
        "md5OfBody": hashlib.md5(body.encode(), usedforsecurity=False).hexdigest(),
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": REGION,
    }


def sqs_event(records: list[dict[str, Any]]) -> dict[str, Any]:
    return {"Records": records}


def sns_event(messages: list[str], topic_arn: str) -> dict[str, Any]:
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    return {
        "Records": [
            {
                "EventSource": "aws:sns",
                "EventVersion": "1.0",
                "EventSubscriptionArn": f"{topic_arn}:{uuid.uuid4()}",
                "Sns": {
                    "Type": "Notification",
                    "MessageId": str(uuid.uuid4()),
                    "TopicArn": topic_arn,
                    "Subject": None,
                    "Message": message,
                    "Timestamp": now,
                    "SignatureVersion": "1",
                    "Signature": "EXAMPLE",
                    "SigningCertUrl": "https://sns.us-east-1.amazonaws.com/cert.pem",
                    "UnsubscribeUrl": "https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe",
                    "MessageAttributes": {},
                },
            }
            for message in messages
        ]
    }


def logs_event(data: Mapping[str, Any]) -> dict[str, Any]:
    """A CloudWatch Logs subscription's payload as Lambda receives it: gzipped, base64, in `awslogs.data`."""
    return {"awslogs": {"data": base64.b64encode(gzip.compress(json.dumps(data).encode())).decode()}}


# What CloudWatch Logs sends to check that a subscription's destination is reachable: the payload's
# `messageType` is CONTROL_MESSAGE ("Using CloudWatch Logs subscription filters": data messages use
# DATA_MESSAGE, control messages are mainly for checking that the destination is reachable), with the
# owner, empty group and stream, and one log event whose message is plain text, not a record.
LOGS_CONTROL_MESSAGE: dict[str, Any] = {
    "messageType": "CONTROL_MESSAGE",
    "owner": "CloudwatchLogs",
    "logGroup": "",
    "logStream": "",
    "subscriptionFilters": [],
    "logEvents": [
        {"id": "", "timestamp": 1600110003794, "message": "CWL CONTROL MESSAGE: Checking health of destination Lambda."}
    ],
}


def _sent_mail(message_id: str, address: str) -> dict[str, Any]:
    """The `mail` object of an SES notification: the message it is about."""
    return {
        "timestamp": datetime.now(UTC).isoformat(),
        "source": "noreply@example.com",
        "messageId": message_id,
        "destination": [address],
    }


def _tagged(note: dict[str, Any], tags: dict[str, str] | None) -> str:
    """As a configuration set's event destination publishes it: `eventType` and the message's tags."""
    if tags is not None:
        note["eventType"] = note.pop("notificationType")
        note["mail"]["tags"] = {k: [v] for k, v in tags.items()}
    return json.dumps(note)


def ses_delivery(address: str, message_id: str, tags: dict[str, str]) -> str:
    note = {
        "notificationType": "Delivery",
        "delivery": {"timestamp": datetime.now(UTC).isoformat(), "recipients": [address], "smtpResponse": "250 ok"},
        "mail": {"timestamp": datetime.now(UTC).isoformat(), "messageId": message_id, "destination": [address]},
    }
    return _tagged(note, tags)


def ses_open(address: str, message_id: str, tags: dict[str, str], user_agent: str, ip: str) -> str:
    """An `Open` record as a configuration set's event destination publishes it to SNS."""
    at = datetime.now(UTC).isoformat()
    note = {
        "notificationType": "Open",
        "mail": {"timestamp": at, "messageId": message_id, "destination": [address]},
        "open": {"ipAddress": ip, "timestamp": at, "userAgent": user_agent},
    }
    return _tagged(note, tags)


def ses_click(address: str, message_id: str, tags: dict[str, str], link: str, user_agent: str) -> str:
    """A `Click` record (SES's own click tracking followed `link`)."""
    at = datetime.now(UTC).isoformat()
    note = {
        "notificationType": "Click",
        "mail": {"timestamp": at, "messageId": message_id, "destination": [address]},
        "click": {"ipAddress": "198.51.100.7", "link": link, "linkTags": {}, "timestamp": at, "userAgent": user_agent},
    }
    return _tagged(note, tags)


def ses_bounce(
    address: str, bounce_type: str = "Permanent", message_id: str | None = None, tags: dict[str, str] | None = None
) -> str:
    """An SES bounce notification (the JSON SES publishes to SNS); with `tags`, as event publishing."""
    mid = message_id or uuid.uuid4().hex
    return _tagged(
        {
            "notificationType": "Bounce",
            "bounce": {
                "bounceType": bounce_type,
                "bounceSubType": "General" if bounce_type == "Permanent" else "MailboxFull",
                "bouncedRecipients": [
                    {
                        "emailAddress": address,
                        "action": "failed",
                        "status": "5.1.1",
                        "diagnosticCode": "smtp; 550 5.1.1 user unknown",
                    }
                ],
                "timestamp": datetime.now(UTC).isoformat(),
                "feedbackId": f"{mid}-feedback",
                "reportingMTA": "dsn; a8-70.smtp-out.amazonses.com",
            },
            "mail": _sent_mail(mid, address),
        },
        tags,
    )


def ses_complaint(address: str, message_id: str | None = None, tags: dict[str, str] | None = None) -> str:
    mid = message_id or uuid.uuid4().hex
    return _tagged(
        {
            "notificationType": "Complaint",
            "complaint": {
                "complainedRecipients": [{"emailAddress": address}],
                "timestamp": datetime.now(UTC).isoformat(),
                "feedbackId": f"{mid}-complaint",
                "complaintFeedbackType": "abuse",
            },
            "mail": _sent_mail(mid, address),
        },
        tags,
    )


def sms_reply(phone: str, body: str) -> str:
    """An inbound SMS as AWS End User Messaging publishes it to SNS."""
    return json.dumps(
        {
            "originationNumber": phone,
            "destinationNumber": "+18445550100",
            "messageKeyword": "KEYWORD_" + ACCOUNT,
            "messageBody": body,
            "inboundMessageId": str(uuid.uuid4()),
            "previousPublishedMessageId": uuid.uuid4().hex,
        }
    )
