"""How long a plan's first messages take to send: each channel's rate and 24-hour quota.

Email goes at what SES says of the account (GetAccount: maximum send rate and 24-hour quota; the
sender paces to the same figures), or the figures given on the command line; where GetAccount cannot
be read (no permission, or moto, which lacks it) the plan assumes a new account's: the SES sandbox's
1 email per second and 200 per 24 hours. SMS goes at program.yaml's `pacing.sms_per_second`. Push
and the inbox have no account limit the sender paces to.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from winback.config.program import Program
    from winback.models.delivery import SendLimits

DAY_S = 86_400


@dataclass(frozen=True)
class ChannelRate:
    per_second: float | None  # None: no rate the sender paces to
    per_day: int | None  # None: no 24-hour quota
    source: str

    def per_24h(self) -> float | None:
        limits = [x for x in (self.per_second * DAY_S if self.per_second else None, self.per_day) if x]
        return min(limits) if limits else None


# Service quotas in Amazon SES: "If your account is in the sandbox, you can send up to 200 emails
# per 24-hour period" and "1 email per second".
SANDBOX = ChannelRate(1.0, 200, "assumed: the SES sandbox's, as GetAccount could not be read")
UNPACED = ChannelRate(None, None, "no account limit the sender paces to")


@dataclass(frozen=True)
class Pace:
    rates: Mapping[str, ChannelRate]

    def days(self, channel: str, messages: int) -> float:
        capacity = self.rates.get(channel, UNPACED).per_24h()
        return messages / capacity if capacity else 0.0

    def run_days(self, by_channel: Mapping[str, int]) -> float:
        """The channels send side by side: the run takes as long as its slowest channel."""
        return max((self.days(channel, n) for channel, n in by_channel.items()), default=0.0)


def email_rate(read: Callable[[], SendLimits], rate: float | None, quota: int | None) -> ChannelRate:
    """The account's email rate and quota: as given, else as SES says, else the sandbox's."""
    if rate is not None or quota is not None:
        return ChannelRate(rate, quota, "given on the command line")
    try:
        limits = read()
    except Exception:  # an account or endpoint without GetAccount: plan with a new account's figures
        return SANDBOX
    return ChannelRate(limits.max_send_rate, limits.max_24h_send, "SES GetAccount")


def pace_for(program: Program, email: ChannelRate) -> Pace:
    sms = ChannelRate(program.pacing.sms_per_second, None, "program.yaml pacing.sms_per_second")
    return Pace({"email": email, "sms": sms, "push": UNPACED, "inbox": UNPACED})
