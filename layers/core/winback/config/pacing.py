"""program.yaml's `pacing`: how fast the sender may go where the provider does not say.

Email is paced to what SES says of the account (GetAccount: maximum send rate, 24-hour quota);
SMS to `sms_per_second`, the account's SMS throughput (an SNS / End User Messaging quota that no
API reports). Each send worker takes its share: the rate divided by the send queue's maximum
concurrency (template.yaml's SendMaxConcurrency). A gap up to `max_wait_ms` is waited out in place;
a longer one defers the message."""

from __future__ import annotations

from pydantic import Field

from winback.models.strict import Strict


class Pacing(Strict):
    sms_per_second: float = Field(20, gt=0, le=10_000)
    max_wait_ms: int = Field(2_000, ge=0, le=10_000)
