"""The locales winback speaks: one folder each under `templates/_layout/` (adding `ja` is adding files).

A locale's folder holds its email layout and the short texts the sender needs outside any template
(`<name>.txt`, one per name in `TEXTS`). Kept free of jinja2 so that the light paths (one-click
unsubscribe, reason pages) can pick a locale without importing the template engine.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

TEMPLATE_ROOT = Path(__file__).resolve().parent / "templates"
LAYOUT_DIR = "_layout"
TEXTS = ("default_name", "sms_opt_out")


def locale_dir(locale: str) -> Path:
    return TEMPLATE_ROOT / LAYOUT_DIR / locale


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


def missing_texts() -> list[str]:
    """The text files a locale folder lacks (`_layout/ja/default_name.txt`), for the load-time check."""
    return [
        f"{LAYOUT_DIR}/{locale}/{name}.txt"
        for locale in available_locales()
        for name in TEXTS
        if not (locale_dir(locale) / f"{name}.txt").is_file()
    ]


@cache
def locale_text(locale: str, name: str) -> str:
    """The short text `name` (one of `TEXTS`) in `locale`."""
    return (locale_dir(locale) / f"{name}.txt").read_text(encoding="utf-8").strip()


def default_name(locale: str) -> str:
    """How a message addresses a user whose name it does not know ("Hi there")."""
    return locale_text(locale, "default_name")


def sms_opt_out(locale: str) -> str:
    """The opt-out line every SMS ends with, in `locale` (carriers require it)."""
    return locale_text(locale, "sms_opt_out")
