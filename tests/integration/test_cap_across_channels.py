"""The program-level cap (`frequency_caps.all`) on moto: claimed in the same conditional write as the
ledger entry and the channel's slot, so two channels racing for the last slot send one message."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.integration.conftest import Stack
from tests.integration.helpers import dormant_profile, sent_emails, sent_sms, use_program
from winback.adapters.messaging_store import MessagingStore
from winback.config.settings import get_settings
from winback.models.jobs import SendJob
from winback.models.send_state import send_key
from winback.runtime.deps import deps
from winback.services.send import send_job

NOW = datetime.now(UTC)
LAST_ORDER = NOW - timedelta(days=100)
EPISODE = LAST_ORDER.isoformat()


def _job(step: int) -> SendJob:
    recipient = {"user_id": "u1", "episode": EPISODE, "arm": "no-coupon", "segment": "all"}
    return SendJob.model_validate(
        {"run_id": "r", "campaign_id": "dormant-offer", "step": step, "tier": "dormant", "recipients": [recipient]}
    )


@pytest.fixture(autouse=True)
def _program(stack: Stack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    caps = {
        "all": {"max_messages": 1, "window_days": 7},
        "email": {"max_messages": 1, "window_days": 7},
        "sms": {"max_messages": 1, "window_days": 7},
        "push": {"max_messages": 1, "window_days": 7},
        "inbox": {"max_messages": 1, "window_days": 7},
    }
    use_program(tmp_path, monkeypatch, quiet_hours={}, frequency_caps=caps)


def test_two_channels_racing_for_the_last_program_slot_send_once(stack: Stack, monkeypatch: pytest.MonkeyPatch) -> None:
    """Guard: the `all` slot is in the claim's conditional write (MessagingStore.claim `also`). Step 0
    goes by email, step 2 by SMS (its channels: sms, email); each channel's own cap has room. Step 0
    reads the send state, then step 2 claims and sends before step 0 writes: step 0's write fails on
    the version, the re-read finds the program cap full, and step 0 waits. Checked only against the
    batch read, both would go out."""
    dormant_profile("u1", LAST_ORDER, phone="+14155550100", consent={"email": True, "sms": True})
    d = deps()
    real_claim = MessagingStore.claim
    raced: list[bool] = []

    def claim_after_a_rival(self: MessagingStore, *args: Any, **kwargs: Any) -> Any:
        if not raced:
            raced.append(True)
            assert send_job(_job(2), d.program, d.send_deps)["sent_sms"] == 1  # the rival, in between
        return real_claim(self, *args, **kwargs)

    monkeypatch.setattr(MessagingStore, "claim", claim_after_a_rival)
    tally = send_job(_job(0), d.program, d.send_deps)
    assert tally["capped"] == 1 and "sent" not in tally
    assert len(sent_sms()) == 1 and sent_emails() == []
    state = MessagingStore(get_settings().messaging_table).read_state("u1")
    assert set(state.caps["all"]) == {send_key("dormant-offer", 2, EPISODE)}
    [waiting] = [j for j in d.deferrals.due(NOW + timedelta(days=8), 10) if j.kind == "capped"]
    assert SendJob.model_validate_json(waiting.body).step == 0
