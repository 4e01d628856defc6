"""Loads the program: program.yaml parsed, validated by pydantic, and every template a campaign can
use checked, in the template tree it comes with; the program is stamped with its version.

Two sources: a file with the templates shipped with the layer (`load_program`: the layer's default,
or WINBACK_PROGRAM_PATH in development), and a published bundle (`load_bundle`: program.yaml and its
own templates, config/bundle.py). Both run the same checks.

PyYAML, the program's schema and jinja2 are imported by the load, not by importing this module:
a handler imports `load_program` at cold start but loads the program on its first invocation (once
per container), and a path that never loads it (a rejected webhook) never pays for them.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from winback.config.bundle import Bundle
    from winback.config.campaigns import Campaign
    from winback.config.program import Program

DEFAULT_PROGRAM_PATH = Path(__file__).with_name("program.yaml")


def parse_program(text: str, templates: Path | None = None) -> Program:
    """The program in `text`, its default locale one of the locales of the tree at `templates`
    (default: the tree in use)."""
    import yaml

    from winback.config.program import Program

    program = Program.model_validate(yaml.safe_load(text))
    check_default_locale(program, templates)
    return program


def check_default_locale(program: Program, templates: Path | None = None) -> None:
    """The default locale is one of the locale folders (adding `ja` is adding files, not code)."""
    from pydantic import ValidationError
    from pydantic_core import InitErrorDetails, PydanticCustomError

    from winback.content.locales import available_locales, locales_in

    locales = available_locales() if templates is None else locales_in(templates)
    if program.default_locale not in locales:
        error = PydanticCustomError(
            "unknown_locale",
            "unknown locale '{locale}': the locales are the folders under templates/_layout ({locales})",
            {"locale": program.default_locale, "locales": ", ".join(locales)},
        )
        details = InitErrorDetails(type=error, loc=("default_locale",), input=program.default_locale)
        raise ValidationError.from_exception_data(type(program).__name__, [details])


@cache
def load_program(path: str = "") -> Program:
    """The program at `path` (default: the one shipped with the layer) with the templates in use,
    validated and stamped with its version; cached per container."""
    from winback.config.bundle import Bundle
    from winback.content import locales

    source = Path(path) if path else DEFAULT_PROGRAM_PATH
    templates = locales.TEMPLATE_ROOT
    bundle = Bundle.from_source(source, templates)
    program = parse_program(bundle.program_text, templates)
    validate_templates(program, templates)
    return program.stamped(bundle.version)


def load_bundle(bundle: Bundle, cache_dir: Path) -> tuple[Program, Path]:
    """A published version: its program, validated against its own templates (written under
    `cache_dir`), stamped with its version; and the root of its template tree."""
    templates = bundle.materialize(cache_dir)
    program = parse_program(bundle.program_text, templates)
    validate_templates(program, templates)
    return program.stamped(bundle.version), templates


def validate_templates(program: Program, templates: Path | None = None) -> None:
    """Every locale has its texts, every file of the tree parses and needs only known variables, and
    every template every campaign step can use exists in every locale; in the tree in use, or in the
    one at `templates`."""
    from winback.content.rendering import (
        TemplateProblem,
        check_locale_texts,
        check_templates,
        template_scan,
        tree_issues,
    )

    check_locale_texts(templates)
    scan = template_scan(templates)  # each file parsed once, however many templates extend it
    issues = tree_issues(templates, scan)
    if issues:
        raise TemplateProblem(str(issues[0]))
    for campaign in program.campaigns:
        check_templates(f"campaign {campaign.id}", campaign_templates(campaign), campaign.channels, templates, scan)


def campaign_templates(campaign: Campaign) -> set[str]:
    """Every template a campaign's steps and variants name."""
    return {s.template for s in campaign.steps} | {t for v in campaign.variants for t in v.templates.values()}
