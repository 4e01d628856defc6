"""The locales winback speaks: one folder each under `templates/_layout/` (adding `ja` is adding files).

A locale's folder holds its email layout and the short texts the sender needs outside any template
(`<name>.txt`, one per name in `TEXTS`). Kept free of jinja2 so that the light paths (one-click
unsubscribe, reason pages) can pick a locale without importing the template engine.

`TEMPLATE_ROOT` is the template tree in use: the one shipped with the layer until a published program
version is loaded (`rendering.use_templates` points it at that version's tree). A test or tool may
point it at another tree.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

SHIPPED_TEMPLATE_ROOT = Path(__file__).resolve().parent / "templates"
TEMPLATE_ROOT = SHIPPED_TEMPLATE_ROOT
LAYOUT_DIR = "_layout"
TEXTS = ("default_name", "sms_opt_out")


def locale_dir(locale: str, root: Path | None = None) -> Path:
    return (root or TEMPLATE_ROOT) / LAYOUT_DIR / locale


def locales_in(root: Path) -> tuple[str, ...]:
    """Every locale with a shared layout folder in the tree at `root`, sorted (none: no layout folder)."""
    layouts = root / LAYOUT_DIR
    return tuple(sorted(p.name for p in layouts.iterdir() if p.is_dir())) if layouts.is_dir() else ()


@cache
def available_locales() -> tuple[str, ...]:
    """Every locale of the template tree in use, sorted."""
    return locales_in(TEMPLATE_ROOT)


def resolve_locale(requested: str | None, default: str) -> str:
    """The shipped locale closest to the user's: any zh variant -> zh-CN, any en variant -> en."""
    if requested:
        language = requested.replace("_", "-").split("-")[0].lower()
        for locale in available_locales():
            if locale.split("-")[0].lower() == language:
                return locale
    return default


def missing_texts(root: Path | None = None) -> list[str]:
    """The text files a locale folder lacks (`_layout/ja/default_name.txt`), for the load-time check;
    in the tree in use, or in the one at `root`."""
    found = available_locales() if root is None else locales_in(root)
    return [
        f"{LAYOUT_DIR}/{locale}/{name}.txt"
        for locale in found
        for name in TEXTS
        if not (locale_dir(locale, root) / f"{name}.txt").is_file()
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
