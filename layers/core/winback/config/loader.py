"""Loads program.yaml: parsed, validated by pydantic, and every template a campaign can use checked.

PyYAML, the program's schema and jinja2 are imported by the load, not by importing this module:
a handler imports `load_program` at cold start but loads the program on its first invocation (once
per container), and a path that never loads it (a rejected webhook) never pays for them.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from winback.config.program import Program

DEFAULT_PROGRAM_PATH = Path(__file__).with_name("program.yaml")


def parse_program(text: str) -> Program:
    import yaml

    from winback.config.program import Program

    program = Program.model_validate(yaml.safe_load(text))
    check_default_locale(program)
    return program


def check_default_locale(program: Program) -> None:
    """The default locale is one of the locale folders (adding `ja` is adding files, not code)."""
    from pydantic import ValidationError
    from pydantic_core import InitErrorDetails, PydanticCustomError

    from winback.content.locales import available_locales

    locales = available_locales()
    if program.default_locale not in locales:
        error = PydanticCustomError(
            "unknown_locale",
            "unknown locale '{locale}': the locales are the folders under content/templates/_layout ({locales})",
            {"locale": program.default_locale, "locales": ", ".join(locales)},
        )
        details = InitErrorDetails(type=error, loc=("default_locale",), input=program.default_locale)
        raise ValidationError.from_exception_data(type(program).__name__, [details])


@cache
def load_program(path: str = "") -> Program:
    """The program at `path` (default: the one shipped with the layer), validated; cached per container."""
    source = Path(path) if path else DEFAULT_PROGRAM_PATH
    program = parse_program(source.read_text(encoding="utf-8"))
    validate_templates(program)
    return program


def validate_templates(program: Program) -> None:
    """Every locale has its texts, and every template every campaign step can use exists in every locale
    and needs only known variables."""
    from winback.content.rendering import check_locale_texts, check_templates

    check_locale_texts()
    for campaign in program.campaigns:
        templates = {s.template for s in campaign.steps} | {t for v in campaign.variants for t in v.templates.values()}
        check_templates(f"campaign {campaign.id}", templates, campaign.channels)
