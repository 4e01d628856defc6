"""What the sender hands a channel: one rendered message, its address and its tracking."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from winback.content.rendering import Rendered


@dataclass(frozen=True)
class Outbound:
    """One message for one channel. Each channel reads what it needs: email the address, the
    unsubscribe link (List-Unsubscribe) and the tags; SMS and push the address; the inbox the user,
    the send key (its idempotency key), the call to action and the campaign step."""

    channel: str
    user_id: str
    address: str
    key: str
    content: Rendered
    campaign_id: str
    step: int
    cta_url: str = ""
    unsubscribe_url: str = ""
    tags: Mapping[str, str] = field(default_factory=dict)
