"""Mobile push through SNS: the platform applications (APNs, FCM) that users' device endpoints
belong to, enabled, their credentials not about to expire."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from winback_dev.doctor.report import Check, fail, ok, warn

if TYPE_CHECKING:
    from mypy_boto3_sns import SNSClient

EXPIRY_WARNING = timedelta(days=30)


def platform_applications(client: SNSClient, region: str, now: datetime) -> list[Check]:
    apps = [
        (a["PlatformApplicationArn"].rsplit("/", 1)[-1], a.get("Attributes", {}))
        for page in client.get_paginator("list_platform_applications").paginate()
        for a in page["PlatformApplications"]
    ]
    enabled = [name for name, attributes in apps if attributes.get("Enabled") == "true"]
    if not enabled:
        seen = f"{len(apps)} platform application(s), none enabled" if apps else "no platform application"
        return [
            fail(
                "push.platform_applications",
                f"{seen} in {region}: no device endpoint can be sent to",
                "create (or re-enable with fresh credentials) the APNs and FCM applications your app registers "
                "devices with (aws sns create-platform-application)",
            )
        ]
    checks = [ok("push.platform_applications", f"enabled: {', '.join(sorted(enabled))}")]
    for name, attributes in apps:
        expiry = attributes.get("AppleCertificateExpiryDate")
        if expiry and datetime.fromisoformat(expiry.replace("Z", "+00:00")) - now < EXPIRY_WARNING:
            checks.append(
                warn(
                    "push.credentials",
                    f"the APNs certificate of {name} expires {expiry}: SNS then disables the application",
                    "upload a new certificate (or switch to a token-based .p8 key)",
                )
            )
    return checks
