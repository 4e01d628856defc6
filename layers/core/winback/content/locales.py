"""The locales winback speaks: one folder each under `templates/_layout/` (adding `ja` is adding files).

Kept free of jinja2 so that the light paths (one-click unsubscribe, reason pages) can pick a locale
without importing the template engine.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

TEMPLATE_ROOT = Path(__file__).resolve().parent / "templates"
LAYOUT_DIR = "_layout"


@cache
def available_locales() -> tuple[str, ...]:
    """Every locale with a shared layout folder, sorted."""
    return tuple(sorted(p.name for p in (TEMPLATE_ROOT / LAYOUT_DIR).iterdir() if p.is_dir()))


def resolve_locale(requested: str | None, default: str) -> str:
    """The shipped locale closest to the user's: any zh variant -> zh-CN, any en variant -> en."""
    if requested:
        language = requested.replace("_", "-").split("-")[0].lower()
        for locale in available_locales():
            if locale.split("-")[0].lower() == language:
                return locale
    return default
