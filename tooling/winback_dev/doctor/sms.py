"""SMS through SNS: the SMS sandbox, the monthly spend limit, delivery status, and an origination
identity (AWS End User Messaging SMS: a phone number or a sender ID) whose replies reach winback."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from winback_dev.doctor.report import Check, fail, ok, warn

if TYPE_CHECKING:
    from mypy_boto3_pinpoint_sms_voice_v2 import PinpointSMSVoiceV2Client
    from mypy_boto3_sns import SNSClient

# A new account's SMS spend quota, in USD a month: a few hundred texts at most.
DEFAULT_SPEND_LIMIT = 1.0


def sandbox(client: SNSClient, region: str) -> list[Check]:
    if client.get_sms_sandbox_account_status()["IsInSandbox"]:
        return [
            fail(
                "sms.sandbox",
                f"SMS is in the sandbox in {region}: texts go only to up to 10 verified numbers; every customer's "
                "text would be refused",
                "request production access for SMS (SNS console > Text messaging (SMS) > Exit SMS sandbox)",
            )
        ]
    return [ok("sms.sandbox", f"out of the SMS sandbox in {region}")]


def spend_and_status(client: SNSClient) -> list[Check]:
    attributes = client.get_sms_attributes(attributes=["MonthlySpendLimit", "DeliveryStatusIAMRole"])["attributes"]
    limit = float(attributes.get("MonthlySpendLimit") or DEFAULT_SPEND_LIMIT)
    checks = [
        warn(
            "sms.spend_limit",
            f"the account's SMS spend limit is ${limit:g} a month: past it SNS refuses texts (winback then pauses "
            "SMS until you resume it)",
            "request a higher limit (Service Quotas or a support case), then aws sns set-sms-attributes "
            "--attributes MonthlySpendLimit=<USD>",
        )
        if limit <= DEFAULT_SPEND_LIMIT
        else ok("sms.spend_limit", f"SMS spend limit ${limit:g} a month")
    ]
    if attributes.get("DeliveryStatusIAMRole"):
        checks.append(ok("sms.delivery_status", "SNS logs each text's delivery status"))
    else:
        checks.append(
            warn(
                "sms.delivery_status",
                "no SMS delivery-status logging: texts are never counted delivered or undelivered",
                "aws sns set-sms-attributes --attributes DeliveryStatusIAMRole=<the stack's SmsDeliveryStatusRole "
                "ARN>,DeliveryStatusSuccessSamplingRate=100",
            )
        )
    return checks


def origination(client: PinpointSMSVoiceV2Client, feedback_topic_arn: str) -> list[Check]:
    numbers = [
        n
        for page in client.get_paginator("describe_phone_numbers").paginate()
        for n in page["PhoneNumbers"]
        if n.get("Status") == "ACTIVE"
    ]
    sender_ids = [s for page in client.get_paginator("describe_sender_ids").paginate() for s in page["SenderIds"]]
    if not numbers and not sender_ids:
        return [
            fail(
                "sms.origination",
                "no active origination number or sender ID: carriers in the US and Canada refuse texts from "
                "unregistered senders",
                "register a toll-free number or a 10DLC campaign in AWS End User Messaging SMS (or a sender ID "
                "where the destination countries allow one)",
            )
        ]
    seen = f"{len(numbers)} active number(s), {len(sender_ids)} sender ID(s)"
    if numbers and not any(_replies_to(n, feedback_topic_arn) for n in numbers):
        return [
            warn(
                "sms.origination",
                f"{seen}; no number sends replies to the feedback topic: STOP and other keywords are not recorded",
                f"turn on two-way messaging for the number with {feedback_topic_arn} as its destination",
            )
        ]
    return [ok("sms.origination", seen)]


def _replies_to(number: Any, feedback_topic_arn: str) -> bool:
    return bool(number.get("TwoWayEnabled")) and number.get("TwoWayChannelArn") == feedback_topic_arn
