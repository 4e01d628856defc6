"""Secrets (webhook signing key, unsubscribe token key) through Powertools Parameters, cached 5 minutes."""

from __future__ import annotations

from aws_lambda_powertools.utilities import parameters

MAX_AGE_S = 300


def get_secret_text(name: str) -> str:
    value = parameters.get_secret(name, max_age=MAX_AGE_S)
    if isinstance(value, bytes):
        return value.decode()
    return str(value)
