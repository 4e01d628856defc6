"""The brand, default language and "fewer messages" cap of the public pages, which must render even
when program.yaml does not load: one-click unsubscribe, reason answers and the preference page never
depend on the program (a broken deploy of it must not stop anyone from leaving). The fallbacks are
`BRAND_NAME`, English and the default "fewer" cap."""

from __future__ import annotations

from dataclasses import dataclass

from winback.models.preferences import OwnCap, default_fewer
from winback.runtime.deps import Deps
from winback.runtime.observability import logger

FALLBACK_LOCALE = "en"


@dataclass(frozen=True)
class PageDefaults:
    brand: str
    locale: str
    fewer: OwnCap


def page_defaults(d: Deps) -> PageDefaults:
    try:
        program = d.program
    except Exception:  # any failure to load or validate the program: the page still renders
        logger.exception("program.yaml did not load; the page uses the default brand and locale")
        return PageDefaults(d.settings.brand_name, FALLBACK_LOCALE, default_fewer())
    fewer = program.preferences.fewer
    return PageDefaults(program.brand, program.default_locale, OwnCap(**fewer.model_dump()))
