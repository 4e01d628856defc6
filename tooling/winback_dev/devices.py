"""The demo's phones: an SNS platform application (FCM) with one endpoint per app user who allows
push, registered the way an app's backend does it (CreatePlatformEndpoint with the device token),
and the profile event that tells winback the endpoint. A few tokens are stale: SNS has disabled their
endpoints (Enabled=false, as it does once FCM or APNs reports a token invalid), so the first push to
them fails with EndpointDisabled and winback suppresses them."""

from __future__ import annotations

import random
from datetime import datetime
from typing import Any

import boto3

from winback_dev.population import DemoUser

APP_NAME = "winback-demo-app"
PUSH_OPT_IN = 0.8  # app users who allowed notifications
STALE_TOKENS = 0.1  # of those, devices whose token the push service has since invalidated


def register_devices(users: list[DemoUser], at: datetime, seed: int = 11) -> dict[str, int]:
    """Create the endpoints and append each user's push profile event; returns counts."""
    rng = random.Random(seed)
    sns = boto3.client("sns")
    app = sns.create_platform_application(
        Name=APP_NAME, Platform="GCM", Attributes={"PlatformCredential": "demo-fcm-server-key"}
    )["PlatformApplicationArn"]
    registered = stale = 0
    for user in users:
        if not user.app_user or rng.random() >= PUSH_OPT_IN:
            continue
        token = f"fcm-{user.user_id}-{rng.getrandbits(64):016x}"
        arn = sns.create_platform_endpoint(PlatformApplicationArn=app, Token=token)["EndpointArn"]
        if rng.random() < STALE_TOKENS:
            sns.set_endpoint_attributes(EndpointArn=arn, Attributes={"Enabled": "false"})
            stale += 1
        properties: dict[str, Any] = {"push_endpoint": arn, "consent": {"push": True}}
        user.events.append(
            {
                "user_id": user.user_id,
                "type": "profile",
                "occurred_at": at.isoformat(timespec="seconds"),
                "properties": properties,
            }
        )
        user.push_endpoint = arn
        registered += 1
    return {"endpoints": registered, "stale": stale}
