"""Delivery channels: email through SES v2, SMS and mobile push through SNS.

Every channel has one method, `send(message: Outbound) -> str`: it returns the provider's message id
or raises one of the delivery errors (winback.models.delivery says what each means); `_classify`
tells which provider answer is which. The provider clients make one attempt (adapters/clients.py),
so an error describes the only request sent. Only an answer that proves non-acceptance (a throttle,
a refused connection) is Throttled.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError, ConnectTimeoutError, EndpointConnectionError

from winback.adapters import clients
from winback.models.delivery import AccountPaused, AddressGone, Rejected, SendError, Throttled, Uncertain

if TYPE_CHECKING:
    from winback.models.outbound import Outbound

THROTTLE_CODES = frozenset(
    {
        "TooManyRequestsException",
        "LimitExceededException",
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "KMSThrottlingException",
    }
)
# SES v2 SendEmail's account-level errors (and SES v1's names for them), a configuration set that is
# missing or paused, and the SNS answers for a disabled platform application or an unusable KMS key:
# no message of the channel can go out until someone acts, so none is burned as failed.
ACCOUNT_CODES = frozenset(
    {
        "AccountSuspendedException",
        "SendingPausedException",
        "AccountSendingPausedException",
        "MailFromDomainNotVerifiedException",
        "NotFoundException",  # SES v2 SendEmail: the configuration set it names does not exist
        "ConfigurationSetDoesNotExist",
        "ConfigurationSetDoesNotExistException",
        "ConfigurationSetSendingPausedException",
        "PlatformApplicationDisabled",
        "PlatformApplicationDisabledException",
        "KMSDisabled",
        "KMSInvalidState",
        "KMSNotFound",
        "KMSOptInRequired",
        "KMSAccessDenied",
    }
)
# Our own permission: IAM refused the call (a sender written with a display name no longer matches
# the `ses:FromAddress` condition, a role without `sns:Publish`). Any 403 is the caller's, never the
# recipient's.
PERMISSION_CODES = frozenset(
    {"AccessDenied", "AccessDeniedException", "AuthorizationError", "AuthorizationErrorException", "InvalidSecurity"}
)
# SES answers MessageRejected "Email address is not verified. The following identities failed the
# check in region ...: <identities>" for an unverified sender and, in the sandbox, for every
# unverified recipient; the SNS SMS sandbox refuses a destination number that is not verified.
# Either way it is the account's state, not the message's: every later message would get the same.
# (The identities it lists may be a recipient's address: never store or log the message itself.)
UNVERIFIED_MESSAGES = ("not verified", "sandbox")
# SES's own words for a paused account on paths that answer MessageRejected.
PAUSED_MESSAGES = ("account is paused", "sending suspended for this account", "sending paused for this")
# SES answers a spent 24-hour quota with a throttling error (or MessageRejected on older paths)
# whose message says so; it lifts as the window rolls, so the pause it sets expires by itself.
QUOTA_MESSAGES = ("daily message quota exceeded",)
# SNS's SMS monthly spend limit, however the answer words it.
SPEND_MESSAGES = ("spend limit", "no quota left")
UNCERTAIN_CODES = frozenset({"InternalFailure", "InternalError", "ServiceUnavailable", "InternalServerError"})


# Raised before a byte of the request left: the provider certainly never saw it.
_NEVER_CONNECTED = (ConnectTimeoutError, EndpointConnectionError)


# SNS Publish to a platform endpoint: EndpointDisabled once the push service (APNs, FCM) reported its
# token invalid (SNS sets the endpoint's Enabled to false and rejects every publish after); NotFound
# for a deleted endpoint (some regions answer InvalidParameter "No endpoint found for the target arn").
ENDPOINT_GONE_CODES = frozenset({"EndpointDisabled", "EndpointDisabledException", "NotFound", "NotFoundException"})


def endpoint_gone(error: Exception) -> bool:
    if not isinstance(error, ClientError):
        return False
    err = error.response.get("Error", {})
    code, message = err.get("Code", ""), err.get("Message", "").lower()
    if code in ENDPOINT_GONE_CODES:
        return True
    return (
        code == "InvalidParameter"
        and "endpoint" in message
        and ("not found" in message or "no endpoint" in message or "does not exist" in message)
    )


def _classify(error: Exception) -> SendError:
    if isinstance(error, ClientError):
        return _classify_answer(error.response)
    if isinstance(error, _NEVER_CONNECTED):
        return Throttled(type(error).__name__)
    # A read timeout, a dropped connection, anything else mid-request: maybe delivered.
    return Uncertain(type(error).__name__)


def _classify_answer(response: Mapping[str, Any]) -> SendError:
    """The provider's error answer: the account's (a pause), a throttle, maybe accepted, or this
    message refused (only a recipient-level refusal burns the message)."""
    code = str(response.get("Error", {}).get("Code", "Unknown"))
    meta = response.get("ResponseMetadata", {})
    status = int(meta.get("HTTPStatusCode", 400))
    if int(meta.get("RetryAttempts", 0)) > 0:
        # Attempts before this answer may have been accepted (a 500, then a 429): only a chain
        # of one attempt can prove anything, whatever its last answer says.
        return Uncertain(code)
    message = str(response.get("Error", {}).get("Message", "")).lower()
    paused = _account_level(code, message, status)
    if paused is not None:
        return paused
    if code in THROTTLE_CODES or status == 429:
        return Throttled(code)
    if code in UNCERTAIN_CODES or status >= 500:
        return Uncertain(code)
    return Rejected(code)


def _account_level(code: str, message: str, status: int) -> AccountPaused | None:
    """The answer as a channel pause when it is the account's condition, not the message's. The pause
    reason names the condition, never the provider's message (which may hold an address)."""
    if code in ACCOUNT_CODES:
        return AccountPaused(code, lifts=False)
    if any(m in message for m in QUOTA_MESSAGES):
        return AccountPaused(f"{code}: daily quota", lifts=True)
    if any(m in message for m in SPEND_MESSAGES):
        return AccountPaused(f"{code}: spend limit", lifts=False)
    if code in PERMISSION_CODES or status == 403:
        return AccountPaused(f"{code}: permission denied", lifts=False)
    if any(m in message for m in UNVERIFIED_MESSAGES):
        return AccountPaused(f"{code}: identity not verified (the sender, or recipients in a sandbox)", lifts=False)
    if any(m in message for m in PAUSED_MESSAGES):
        return AccountPaused(f"{code}: account paused", lifts=False)
    return None


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
            if endpoint_gone(error):
                raise AddressGone(error.response["Error"]["Code"]) from error  # type: ignore[union-attr]
            raise _classify(error) from error
        return reply["MessageId"]
