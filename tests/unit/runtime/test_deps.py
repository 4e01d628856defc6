"""The wiring root: nothing is built until a handler touches it, each thing once, and `reset()`
starts over as a cold container would (no AWS here: building a store calls nothing)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator

import pytest

from winback.adapters import clients, secrets
from winback.adapters.population_stats_store import PopulationStatsStore
from winback.config.loader import load_program
from winback.config.program import Program
from winback.config.settings import Settings, get_settings
from winback.runtime.deps import Deps, deps, reset

ENV = {
    "ACTIVITY_TABLE": "activity",
    "SUPPRESSION_TABLE": "suppression",
    "MESSAGING_TABLE": "messaging",
    "WEBHOOK_SECRET_NAME": "webhook-secret",
    "UNSUBSCRIBE_SECRET_NAME": "unsubscribe-secret",
    "AWS_DEFAULT_REGION": "us-east-1",
}


@pytest.fixture(autouse=True)
def environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for var, value in ENV.items():
        monkeypatch.setenv(var, value)
    for var in ("WINBACK_PROGRAM_PATH", "AUDIENCE_BUCKET", "OFFERS_BUS_NAME"):
        monkeypatch.delenv(var, raising=False)
    reset()
    yield
    reset()


@pytest.fixture
def fetched(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The secret names read (through Powertools Parameters in a function); each reads as `key`."""
    names: list[str] = []

    def get_secret_text(name: str) -> str:
        names.append(name)
        return "key"

    monkeypatch.setattr(secrets, "get_secret_text", get_secret_text)
    return names


def test_nothing_is_built_until_touched() -> None:
    assert deps().built() == frozenset()


def test_a_handler_builds_only_what_it_touches(fetched: list[str]) -> None:
    d = deps()
    assert d.messaging.table == "messaging"
    assert d.built() == {"settings", "messaging"}
    assert "email_channel" not in d.built() and "send_deps" not in d.built()
    assert fetched == []


def test_each_dependency_is_built_once_per_container() -> None:
    assert deps() is deps()
    assert deps().activity is deps().activity
    assert deps().program is load_program(get_settings().program_path)


def test_secrets_are_read_by_name_on_use(fetched: list[str]) -> None:
    d = deps()
    assert d.unsubscribe_key == b"key"
    assert d.webhook_secret == "key"
    # Not kept by the wiring: Powertools caches them for minutes, so a rotated secret is picked up.
    assert d.unsubscribe_key == b"key"
    assert fetched == ["unsubscribe-secret", "webhook-secret", "unsubscribe-secret"]


def test_reset_gives_a_fresh_instance_that_reads_the_environment_again(monkeypatch: pytest.MonkeyPatch) -> None:
    first = deps()
    assert first.messaging.table == "messaging"
    monkeypatch.setenv("MESSAGING_TABLE", "messaging-2")
    assert deps().messaging.table == "messaging"  # a container reads its environment once
    reset()
    second = deps()
    assert second is not first
    assert second.built() == frozenset()
    assert second.messaging.table == "messaging-2"


def test_reset_forgets_settings_program_and_clients() -> None:
    settings, program, client = get_settings(), load_program(), clients.dynamodb()
    reset()
    assert get_settings() is not settings
    assert load_program() is not program
    assert clients.dynamodb() is not client


def test_given_settings_and_program_are_used_as_they_are(program: Program) -> None:
    settings = Settings.model_validate({**ENV, "ACTIVITY_TABLE": "other-activity"})
    d = Deps(settings=settings, program=program)
    assert d.settings is settings and d.program is program
    assert d.activity.table == "other-activity"


def test_the_scan_segmenter_reads_the_days_stats_for_each_job(monkeypatch: pytest.MonkeyPatch) -> None:
    loads: list[None] = []

    def load(_self: PopulationStatsStore) -> None:
        loads.append(None)

    monkeypatch.setattr(PopulationStatsStore, "load", load)
    d = deps()
    d.scan_segmenter()
    d.scan_segmenter()
    assert len(loads) == 2


def test_optional_resources() -> None:
    assert deps().offers is None
    with pytest.raises(RuntimeError, match="AUDIENCE_BUCKET is not set"):
        _ = deps().audience_sink


def test_importing_the_wiring_loads_no_adapter_sdk_or_template_engine() -> None:
    code = (
        "import sys, winback.runtime.deps\n"
        "heavy = ('winback.adapters', 'winback.services', 'boto3', 'botocore', 'jinja2', 'phonenumbers', 'yaml')\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in heavy or m.startswith(heavy)))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
