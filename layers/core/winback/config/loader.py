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

    return Program.model_validate(yaml.safe_load(text))


@cache
def load_program(path: str = "") -> Program:
    """The program at `path` (default: the one shipped with the layer), validated; cached per container."""
    source = Path(path) if path else DEFAULT_PROGRAM_PATH
    program = parse_program(source.read_text(encoding="utf-8"))
    validate_templates(program)
    return program


def validate_templates(program: Program) -> None:
    """Every template every campaign step can use exists in every locale and needs only known variables."""
    from winback.content.rendering import check_templates

    for campaign in program.campaigns:
        templates = {s.template for s in campaign.steps} | {t for v in campaign.variants for t in v.templates.values()}
        check_templates(f"campaign {campaign.id}", templates, campaign.channels)
