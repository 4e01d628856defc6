"""content/locales.py: the locales are the folders under templates/_layout, their texts are files."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from winback.config.loader import parse_program, validate_templates
from winback.content import locales, rendering
from winback.content.locales import (
    LAYOUT_DIR,
    available_locales,
    default_name,
    locale_text,
    missing_texts,
    resolve_locale,
    sms_opt_out,
)
from winback.content.rendering import TemplateProblem, check_locale_texts, render

SHIPPED_ROOT = locales.TEMPLATE_ROOT


def forget_cached_templates() -> None:
    for cached in (
        locales.available_locales,
        locales.locale_text,
        rendering._environment,
        rendering.shipped_templates,
        rendering.used_variables,
    ):
        cached.cache_clear()


@pytest.fixture
def root_with_ja(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The shipped templates plus `ja`, made the way a business would: copies of the `en` files."""
    root = tmp_path / "templates"
    shutil.copytree(SHIPPED_ROOT, root)
    for en in sorted(root.glob("*/en")):
        shutil.copytree(en, en.with_name("ja"))
    for path in root.glob("*/ja/*"):
        path.write_text(path.read_text(encoding="utf-8").replace("_layout/en/", "_layout/ja/"), encoding="utf-8")
    monkeypatch.setattr(locales, "TEMPLATE_ROOT", root)
    forget_cached_templates()
    yield root
    forget_cached_templates()


def test_texts_are_read_from_the_locale_folders() -> None:
    assert default_name("en") == "there"
    assert default_name("zh-CN") == "朋友"
    assert sms_opt_out("zh-CN") == "回复TD退订"
    assert locale_text("en", "sms_opt_out") == "Reply STOP to opt out"
    assert missing_texts() == []


def test_every_locale_folder_holds_every_text() -> None:
    for locale in available_locales():
        for name in locales.TEXTS:
            assert (SHIPPED_ROOT / LAYOUT_DIR / locale / f"{name}.txt").is_file()


def test_a_new_locale_folder_is_a_new_locale(root_with_ja: Path, program_data: dict[str, Any]) -> None:
    assert available_locales() == ("en", "ja", "zh-CN")
    assert resolve_locale("ja-JP", "en") == "ja"
    assert default_name("ja") == "there"
    program_data["default_locale"] = "ja"
    program = parse_program(yaml.safe_dump(program_data, allow_unicode=True))
    assert program.default_locale == "ja"
    validate_templates(program)  # every campaign's templates in every locale, ja included
    # Every variable a plain string, but the optional ones not offered.
    values = dict.fromkeys(rendering.VARIABLES, "x") | dict.fromkeys(("coupon", "recommendations", "reason_urls"))
    assert '<html lang="en">' in render("offer", "email", "ja", values).html  # the copied en layout


def test_a_locale_folder_without_its_texts_fails_the_load_check(root_with_ja: Path) -> None:
    (root_with_ja / LAYOUT_DIR / "ja" / "default_name.txt").unlink()
    with pytest.raises(TemplateProblem, match=r"_layout/ja/default_name\.txt"):
        check_locale_texts()


def test_a_default_locale_without_a_folder_is_rejected_naming_the_field(program_data: dict[str, Any]) -> None:
    program_data["default_locale"] = "ja"
    with pytest.raises(ValidationError) as caught:
        parse_program(yaml.safe_dump(program_data, allow_unicode=True))
    assert [e["loc"] for e in caught.value.errors()] == [("default_locale",)]
    assert "en, zh-CN" in str(caught.value)
