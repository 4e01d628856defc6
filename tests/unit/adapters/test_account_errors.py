"""How a provider's account-level answer is classified: a channel pause, never a burned message.

Error codes and messages are SES v2 SendEmail's documented ones (AccountSuspendedException,
SendingPausedException, MailFromDomainNotVerifiedException, NotFoundException; "Daily message quota
exceeded" on a throttling answer; MessageRejected "Email address is not verified. The following
identities failed the check in region ..." for an unverified sender or, in the sandbox, recipient),
the IAM refusals (AccessDeniedException from SES v2, AuthorizationError from SNS), SNS Publish's
PlatformApplicationDisabled, and the SNS SMS spend limit's and sandbox's wording.
"""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError
from hypothesis import given
from hypothesis import strategies as st

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


# SES's documented answer, verbatim but for the identities (a region and addresses of the example).
UNVERIFIED = (
    "Email address is not verified. The following identities failed the check in region US-EAST-1: "
    "winback@shop.example.com, u1@mail.example.com"
)


@pytest.mark.parametrize(
    ("code", "message", "status"),
    [
        ("MessageRejected", UNVERIFIED, 400),  # the sender, or a recipient while SES is in the sandbox
        ("MessageRejected", "Email address is not verified.", 400),
        ("AccessDeniedException", "User is not authorized to perform `ses:SendEmail'", 403),  # ses:FromAddress
        ("AuthorizationError", "User is not authorized to perform: SNS:Publish", 403),
        ("InvalidClientTokenId", "The security token included in the request is invalid.", 403),
        ("AuthorizationError", "Phone number is not verified in the SMS sandbox", 403),
        ("InvalidParameter", "Invalid parameter: PhoneNumber Reason: destination is not verified", 400),
        ("NotFoundException", "Configuration set <winback> does not exist.", 404),
        ("ConfigurationSetSendingPausedException", "Sending paused for this configuration set.", 400),
        ("PlatformApplicationDisabled", "Platform application is disabled.", 400),
    ],
)
def test_a_refusal_of_the_sender_account_or_sandbox_pauses_the_channel(code: str, message: str, status: int) -> None:
    """Guard: channels._account_level (PERMISSION_CODES, any 403, UNVERIFIED_MESSAGES, ACCOUNT_CODES).
    Without it each of these is Rejected: on a first run every targeted user's step is marked failed
    and never retried, for a condition of the account that the next message meets again."""
    classified = _classify(_error(code, message, status))
    assert isinstance(classified, AccountPaused) and not classified.lifts
    # The pause reason is stored and logged: it names the condition, never the provider's message,
    # whose identities may be a recipient's address.
    assert "@" not in classified.code and "u1" not in classified.code


@given(
    identities=st.lists(st.emails(), min_size=1, max_size=5),
    region=st.sampled_from(["US-EAST-1", "eu-west-1", "AP-SOUTHEAST-2"]),
)
def test_an_unverified_answer_pauses_whatever_identities_it_lists_and_never_keeps_them(
    identities: list[str], region: str
) -> None:
    """Guard: UNVERIFIED_MESSAGES and a pause reason built from the condition alone. SES lists the
    identities that failed the check, the sender's or (in the sandbox) recipients': whichever they
    are, email pauses, and none of them reaches the stored and logged reason."""
    message = f"Email address is not verified. The following identities failed the check in region {region}: "
    classified = _classify(_error("MessageRejected", message + ", ".join(identities)))
    assert isinstance(classified, AccountPaused) and not classified.lifts
    assert all(identity.lower() not in classified.code.lower() for identity in identities)


@pytest.mark.parametrize(
    "message",
    ["Illegal address", "Missing final '@domain'", "Domain contains illegal character", "Duplicate header"],
)
def test_a_recipient_level_rejection_still_fails_the_message(message: str) -> None:
    """Only what is wrong with this message or address burns it: SES's documented recipient-level
    MessageRejected answers stay Rejected."""
    assert type(_classify(_error("MessageRejected", message))) is Rejected


def test_a_rate_throttle_stays_a_throttle() -> None:
    assert isinstance(_classify(_error("ThrottlingException", "Maximum sending rate exceeded.")), Throttled)
