"""content/templates/_layout: one email layout per locale that every template extends, and the load-time
check and `used_variables` reading through it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from jinja2 import DictLoader, StrictUndefined, select_autoescape
from jinja2.sandbox import SandboxedEnvironment

from winback.content import rendering
from winback.content.locales import LAYOUT_DIR, TEMPLATE_ROOT, available_locales
from winback.content.rendering import TemplateProblem, check_templates, render, shipped_templates, used_variables

EMAIL_FILES = ("email.html", "email.txt")
SHIPPED = [(t, loc) for t in sorted(shipped_templates()) for loc in available_locales()]
URLS = {item: f"https://shop.example.com/p/{item}?utm_source=winback" for item in ("sku-12", "sku-7")}
# Items the catalog does not know: only their id and category to show (services/send/content.py).
UNKNOWN = {"name": None, "image_url": None, "price": None}
TWO_PICKS = [
    {"item_id": "sku-12", "category": "shoes", "url": URLS["sku-12"], **UNKNOWN},
    {"item_id": "sku-7", "category": None, "url": URLS["sku-7"], **UNKNOWN},
]


@pytest.fixture
def templates(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """An in-memory template tree for the shipped locales; `used_variables` forgets it afterwards."""
    files: dict[str, str] = {}
    env = SandboxedEnvironment(
        loader=DictLoader(files),
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
        undefined=StrictUndefined,
    )
    monkeypatch.setattr(rendering, "_environment", lambda: env)
    used_variables.cache_clear()
    yield files
    used_variables.cache_clear()


def email(files: dict[str, str], layout: str, child: str = "{% block body %}{{ brand }}{% endblock %}") -> None:
    for locale in available_locales():
        for filename in EMAIL_FILES:
            files[f"{LAYOUT_DIR}/{locale}/{filename}"] = layout
            files[f"t/{locale}/{filename}"] = f'{{% extends "{LAYOUT_DIR}/{locale}/{filename}" %}}' + child
        files[f"t/{locale}/subject.txt"] = "{{ brand }}"


def test_layout_folders_are_not_templates() -> None:
    assert LAYOUT_DIR not in shipped_templates()
    assert shipped_templates() == {"apology", "lastchance", "nostalgic", "offer", "question"}


@pytest.mark.parametrize(("template", "locale"), SHIPPED)
@pytest.mark.parametrize("filename", EMAIL_FILES)
def test_every_email_extends_its_locale_layout(template: str, locale: str, filename: str) -> None:
    source = (TEMPLATE_ROOT / template / locale / filename).read_text(encoding="utf-8")
    assert f'{{% extends "{LAYOUT_DIR}/{locale}/{filename}" %}}' in source
    for shared in ("recommendations", "unsubscribe_url", "<!doctype"):
        assert shared not in source  # the layout's to show, once per locale


@pytest.mark.parametrize(("template", "locale"), SHIPPED)
def test_used_variables_include_what_only_the_layout_uses(template: str, locale: str) -> None:
    assert {"name", "cta_url", "recommendations", "unsubscribe_url"} <= used_variables(template, "email", locale)


def test_a_variable_used_only_in_the_layout_is_counted(templates: dict[str, str]) -> None:
    email(templates, "{{ name }}{% block body %}{% endblock %}{{ recommendations }}")
    assert used_variables("t", "email", "en") == {"brand", "name", "recommendations"}


def test_an_unknown_variable_used_only_in_the_layout_fails_the_load_check(templates: dict[str, str]) -> None:
    email(templates, "{% block body %}{% endblock %}{{ recomendations }}")
    with pytest.raises(TemplateProblem, match=r"_layout/en/email\.html \(used by t/en/email\.html\).*recomendations"):
        check_templates("campaign c", {"t"}, ["email"])


def test_an_unknown_variable_in_an_imported_macro_file_fails_the_load_check(templates: dict[str, str]) -> None:
    email(templates, "{% block body %}{% endblock %}")
    for locale in available_locales():
        templates[f"{LAYOUT_DIR}/{locale}/box.html"] = "{% macro box() %}{{ cuopon }}{% endmacro %}"
        templates[f"t/{locale}/email.html"] = (
            f'{{% extends "{LAYOUT_DIR}/{locale}/email.html" %}}'
            f'{{% block body %}}{{% from "{LAYOUT_DIR}/{locale}/box.html" import box %}}{{{{ box() }}}}{{% endblock %}}'
        )
    with pytest.raises(TemplateProblem, match="cuopon"):
        check_templates("campaign c", {"t"}, ["email"])


def test_a_missing_layout_fails_the_load_check(templates: dict[str, str]) -> None:
    email(templates, "{% block body %}{% endblock %}")
    del templates[f"{LAYOUT_DIR}/zh-CN/email.txt"]
    with pytest.raises(TemplateProblem, match=r"campaign c: missing template _layout/zh-CN/email\.txt"):
        check_templates("campaign c", {"t"}, ["email"])


def test_a_layout_named_by_a_computed_value_fails_the_load_check(templates: dict[str, str]) -> None:
    email(templates, "{% block body %}{% endblock %}")
    templates["t/en/email.html"] = '{% extends "_layout/" ~ brand ~ "/email.html" %}'
    with pytest.raises(TemplateProblem, match="computed name"):
        check_templates("campaign c", {"t"}, ["email"])


def test_the_shipped_layouts_pass_the_load_check() -> None:
    check_templates("campaign all", shipped_templates(), ["email", "sms", "push", "inbox"])


@pytest.mark.parametrize(("template", "locale"), SHIPPED)
def test_an_email_with_recommendations_shows_them(template: str, locale: str) -> None:
    values: dict[str, object] = {name: None for name in rendering.VARIABLES}
    values |= {
        "name": "Ada",
        "brand": "Acme",
        "cta_url": "https://shop.example.com/",
        "unsubscribe_url": "https://api.example.com/unsubscribe?token=t",
        "campaign_id": "c",
        "recommendations": TWO_PICKS,
    }
    out = render(template, "email", locale, values)
    for item, url in URLS.items():
        assert f'<a href="{url}" style="color:#c2410c">{item}' in out.html
        assert f"{item}" in out.text and url in out.text
    assert out.html.index(URLS["sku-12"]) < out.html.index(URLS["sku-7"]) < out.html.index("token=t")


@pytest.mark.parametrize(("template", "locale"), SHIPPED)
def test_a_catalog_item_shows_its_name_image_and_price(template: str, locale: str) -> None:
    """Guard: the layouts show the catalog's name, image and formatted price (not the raw id)."""
    values: dict[str, object] = {name: None for name in rendering.VARIABLES}
    known = {
        "item_id": "sku-12",
        "category": "shoes",
        "url": URLS["sku-12"],
        "name": "Trail Runner 2",
        "image_url": "https://cdn.example.com/sku-12.jpg",
        "price": "$89.00",
    }
    values |= {
        "name": "Ada",
        "brand": "Acme",
        "cta_url": "https://shop.example.com/",
        "unsubscribe_url": "https://api.example.com/unsubscribe?token=t",
        "campaign_id": "c",
        "recommendations": [known, TWO_PICKS[1]],
    }
    out = render(template, "email", locale, values)
    assert f'<a href="{URLS["sku-12"]}" style="color:#c2410c">Trail Runner 2</a> · $89.00' in out.html
    assert '<img src="https://cdn.example.com/sku-12.jpg" alt="Trail Runner 2"' in out.html
    assert "Trail Runner 2" in out.text and "$89.00" in out.text
    assert "- sku-12" not in out.text and ">sku-12" not in out.html
    assert f'<a href="{URLS["sku-7"]}" style="color:#c2410c">sku-7</a>' in out.html  # unknown: the id
