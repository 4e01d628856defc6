"""The deployed program: it loads (schema, templates, locales), it is not the shipped placeholder
brand, and which channels it sends on (the doctor checks only those providers)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from winback_dev.doctor.report import Check, fail, ok

if TYPE_CHECKING:
    from winback.config.program import Program

PLACEHOLDER_BRAND = "Acme Shop"
PLACEHOLDER_HOST = "example.com"
PROVIDER_CHANNELS = ("email", "sms", "push")


def program_checks(load: Callable[[], Program]) -> tuple[list[Check], set[str]]:
    """The checks, and the provider channels the program sends on (all of them when it does not load)."""
    try:
        program = load()
    except Exception as error:  # any load failure is the finding: schema, template, locale, file
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        return [
            fail(
                "program.valid",
                f"the program does not load: {first_line}",
                "winback validate-program <your program.yaml>, fix what it names, deploy again",
            )
        ], set(PROVIDER_CHANNELS)
    channels: set[str] = {ch for c in program.campaigns for step in range(len(c.steps)) for ch in c.step_channels(step)}
    checks = [ok("program.valid", f"loads; {len(program.campaigns)} campaign(s) on {', '.join(sorted(channels))}")]
    if program.brand == PLACEHOLDER_BRAND or PLACEHOLDER_HOST in program.site_url:
        checks.append(
            fail(
                "program.brand",
                f"the shipped placeholder: brand {program.brand!r}, links to {program.site_url}",
                "set brand and site_url (and your templates) in program.yaml",
            )
        )
    else:
        checks.append(ok("program.brand", f"{program.brand}, {program.site_url}"))
    return checks, channels & set(PROVIDER_CHANNELS)
