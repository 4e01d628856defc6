"""The doctor's round: every check against one stack and its account, each read guarded so that a
call the caller may not make (or an endpoint that lacks it) is itself a finding, never a crash."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from winback_dev.doctor import account, alarms, email, push, secrets, sending, sms
from winback_dev.doctor.program import program_checks
from winback_dev.doctor.report import Check, fail

if TYPE_CHECKING:
    from mypy_boto3_lambda import LambdaClient
    from mypy_boto3_pinpoint_sms_voice_v2 import PinpointSMSVoiceV2Client
    from mypy_boto3_secretsmanager import SecretsManagerClient
    from mypy_boto3_sesv2 import SESV2Client
    from mypy_boto3_sns import SNSClient

    from winback.adapters.sending_switch import SendingSwitch
    from winback.config.program import Program
    from winback_dev.doctor.target import Target


@dataclass(frozen=True)
class Clients:
    """The AWS clients the doctor reads with (each honours AWS_ENDPOINT_URL_<SERVICE>)."""

    lambda_: LambdaClient
    sesv2: SESV2Client
    sns: SNSClient
    sms: PinpointSMSVoiceV2Client
    secrets: SecretsManagerClient

    @classmethod
    def for_region(cls, region: str) -> Clients:
        return cls(
            lambda_=boto3.client("lambda", region_name=region),
            sesv2=boto3.client("sesv2", region_name=region),
            sns=boto3.client("sns", region_name=region),
            sms=boto3.client("pinpoint-sms-voice-v2", region_name=region),
            secrets=boto3.client("secretsmanager", region_name=region),
        )


# (check id, the action it needs, the read) for each provider channel the program uses.
Read = tuple[str, str, Callable[[], list[Check]]]


def run_doctor(
    target: Target, clients: Clients, load: Callable[[], Program], switch: SendingSwitch, now: datetime
) -> list[Check]:
    checks, channels = program_checks(load)
    reads: list[Read] = [
        (
            "lambda.concurrency",
            "lambda:GetAccountSettings",
            lambda: account.concurrency(clients.lambda_, target.send_max_concurrency),
        ),
        *(read for channel in sorted(channels) for read in _channel_reads(channel, target, clients, now)),
        (
            "alarms.subscription",
            "sns:ListSubscriptionsByTopic",
            lambda: alarms.subscription(clients.sns, target.alarm_topic_arn),
        ),
        ("secrets", "secretsmanager:GetSecretValue", lambda: secrets.secrets(clients.secrets, target.secrets)),
        ("sending.switch", "dynamodb:GetItem on MessagingTable", lambda: sending.switch(switch)),
    ]
    for check_id, action, read in reads:
        checks += _guarded(check_id, action, read)
    return checks


def _channel_reads(channel: str, target: Target, clients: Clients, now: datetime) -> list[Read]:
    region = target.region
    if channel == "email":
        return [
            ("email.account", "ses:GetAccount", lambda: email.account(clients.sesv2, region)),
            ("email.sender", "ses:GetEmailIdentity", lambda: email.sender(clients.sesv2, target.sender, region)),
            (
                "email.configuration_set",
                "ses:GetConfigurationSet and ses:GetConfigurationSetEventDestinations",
                lambda: email.configuration_set(clients.sesv2, target.configuration_set, target.feedback_topic_arn),
            ),
        ]
    if channel == "sms":
        return [
            ("sms.sandbox", "sns:GetSMSSandboxAccountStatus", lambda: sms.sandbox(clients.sns, region)),
            ("sms.spend_limit", "sns:GetSMSAttributes", lambda: sms.spend_and_status(clients.sns)),
            (
                "sms.origination",
                "sms-voice:DescribePhoneNumbers and sms-voice:DescribeSenderIds",
                lambda: sms.origination(clients.sms, target.feedback_topic_arn),
            ),
        ]
    return [
        (
            "push.platform_applications",
            "sns:ListPlatformApplications",
            lambda: push.platform_applications(clients.sns, region, now),
        )
    ]


def _guarded(check_id: str, action: str, read: Callable[[], list[Check]]) -> list[Check]:
    try:
        return read()
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "error")
        return [fail(check_id, f"could not read ({code})", f"allow {action} to the caller, in the stack's region")]
    except BotoCoreError as error:
        return [fail(check_id, f"could not read ({type(error).__name__})", f"check the network and {action}")]
