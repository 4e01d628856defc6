"""Shared fixtures for the pure-logic unit tests (no AWS, no moto, no network)."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from winback.config.loader import DEFAULT_PROGRAM_PATH, load_program
from winback.config.program import Program


@pytest.fixture
def program() -> Program:
    """The program shipped with the layer, validated (templates included)."""
    return load_program()


@pytest.fixture
def program_data() -> dict[str, Any]:
    """The shipped program.yaml as plain data, for tests that modify it and re-parse it."""
    data = yaml.safe_load(DEFAULT_PROGRAM_PATH.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data
