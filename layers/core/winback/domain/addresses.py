"""Suppression keys: one normalized address per channel (`email#...`, `sms#+E164`, `push#...`)."""

from __future__ import annotations

from winback.program import Channel


def address_key(channel: Channel, address: str) -> str:
    value = address.strip()
    if channel == "email":
        value = value.lower()
    return f"{channel}#{value}"


def contact_address(channel: Channel, email: str | None, phone: str | None, push: str | None) -> str | None:
    return {"email": email, "sms": phone, "push": push}[channel]
