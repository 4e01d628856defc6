"""`winback test-send CAMPAIGN --step N --to ADDRESS`: the preview's rendering of one channel, sent
through the real channel to a test address, marked as a test.

Refused unless the address is one of the program's `test_recipients` (and not suppressed: winback
never sends to a suppressed address, test or not). The message is the preview's (the sender's own
composition) for the channel the address is for, with these differences, each on purpose:
- its subject (or text) starts with "[TEST] ", and an email carries the one tag `winback=test`,
  never the campaign tags feedback counts by, so a bounce, open or click counts in no report;
- its offer is always a placeholder code, never a coupon issued or a real user's;
- its links are signed with a key made for this message and kept nowhere: they have the real
  shape, and open the broken-or-expired-link page, so a tester's click changes nobody.
Nothing else happens: no claim, ledger entry, cap slot, counter, coupon or offer. The CLI runs it
in `read_only(allow=...)`, where the one provider call is the only AWS call that is not a read.
"""

from __future__ import annotations

import dataclasses
import secrets
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from winback.config.test_recipients import channel_of_address, is_test_recipient
from winback.content.rendering import Rendered
from winback.domain.journey.addresses import address_key
from winback.services.send.compose import Signer
from winback_dev.command_errors import CommandError
from winback_dev.preview import PreviewError, PreviewRequest, Sources, build_preview

if TYPE_CHECKING:
    from winback.models.outbound import Outbound
    from winback.services.send.ports import ChannelSender

TEST_PREFIX = "[TEST] "
TEST_TAGS = {"winback": "test"}
# The provider calls a test send makes (read_only lets these through, and nothing else that writes).
PROVIDER_CALLS = ("SendEmail", "Publish")


class SendRefused(CommandError):
    """The test message was not sent: the address is not a test recipient, or cannot take the step."""


@dataclass(frozen=True)
class SentTest:
    channel: str
    address: str
    message_id: str
    subject: str
    text: str


def throwaway_signer(base_url: str) -> Signer:
    """Links signed with a key that exists only for this message (no page will accept them)."""
    return Signer(secrets.token_bytes(32), base_url)


def marked(message: Outbound) -> Outbound:
    """The message as a test: "[TEST] " in front, no tag feedback counts, a send key of its own."""
    content = message.content
    subject = TEST_PREFIX + content.subject if content.subject else ""
    text = content.text if content.subject else TEST_PREFIX + content.text
    return dataclasses.replace(
        message,
        content=Rendered(subject=subject, html=content.html, text=text),
        key=f"test#{uuid.uuid4().hex}",
        tags=dict(TEST_TAGS) if message.channel == "email" else {},
    )


def send_test_message(
    request: PreviewRequest, to: str, sources: Sources, channels: Mapping[str, ChannelSender]
) -> SentTest:
    """Send the step's rendering for `to`'s channel to `to`; raises SendRefused or PreviewError."""
    channel = channel_of_address(to)
    if channel is None:
        raise SendRefused(f"{to!r} is not an email address, an E.164 phone number or an SNS endpoint ARN")
    if not is_test_recipient(to, sources.program.test_recipients):
        raise SendRefused(f"{to} is not one of the program's test_recipients")
    try:
        campaign = sources.program.campaign(request.campaign_id)
        step_channels = campaign.step_channels(request.step)
    except (KeyError, IndexError):
        raise PreviewError(f"no step {request.step} of campaign {request.campaign_id!r}") from None
    if channel not in step_channels:
        raise SendRefused(f"step {request.step} of {campaign.id} sends on {', '.join(step_channels)}, not {channel}")
    if sources.suppression.suppressed([address_key(channel, to)]):
        raise SendRefused(f"{to} is suppressed: winback sends nothing to a suppressed address, a test neither")
    wanted = dataclasses.replace(request, channels=(channel,), placeholder_offer=True, address=to.strip())
    preview = build_preview(wanted, sources)
    message = marked(preview.renderings[0].outbound)
    message_id = channels[channel].send(message)
    return SentTest(channel, message.address, message_id, message.content.subject, message.content.text)
