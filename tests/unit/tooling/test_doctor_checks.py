"""Each doctor check against AWS's own answers, played by botocore's Stubber (which validates every
response against the service model, as the real client parses it).

Where the AWS documentation has an example it is used verbatim: Lambda GetAccountSettings (the
example botocore ships from the API reference), SNS GetSMSSandboxAccountStatus (the API reference's
sample response, `<IsInSandbox>true</IsInSandbox>`). Elsewhere the answers follow the response syntax
of the API reference with the values the documentation states: a sandboxed SES account sends 200 a
day at 1 per second; an identity is usable when VerifiedForSendingStatus is true and signs when its
DkimAttributes Status is SUCCESS; an email subscription waits as `PendingConfirmation`.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import botocore
import pytest
from botocore.stub import Stubber

from winback_dev.doctor import account, alarms, email, push, secrets, sms
from winback_dev.doctor.program import program_checks
from winback_dev.doctor.report import Check, passed

REGION = "us-east-1"
FEEDBACK = "arn:aws:sns:us-east-1:123456789012:winback-FeedbackTopic-1A2B3C"
ALARMS = "arn:aws:sns:us-east-1:123456789012:winback-AlarmTopic-4D5E6F"


def _client(service: str) -> Any:
    session = boto3.session.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION)
    return session.client(service)  # type: ignore[call-overload]


@pytest.fixture
def stubbed() -> Iterator[Any]:
    stubs: list[Stubber] = []

    def make(service: str) -> tuple[Any, Stubber]:
        client = _client(service)
        stub = Stubber(client)
        stub.activate()
        stubs.append(stub)
        return client, stub

    yield make
    for stub in stubs:
        stub.assert_no_pending_responses()
        stub.deactivate()


def _status(checks: list[Check]) -> dict[str, str]:
    return {c.id: c.status for c in checks}


def _documented_example(service: str, operation: str) -> dict[str, Any]:
    """The first example AWS documents for the operation (botocore ships them as examples-1.json)."""
    data = Path(botocore.__file__).parent / "data" / service
    [examples] = data.glob("*/examples-1.json")
    return dict(json.loads(examples.read_text(encoding="utf-8"))["examples"][operation][0]["output"])


# --- Lambda -------------------------------------------------------------------------------------


def test_the_documented_account_passes_and_a_new_accounts_quota_fails(stubbed: Any) -> None:
    client, stub = stubbed("lambda")
    stub.add_response("get_account_settings", _documented_example("lambda", "GetAccountSettings"))
    assert _status(account.concurrency(client, 2)) == {"lambda.concurrency": "ok"}
    small = {"AccountLimit": {"ConcurrentExecutions": 10, "UnreservedConcurrentExecutions": 10}}
    stub.add_response("get_account_settings", small)
    [check] = account.concurrency(client, 2)
    assert check.status == "warn" and "10" in check.what and "Service Quotas" in check.fix
    crowded = {"AccountLimit": {"ConcurrentExecutions": 50, "UnreservedConcurrentExecutions": 5}}
    stub.add_response("get_account_settings", crowded)
    assert account.concurrency(client, 2)[0].status == "fail"  # 5 < send 2 + 4 others


# --- SES ----------------------------------------------------------------------------------------

SANDBOX_ACCOUNT = {
    "DedicatedIpAutoWarmupEnabled": False,
    "EnforcementStatus": "HEALTHY",
    "ProductionAccessEnabled": False,
    "SendQuota": {"Max24HourSend": 200.0, "MaxSendRate": 1.0, "SentLast24Hours": 0.0},
    "SendingEnabled": True,
    "Details": {"MailType": "MARKETING", "ReviewDetails": {"Status": "PENDING", "CaseId": "1234567890"}},
}
PRODUCTION_ACCOUNT = {
    **SANDBOX_ACCOUNT,
    "ProductionAccessEnabled": True,
    "SendQuota": {"Max24HourSend": 50000.0, "MaxSendRate": 14.0, "SentLast24Hours": 0.0},
    "Details": {"MailType": "MARKETING", "ReviewDetails": {"Status": "GRANTED", "CaseId": "1234567890"}},
}


def test_a_sandboxed_ses_account_fails_and_says_how_to_leave(stubbed: Any) -> None:
    client, stub = stubbed("sesv2")
    stub.add_response("get_account", SANDBOX_ACCOUNT)
    checks = email.account(client, REGION)
    assert _status(checks) == {"email.production_access": "fail", "email.sending": "ok"}
    assert "sandbox" in checks[0].what and "PENDING" in checks[0].what and "200 a day" in checks[0].what
    assert "production access" in checks[0].fix
    stub.add_response("get_account", PRODUCTION_ACCOUNT)
    assert _status(email.account(client, REGION)) == {"email.production_access": "ok", "email.sending": "ok"}
    stub.add_response("get_account", {**PRODUCTION_ACCOUNT, "SendingEnabled": False})
    assert _status(email.account(client, REGION))["email.sending"] == "fail"
    stub.add_response("get_account", {**PRODUCTION_ACCOUNT, "EnforcementStatus": "PROBATION"})
    assert _status(email.account(client, REGION))["email.sending"] == "warn"


def _identity(kind: str, verified: bool, dkim: str, **extra: Any) -> dict[str, Any]:
    return {
        "IdentityType": kind,
        "FeedbackForwardingStatus": True,
        "VerifiedForSendingStatus": verified,
        "VerificationStatus": "SUCCESS" if verified else "PENDING",
        "DkimAttributes": {
            "SigningEnabled": dkim == "SUCCESS",
            "Status": dkim,
            "Tokens": ["token1", "token2", "token3"],
            "SigningAttributesOrigin": "AWS_SES",
        },
        "Policies": {},
        "Tags": [],
        **extra,
    }


def _not_found(stub: Stubber, name: str) -> None:
    stub.add_client_error(
        "get_email_identity",
        service_error_code="NotFoundException",
        service_message=f"Email identity {name} does not exist.",
        http_status_code=404,
        expected_params={"EmailIdentity": name},
    )


def test_an_unknown_sender_fails_naming_the_domain_to_verify(stubbed: Any) -> None:
    client, stub = stubbed("sesv2")
    _not_found(stub, "noreply@example.com")
    _not_found(stub, "example.com")
    [check] = email.sender(client, "noreply@example.com", REGION)
    assert check.status == "fail" and "example.com" in check.what and "DKIM" in check.fix


def test_a_pending_domain_fails_until_verified_with_dkim(stubbed: Any) -> None:
    client, stub = stubbed("sesv2")
    _not_found(stub, "winback@shop.test")
    stub.add_response("get_email_identity", _identity("DOMAIN", False, "PENDING"), {"EmailIdentity": "shop.test"})
    assert _status(email.sender(client, "Shop <winback@shop.test>", REGION)) == {
        "email.sender": "fail",
        "email.dkim": "fail",
        "email.mail_from": "warn",  # no custom MAIL FROM: DMARC rests on DKIM alone
    }
    _not_found(stub, "winback@shop.test")
    mail_from = {
        "MailFromDomain": "mail.shop.test",
        "MailFromDomainStatus": "SUCCESS",
        "BehaviorOnMxFailure": "USE_DEFAULT_VALUE",
    }
    stub.add_response(
        "get_email_identity",
        _identity("DOMAIN", True, "SUCCESS", MailFromAttributes=mail_from),
        {"EmailIdentity": "shop.test"},
    )
    checks = email.sender(client, "winback@shop.test", REGION)
    assert _status(checks) == {"email.sender": "ok", "email.dkim": "ok", "email.mail_from": "ok"}


def test_a_verified_address_without_dkim_on_its_domain_fails_dkim(stubbed: Any) -> None:
    client, stub = stubbed("sesv2")
    stub.add_response("get_email_identity", _identity("EMAIL_ADDRESS", True, "NOT_STARTED"))
    _not_found(stub, "shop.test")
    assert _status(email.sender(client, "winback@shop.test", REGION))["email.dkim"] == "fail"


def test_a_mail_from_that_rejects_on_failure_fails(stubbed: Any) -> None:
    client, stub = stubbed("sesv2")
    mail_from = {
        "MailFromDomain": "mail.shop.test",
        "MailFromDomainStatus": "FAILED",
        "BehaviorOnMxFailure": "REJECT_MESSAGE",
    }
    _not_found(stub, "winback@shop.test")
    stub.add_response("get_email_identity", _identity("DOMAIN", True, "SUCCESS", MailFromAttributes=mail_from))
    assert _status(email.sender(client, "winback@shop.test", REGION))["email.mail_from"] == "fail"


def _destination(types: list[str], topic: str = FEEDBACK, enabled: bool = True) -> dict[str, Any]:
    return {
        "Name": "winback-feedback",
        "Enabled": enabled,
        "MatchingEventTypes": types,
        "SnsDestination": {"TopicArn": topic},
    }


@pytest.mark.parametrize(
    ("destinations", "expected"),
    [
        ([_destination(["BOUNCE", "COMPLAINT", "DELIVERY", "OPEN", "CLICK"])], "ok"),
        ([_destination(["BOUNCE", "COMPLAINT"])], "warn"),
        ([_destination(["DELIVERY", "OPEN", "CLICK"])], "fail"),
        ([_destination(["BOUNCE", "COMPLAINT"], enabled=False)], "fail"),
        ([_destination(["BOUNCE", "COMPLAINT"], topic="arn:aws:sns:us-east-1:123456789012:other")], "fail"),
        ([], "fail"),
    ],
)
def test_the_event_destination_must_bring_bounces_and_complaints_back(
    stubbed: Any, destinations: list[dict[str, Any]], expected: str
) -> None:
    client, stub = stubbed("sesv2")
    stub.add_response(
        "get_configuration_set", {"ConfigurationSetName": "winback", "SendingOptions": {"SendingEnabled": True}}
    )
    stub.add_response("get_configuration_set_event_destinations", {"EventDestinations": destinations})
    checks = email.configuration_set(client, "winback", FEEDBACK)
    assert _status(checks) == {"email.configuration_set": "ok", "email.event_destination": expected}


def test_a_missing_or_paused_configuration_set_fails(stubbed: Any) -> None:
    client, stub = stubbed("sesv2")
    assert email.configuration_set(client, "", FEEDBACK)[0].status == "fail"
    stub.add_client_error(
        "get_configuration_set", "NotFoundException", "Configuration set <winback> does not exist.", 404
    )
    assert email.configuration_set(client, "winback", FEEDBACK)[0].status == "fail"
    stub.add_response(
        "get_configuration_set", {"ConfigurationSetName": "winback", "SendingOptions": {"SendingEnabled": False}}
    )
    assert email.configuration_set(client, "winback", FEEDBACK)[0].status == "fail"


# --- SMS ----------------------------------------------------------------------------------------


def test_the_sms_sandbox_fails(stubbed: Any) -> None:
    client, stub = stubbed("sns")
    stub.add_response("get_sms_sandbox_account_status", {"IsInSandbox": True})  # the documented sample
    assert sms.sandbox(client, REGION)[0].status == "fail"
    stub.add_response("get_sms_sandbox_account_status", {"IsInSandbox": False})
    assert sms.sandbox(client, REGION)[0].status == "ok"


def test_the_default_spend_limit_and_no_delivery_status_warn(stubbed: Any) -> None:
    client, stub = stubbed("sns")
    stub.add_response("get_sms_attributes", {"attributes": {}})  # a new account: nothing set
    assert _status(sms.spend_and_status(client)) == {"sms.spend_limit": "warn", "sms.delivery_status": "warn"}
    role = "arn:aws:iam::123456789012:role/winback-SmsDeliveryStatusRole-7G8H9I"
    stub.add_response("get_sms_attributes", {"attributes": {"MonthlySpendLimit": "200", "DeliveryStatusIAMRole": role}})
    assert _status(sms.spend_and_status(client)) == {"sms.spend_limit": "ok", "sms.delivery_status": "ok"}


def _number(**extra: Any) -> dict[str, Any]:
    return {
        "PhoneNumberArn": "arn:aws:sms-voice:us-east-1:123456789012:phone-number/phone-1234567890abcdef",
        "PhoneNumberId": "phone-1234567890abcdef",
        "PhoneNumber": "+18445550123",
        "Status": "ACTIVE",
        "IsoCountryCode": "US",
        "MessageType": "PROMOTIONAL",
        "NumberCapabilities": ["SMS"],
        "NumberType": "TOLL_FREE",
        "MonthlyLeasingPrice": "2.00",
        "TwoWayEnabled": False,
        "SelfManagedOptOutsEnabled": False,
        "OptOutListName": "Default",
        "DeletionProtectionEnabled": False,
        "CreatedTimestamp": datetime(2026, 11, 1, tzinfo=UTC),
        **extra,
    }


def test_no_origination_identity_fails_and_replies_elsewhere_warn(stubbed: Any) -> None:
    client, stub = stubbed("pinpoint-sms-voice-v2")
    stub.add_response("describe_phone_numbers", {"PhoneNumbers": []})
    stub.add_response("describe_sender_ids", {"SenderIds": []})
    assert sms.origination(client, FEEDBACK)[0].status == "fail"
    stub.add_response("describe_phone_numbers", {"PhoneNumbers": [_number()]})
    stub.add_response("describe_sender_ids", {"SenderIds": []})
    assert sms.origination(client, FEEDBACK)[0].status == "warn"  # STOP replies never reach winback
    stub.add_response(
        "describe_phone_numbers", {"PhoneNumbers": [_number(TwoWayEnabled=True, TwoWayChannelArn=FEEDBACK)]}
    )
    stub.add_response("describe_sender_ids", {"SenderIds": []})
    assert sms.origination(client, FEEDBACK)[0].status == "ok"


# --- Push ---------------------------------------------------------------------------------------


def _app(name: str, enabled: bool, **attributes: str) -> dict[str, Any]:
    arn = f"arn:aws:sns:us-east-1:123456789012:app/APNS/{name}"
    return {"PlatformApplicationArn": arn, "Attributes": {"Enabled": "true" if enabled else "false", **attributes}}


def test_push_needs_an_enabled_platform_application(stubbed: Any) -> None:
    client, stub = stubbed("sns")
    now = datetime(2026, 12, 7, tzinfo=UTC)
    stub.add_response("list_platform_applications", {"PlatformApplications": []})
    assert push.platform_applications(client, REGION, now)[0].status == "fail"
    stub.add_response("list_platform_applications", {"PlatformApplications": [_app("shop-ios", False)]})
    assert push.platform_applications(client, REGION, now)[0].status == "fail"
    soon = _app("shop-ios", True, AppleCertificateExpiryDate="2026-12-20T00:00:00Z")
    stub.add_response("list_platform_applications", {"PlatformApplications": [soon]})
    assert _status(push.platform_applications(client, REGION, now)) == {
        "push.platform_applications": "ok",
        "push.credentials": "warn",
    }


# --- Alarms, secrets, the program ------------------------------------------------------------


def _subscription(arn: str) -> dict[str, str]:
    return {
        "SubscriptionArn": arn,
        "Owner": "123456789012",
        "Protocol": "email",
        "Endpoint": "ops@shop.test",
        "TopicArn": ALARMS,
    }


def test_an_unconfirmed_alarm_subscription_fails(stubbed: Any) -> None:
    client, stub = stubbed("sns")
    stub.add_response("list_subscriptions_by_topic", {"Subscriptions": []})
    assert alarms.subscription(client, ALARMS)[0].status == "fail"
    stub.add_response("list_subscriptions_by_topic", {"Subscriptions": [_subscription("PendingConfirmation")]})
    [check] = alarms.subscription(client, ALARMS)
    assert check.status == "fail" and "confirmation" in check.what
    stub.add_response("list_subscriptions_by_topic", {"Subscriptions": [_subscription(f"{ALARMS}:0f1e2d3c")]})
    assert alarms.subscription(client, ALARMS)[0].status == "ok"


GOOD_WEBHOOK_KEY = base64.b64encode(bytes(range(32))).decode()


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ({"webhook": GOOD_WEBHOOK_KEY, "unsubscribe": "u" * 44, "segment": "s" * 44}, ["ok", "ok", "ok"]),
        ({"webhook": f"whsec_{GOOD_WEBHOOK_KEY}", "unsubscribe": "u" * 44, "segment": "s" * 44}, ["ok", "ok", "ok"]),
        (
            {
                "webhook": json.dumps({"current": GOOD_WEBHOOK_KEY, "previous": ["not base64!"]}),
                "unsubscribe": "u" * 44,
                "segment": "too-short",
            },
            ["fail", "ok", "warn"],
        ),
        ({"webhook": "c2hvcnQ=", "unsubscribe": "short", "segment": "s" * 44}, ["fail", "fail", "ok"]),
    ],
)
def test_secrets_hold_values_of_the_right_shape(stubbed: Any, values: dict[str, str], expected: list[str]) -> None:
    client, stub = stubbed("secretsmanager")
    for name in ("webhook", "unsubscribe", "segment"):
        arn = f"arn:aws:secretsmanager:us-east-1:123456789012:secret:winback-{name}-AbCdEf"
        stub.add_response("get_secret_value", {"ARN": arn, "Name": f"winback-{name}", "SecretString": values[name]})
    checks = secrets.secrets(client, {name: f"winback-{name}" for name in ("webhook", "unsubscribe", "segment")})
    assert [c.status for c in checks] == expected
    assert not any(values["webhook"] in c.what for c in checks)  # a value is never printed


def test_the_shipped_placeholder_program_fails_and_a_broken_one_checks_every_channel() -> None:
    from winback.config.loader import load_program

    checks, channels = program_checks(load_program)
    assert _status(checks) == {"program.valid": "ok", "program.brand": "fail"}
    assert channels == {"email", "sms", "push"}

    def broken() -> Any:
        raise ValueError("campaigns.0.steps: at least one step")

    checks, channels = program_checks(broken)
    assert [c.status for c in checks] == ["fail"] and "campaigns.0.steps" in checks[0].what
    assert channels == {"email", "sms", "push"} and not passed(checks)


# --- Which stack, and reads the caller may not make -------------------------------------------


def test_point_at_stack_names_what_the_functions_and_the_doctor_read(stubbed: Any) -> None:
    from winback_dev.doctor.target import Target, point_at_stack

    client, stub = stubbed("cloudformation")
    summaries = [
        ("MessagingTable", "winback-MessagingTable-1ABC", "AWS::DynamoDB::Table"),
        ("EmailConfigurationSet", "winback-EmailConfigurationSet-2DEF", "AWS::SES::ConfigurationSet"),
        ("AlarmTopic", ALARMS, "AWS::SNS::Topic"),
        ("FeedbackTopic", FEEDBACK, "AWS::SNS::Topic"),
        (
            "WebhookSecret",
            "arn:aws:secretsmanager:us-east-1:123456789012:secret:WebhookSecret-AbC",
            "AWS::SecretsManager::Secret",
        ),
    ]
    stub.add_response(
        "list_stack_resources",
        {
            "StackResourceSummaries": [
                {
                    "LogicalResourceId": logical,
                    "PhysicalResourceId": physical,
                    "ResourceType": kind,
                    "LastUpdatedTimestamp": datetime(2026, 12, 7, tzinfo=UTC),
                    "ResourceStatus": "CREATE_COMPLETE",
                }
                for logical, physical, kind in summaries
            ]
        },
        {"StackName": "winback"},
    )
    parameters = [
        {"ParameterKey": "SenderEmail", "ParameterValue": "winback@shop.test"},
        {"ParameterKey": "SendMaxConcurrency", "ParameterValue": "3"},
        {"ParameterKey": "LogRetentionDays", "ParameterValue": "30"},
    ]
    stack = {
        "StackName": "winback",
        "CreationTime": datetime(2026, 12, 7, tzinfo=UTC),
        "StackStatus": "CREATE_COMPLETE",
        "Parameters": parameters,
    }
    stub.add_response("describe_stacks", {"Stacks": [stack]}, {"StackName": "winback"})
    env: dict[str, str] = {"AWS_REGION": "eu-west-1"}
    point_at_stack(client, "winback", env)
    target = Target.from_environment(env)
    assert env["MESSAGING_TABLE"] == target.messaging_table == "winback-MessagingTable-1ABC"
    assert target.configuration_set == "winback-EmailConfigurationSet-2DEF"
    assert (target.alarm_topic_arn, target.feedback_topic_arn) == (ALARMS, FEEDBACK)
    assert target.sender == "winback@shop.test" and target.send_max_concurrency == 3 and target.region == "eu-west-1"
    assert target.secrets["webhook"].endswith("WebhookSecret-AbC") and target.secrets["segment"] == ""


def test_a_read_the_caller_may_not_make_is_a_failed_check_naming_the_permission(stubbed: Any) -> None:
    from winback_dev.doctor.run import _guarded

    client, stub = stubbed("sns")
    stub.add_client_error("get_sms_sandbox_account_status", "AuthorizationError", "not authorized", 403)
    [check] = _guarded("sms.sandbox", "sns:GetSMSSandboxAccountStatus", lambda: sms.sandbox(client, REGION))
    assert check.status == "fail" and "AuthorizationError" in check.what
    assert "sns:GetSMSSandboxAccountStatus" in check.fix
