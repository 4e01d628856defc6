"""What a delivery provider answers the sender: the errors of one send (every channel raises these,
adapters/channels.py says which provider answer is which), an offer the bus did not take, and what
the provider's account may send (its rate and 24-hour quota, which the pacer keeps to).

A channel's `send(message)` returns the provider's message id or raises one of:
  Throttled     - the provider refused for rate or quota: certainly not sent, try again later
  Rejected      - the provider refused this message for good: certainly not sent, do not retry
  AddressGone   - (a Rejected) the address itself is dead: a push endpoint SNS disabled or deleted;
                  suppress it, or every later step would try it again
  Uncertain     - the request may or may not have been delivered (timeout, 5xx): never resend blindly
  AccountPaused - the account cannot send on this channel now (suspended, sending paused, MAIL FROM
                  not verified, daily quota or SMS spend limit reached), or the provider refused the
                  sender rather than the recipient (an unverified sender identity, any recipient
                  while SES or SMS is in its sandbox, our own permission denied, a missing or paused
                  configuration set, a disabled push application): certainly not sent, and every
                  later message would be refused alike; the channel pauses instead of the message
                  failing, its claim is given back, and the message waits for the operator's fix
"""

from __future__ import annotations

from dataclasses import dataclass


class SendError(Exception):
    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


class Throttled(SendError):
    pass


class Rejected(SendError):
    pass


class AddressGone(Rejected):
    pass


class Uncertain(SendError):
    pass


class AccountPaused(SendError):
    def __init__(self, code: str, *, lifts: bool) -> None:
        super().__init__(code)
        self.lifts = lifts  # the condition clears by itself (a daily quota); else an operator resumes


class OfferNotPublished(RuntimeError):
    """EventBridge did not accept the grant's event; the grant stays recorded as unpublished."""


@dataclass(frozen=True)
class SendLimits:
    """What the email provider's account may send, as last read."""

    max_send_rate: float  # messages per second, for the whole account
    max_24h_send: int | None  # None: unlimited (SES answers -1)
    sent_last_24h: int
    read_at: float  # the account's monotonic clock: sends booked since then count against the quota

    @property
    def quota_left(self) -> int | None:
        return None if self.max_24h_send is None else self.max_24h_send - self.sent_last_24h
