"""Identifier formats the boundary models share; plain constants, so using one imports no model."""

from __future__ import annotations

USER_ID_PATTERN = r"^[A-Za-z0-9_.:@+-]{1,128}$"
