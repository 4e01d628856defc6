"""docs/deploy.md and samconfig.toml agree with template.yaml: every parameter in the table with its
real default, and no personal value in the shared deploy settings."""

from __future__ import annotations

import re
import tomllib
from typing import Any

import pytest

from winback_dev.template import TEMPLATE_PATH, sam_template

ROOT = TEMPLATE_PATH.parent
PARAMETERS: dict[str, Any] = sam_template()["Parameters"]
ROW = re.compile(r"^\| `(\w+)` \| ([^|]+) \|")


def _table() -> dict[str, str]:
    text = (ROOT / "docs" / "deploy.md").read_text(encoding="utf-8")
    return {m.group(1): m.group(2).strip() for line in text.splitlines() if (m := ROW.match(line))}


def _shown(default: Any) -> set[str]:
    """How the table may write a default: `value`, a bare number, with a note in brackets."""
    if default == "":
        return {"empty"}
    text = str(default)
    return {f"`{text}`", f'`"{text}"`', text}


def test_the_table_lists_exactly_the_template_parameters() -> None:
    assert set(_table()) == set(PARAMETERS)


@pytest.mark.parametrize("name", sorted(PARAMETERS))
def test_each_default_in_the_table_is_the_templates(name: str) -> None:
    shown = _table()[name]
    if "Default" not in PARAMETERS[name]:
        assert shown == "required"
    else:
        assert shown.split(" (")[0] in _shown(PARAMETERS[name]["Default"])


def test_samconfig_keeps_no_personal_values() -> None:
    """The guided deploy's answers go to samconfig.local.toml, which git ignores."""
    text = (ROOT / "samconfig.toml").read_text(encoding="utf-8")
    config = tomllib.loads(text)
    sections = [params for env in config.values() if isinstance(env, dict) for params in env.values()]
    assert all("parameter_overrides" not in section for section in sections)
    assert "@" not in text
    ignored = (ROOT / ".gitignore").read_text(encoding="utf-8").splitlines()
    assert "samconfig.local.toml" in ignored
