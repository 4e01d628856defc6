"""Someone hears the alarms: AlarmTopic has a confirmed subscription (an email subscription waits as
`PendingConfirmation` until its recipient clicks the link AWS sent)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from winback_dev.doctor.report import Check, fail, ok

if TYPE_CHECKING:
    from mypy_boto3_sns import SNSClient

UNCONFIRMED = ("PendingConfirmation", "Deleted")


def subscription(client: SNSClient, alarm_topic_arn: str) -> list[Check]:
    if not alarm_topic_arn:
        return [fail("alarms.subscription", "no alarm topic named", "run the doctor with --stack-name")]
    subscriptions = [
        s
        for page in client.get_paginator("list_subscriptions_by_topic").paginate(TopicArn=alarm_topic_arn)
        for s in page["Subscriptions"]
    ]
    confirmed = [s for s in subscriptions if s.get("SubscriptionArn") not in UNCONFIRMED]
    if confirmed:
        kinds = ", ".join(sorted({str(s.get("Protocol")) for s in confirmed}))
        return [ok("alarms.subscription", f"{len(confirmed)} confirmed subscription(s) to the alarm topic ({kinds})")]
    pending = len(subscriptions) - len(confirmed)
    what = (
        f"{pending} subscription(s) to the alarm topic wait for confirmation"
        if pending
        else "nobody is subscribed to the alarm topic"
    )
    return [
        fail(
            "alarms.subscription",
            f"{what}: a paused channel, the DLQs and failed runs would go unnoticed",
            "confirm the email AWS sent to the AlarmEmail address (or subscribe a pager or chat: aws sns subscribe "
            f"--topic-arn {alarm_topic_arn} ...)",
        )
    ]
