"""How a provider's account-level answer is classified: a channel pause, never a burned message.

Error codes and messages are SES v2 SendEmail's documented ones (AccountSuspendedException,
SendingPausedException, MailFromDomainNotVerifiedException; "Daily message quota exceeded" on a
throttling answer) and the SNS SMS spend limit's wording.
"""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from winback.adapters.channels import _classify
from winback.models.delivery import AccountPaused, Rejected, Throttled


def _error(code: str, message: str = "", status: int = 400) -> ClientError:
    return ClientError(
        {"Error": {"Code": code, "Message": message}, "ResponseMetadata": {"HTTPStatusCode": status}},  # type: ignore[typeddict-item]
        "SendEmail",
    )


@pytest.mark.parametrize(
    "code", ["AccountSuspendedException", "SendingPausedException", "MailFromDomainNotVerifiedException"]
)
def test_account_conditions_pause_until_resumed(code: str) -> None:
    """Guard: ACCOUNT_CODES. Without it these are Rejected (the claim burned as failed) or, for
    SendingPaused, Throttled (the job cycled into the DLQ)."""
    classified = _classify(_error(code, "account cannot send"))
    assert isinstance(classified, AccountPaused) and not classified.lifts


@pytest.mark.parametrize("code", ["ThrottlingException", "LimitExceededException", "MessageRejected"])
def test_a_spent_daily_quota_pauses_until_the_window_moves_on(code: str) -> None:
    """Guard: QUOTA_MESSAGES, whatever code carries the documented message."""
    classified = _classify(_error(code, "Daily message quota exceeded."))
    assert isinstance(classified, AccountPaused) and classified.lifts


def test_the_sms_spend_limit_pauses_sms() -> None:
    """Guard: SPEND_MESSAGES."""
    classified = _classify(_error("ThrottledException", "No quota left for account"))
    assert isinstance(classified, AccountPaused) and not classified.lifts


def test_a_rate_throttle_and_a_bad_message_stay_what_they_were() -> None:
    assert isinstance(_classify(_error("ThrottlingException", "Maximum sending rate exceeded.")), Throttled)
    assert isinstance(_classify(_error("MessageRejected", "Email address is not verified.")), Rejected)
