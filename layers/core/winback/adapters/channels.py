"""Delivery channels: email through SES v2, SMS and mobile push through SNS.

Every channel has one method, `send(message: Outbound) -> str`: it returns the provider's
message id or raises one of:
  Throttled  - the provider refused for rate or quota: certainly not sent, try again later
  Rejected   - the provider refused this message for good: certainly not sent, do not retry
  Uncertain  - the request may or may not have been delivered (timeout, 5xx): never resend blindly
The provider clients make one attempt (adapters/clients.py), so an error describes the only request
sent. Only an answer that proves non-acceptance (a throttle, a refused connection) is Throttled.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from botocore.exceptions import BotoCoreError, ClientError, ConnectTimeoutError, EndpointConnectionError

from winback.adapters import clients

if TYPE_CHECKING:
    from winback.models.outbound import Outbound

THROTTLE_CODES = frozenset(
    {
        "TooManyRequestsException",
        "LimitExceededException",
        "SendingPausedException",
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "KMSThrottlingException",
    }
)
UNCERTAIN_CODES = frozenset({"InternalFailure", "InternalError", "ServiceUnavailable", "InternalServerError"})


class SendError(Exception):
    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


class Throttled(SendError):
    pass


class Rejected(SendError):
    pass


class Uncertain(SendError):
    pass


# Raised before a byte of the request left: the provider certainly never saw it.
_NEVER_CONNECTED = (ConnectTimeoutError, EndpointConnectionError)


def _classify(error: Exception) -> SendError:
    if isinstance(error, ClientError):
        code = error.response.get("Error", {}).get("Code", "Unknown")
        meta = error.response.get("ResponseMetadata", {})
        status = int(meta.get("HTTPStatusCode", 400))
        if int(meta.get("RetryAttempts", 0)) > 0:
            # Attempts before this answer may have been accepted (a 500, then a 429): only a chain
            # of one attempt can prove anything, whatever its last answer says.
            return Uncertain(code)
        if code in THROTTLE_CODES or status == 429:
            return Throttled(code)
        if code in UNCERTAIN_CODES or status >= 500:
            return Uncertain(code)
        return Rejected(code)
    if isinstance(error, _NEVER_CONNECTED):
        return Throttled(type(error).__name__)
    # A read timeout, a dropped connection, anything else mid-request: maybe delivered.
    return Uncertain(type(error).__name__)


class EmailChannel:
    def __init__(self, sender: str, configuration_set: str = "") -> None:
        self.sender = sender
        self.configuration_set = configuration_set

    def send(self, message: Outbound) -> str:
        content, unsubscribe_url = message.content, message.unsubscribe_url
        headers = [
            {"Name": "List-Unsubscribe", "Value": f"<{unsubscribe_url}>"},
            {"Name": "List-Unsubscribe-Post", "Value": "List-Unsubscribe=One-Click"},
        ]
        kwargs: dict[str, object] = {
            "FromEmailAddress": self.sender,
            "Destination": {"ToAddresses": [message.address]},
            "Content": {
                "Simple": {
                    "Subject": {"Data": content.subject, "Charset": "UTF-8"},
                    "Body": {
                        "Html": {"Data": content.html, "Charset": "UTF-8"},
                        "Text": {"Data": content.text, "Charset": "UTF-8"},
                    },
                    "Headers": headers,
                }
            },
            "EmailTags": [{"Name": k, "Value": v} for k, v in message.tags.items()],
        }
        if self.configuration_set:
            kwargs["ConfigurationSetName"] = self.configuration_set
        try:
            reply = clients.sesv2().send_email(**kwargs)  # type: ignore[arg-type]
        except (ClientError, BotoCoreError) as error:
            raise _classify(error) from error
        return reply["MessageId"]


class SmsChannel:
    def send(self, message: Outbound) -> str:
        try:
            reply = clients.sns().publish(
                PhoneNumber=message.address,
                Message=message.content.text,
                MessageAttributes={
                    "AWS.SNS.SMS.SMSType": {"DataType": "String", "StringValue": "Promotional"},
                },
            )
        except (ClientError, BotoCoreError) as error:
            raise _classify(error) from error
        return reply["MessageId"]


class PushChannel:
    def send(self, message: Outbound) -> str:
        content = message.content
        payload = {
            "default": content.text,
            "GCM": json.dumps({"notification": {"body": content.text}}),
            "APNS": json.dumps({"aps": {"alert": content.text}}),
        }
        try:
            reply = clients.sns().publish(
                TargetArn=message.address, Message=json.dumps(payload), MessageStructure="json"
            )
        except (ClientError, BotoCoreError) as error:
            raise _classify(error) from error
        return reply["MessageId"]
