"""Email through SES v2: production access and sending, the sender identity (verified, DKIM, MAIL
FROM), and the configuration set whose event destination brings bounces and complaints back."""

from __future__ import annotations

from email.utils import parseaddr
from typing import TYPE_CHECKING, Any

from winback_dev.doctor.report import Check, fail, ok, warn

if TYPE_CHECKING:
    from mypy_boto3_sesv2 import SESV2Client

# What feedback needs from SES: bounces and complaints suppress and pause; deliveries, opens and
# clicks feed the report and the engagement branches.
NEEDED_EVENTS = frozenset({"BOUNCE", "COMPLAINT"})
WANTED_EVENTS = frozenset({"DELIVERY", "OPEN", "CLICK"})


def account(client: SESV2Client, region: str) -> list[Check]:
    reply = client.get_account()
    return [_production_access(reply, region), _sending(reply)]


def _production_access(reply: Any, region: str) -> Check:
    quota = reply.get("SendQuota", {})
    limits = f"{int(quota.get('Max24HourSend', 0)):,} a day at {quota.get('MaxSendRate', 0):g}/s"
    if reply.get("ProductionAccessEnabled"):
        return ok("email.production_access", f"production access in {region}; {limits}")
    review = reply.get("Details", {}).get("ReviewDetails", {}).get("Status")
    asked = f" (production access requested: review {review})" if review else ""
    return fail(
        "email.production_access",
        f"SES is in the sandbox in {region}{asked}: it sends only to verified addresses, {limits}; "
        "every customer's message would be refused",
        "request production access (SES console > Account dashboard, or aws sesv2 put-account-details "
        "--production-access-enabled ...) and wait for the review",
    )


def _sending(reply: Any) -> Check:
    enforcement = reply.get("EnforcementStatus", "HEALTHY")
    if not reply.get("SendingEnabled", False) or enforcement == "SHUTDOWN":
        return fail(
            "email.sending",
            f"sending is off for the account (SendingEnabled {reply.get('SendingEnabled')}, {enforcement})",
            "aws sesv2 put-account-sending-attributes --sending-enabled; if AWS paused it, answer their review",
        )
    if enforcement != "HEALTHY":
        return warn(
            "email.sending",
            f"the account is under review ({enforcement}): bounces or complaints are too high",
            "send only to engaged, recently confirmed addresses until the status is HEALTHY again",
        )
    return ok("email.sending", "sending enabled, reputation HEALTHY")


def sender(client: SESV2Client, sender_email: str, region: str) -> list[Check]:
    address = parseaddr(sender_email)[1]
    if "@" not in address:
        return [fail("email.sender", f"SenderEmail {sender_email!r} is not an address", "deploy with SenderEmail set")]
    domain = address.rsplit("@", 1)[1]
    identities = [i for name in (address, domain) if (i := _identity(client, name)) is not None]
    if not identities:
        return [
            fail(
                "email.sender",
                f"neither {address} nor {domain} is an SES identity in {region}",
                f"create the domain identity {domain} (the stack's SenderDomain, or aws sesv2 "
                "create-email-identity) and publish its DKIM records in DNS",
            )
        ]
    return [_verified(identities, address, region), _dkim(identities, domain), _mail_from(identities)]


def _identity(client: SESV2Client, name: str) -> dict[str, Any] | None:
    try:
        reply: dict[str, Any] = dict(client.get_email_identity(EmailIdentity=name))
    except client.exceptions.NotFoundException:
        return None
    reply["Name"] = name
    return reply


def _verified(identities: list[dict[str, Any]], address: str, region: str) -> Check:
    verified = [i["Name"] for i in identities if i.get("VerifiedForSendingStatus")]
    if verified:
        return ok("email.sender", f"{address} may send: {verified[0]} is verified in {region}")
    status = ", ".join(f"{i['Name']} {i.get('VerificationStatus', 'NOT_STARTED')}" for i in identities)
    return fail(
        "email.sender",
        f"{address} is not verified for sending ({status}): SES refuses every message from it",
        "publish the identity's DKIM CNAME records (or click the verification link for an address) and wait "
        "for VerificationStatus SUCCESS",
    )


def _dkim(identities: list[dict[str, Any]], domain: str) -> Check:
    signing = [i["Name"] for i in identities if _signs(i)]
    if signing:
        return ok("email.dkim", f"DKIM signing for {signing[0]}")
    return fail(
        "email.dkim",
        f"mail from {domain} is not DKIM-signed by a verified key: Gmail and Yahoo reject or file as spam bulk "
        "mail without DKIM aligned with the From domain",
        f"verify {domain} with Easy DKIM (three CNAME records) and publish SPF and DMARC records",
    )


def _signs(identity: dict[str, Any]) -> bool:
    dkim = identity.get("DkimAttributes", {})
    return bool(dkim.get("SigningEnabled")) and dkim.get("Status") == "SUCCESS"


def _mail_from(identities: list[dict[str, Any]]) -> Check:
    for identity in identities:
        mail_from = identity.get("MailFromAttributes", {})
        if not mail_from.get("MailFromDomain"):
            continue
        if mail_from.get("MailFromDomainStatus") == "SUCCESS":
            return ok("email.mail_from", f"custom MAIL FROM {mail_from['MailFromDomain']} verified")
        seen = f"MAIL FROM {mail_from['MailFromDomain']} is {mail_from.get('MailFromDomainStatus')}"
        fix = "publish its MX and SPF records"
        if mail_from.get("BehaviorOnMxFailure") == "REJECT_MESSAGE":
            return fail("email.mail_from", f"{seen}: SES rejects every message", fix)
        return warn("email.mail_from", f"{seen}: SES falls back to amazonses.com (SPF not aligned)", fix)
    return warn(
        "email.mail_from",
        "no custom MAIL FROM domain: SPF passes for amazonses.com, not your domain (DMARC relies on DKIM alone)",
        "set a MAIL FROM subdomain on the identity and publish its MX and SPF records",
    )


def configuration_set(client: SESV2Client, name: str, feedback_topic_arn: str) -> list[Check]:
    if not name:
        return [
            fail(
                "email.configuration_set",
                "the send function names no configuration set: SES reports no bounce or complaint to winback, "
                "so bounced addresses are mailed again and no campaign pauses itself",
                "deploy the stack (EmailConfigurationSet) so SES_CONFIGURATION_SET is set",
            )
        ]
    try:
        found = client.get_configuration_set(ConfigurationSetName=name)
    except client.exceptions.NotFoundException:
        return [fail("email.configuration_set", f"configuration set {name} does not exist", "deploy the stack again")]
    if not found.get("SendingOptions", {}).get("SendingEnabled", True):
        return [
            fail(
                "email.configuration_set",
                f"sending is disabled on configuration set {name}: SES refuses every message sent through it",
                f"aws sesv2 put-configuration-set-sending-options --configuration-set-name {name} --sending-enabled",
            )
        ]
    destinations = client.get_configuration_set_event_destinations(ConfigurationSetName=name)["EventDestinations"]
    return [ok("email.configuration_set", f"{name}, sending enabled"), _destination(destinations, feedback_topic_arn)]


def _destination(destinations: Any, feedback_topic_arn: str) -> Check:
    to_feedback = [
        d
        for d in destinations
        if d.get("Enabled") and d.get("SnsDestination", {}).get("TopicArn") == feedback_topic_arn
    ]
    events = {e for d in to_feedback for e in d.get("MatchingEventTypes", [])}
    fix = f"an enabled SNS event destination to {feedback_topic_arn} for BOUNCE, COMPLAINT, DELIVERY, OPEN, CLICK"
    if not events >= NEEDED_EVENTS:
        return fail(
            "email.event_destination",
            "bounces and complaints do not reach the feedback topic: bounced addresses are mailed again",
            fix,
        )
    if missing := sorted(WANTED_EVENTS - events):
        return warn("email.event_destination", f"the feedback topic does not get {', '.join(missing)}", fix)
    return ok("email.event_destination", "bounces, complaints, deliveries, opens and clicks reach the feedback topic")
