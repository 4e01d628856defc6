"""content/rendering.py: locale resolution, jinja2 rendering, template validation."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from jinja2 import DictLoader, StrictUndefined, select_autoescape
from jinja2.sandbox import SandboxedEnvironment

from winback.config.loader import parse_program, validate_templates
from winback.config.program import Program
from winback.content import rendering
from winback.content.locales import resolve_locale
from winback.content.rendering import TemplateProblem, render


def variables(**overrides: str) -> dict[str, object]:
    values: dict[str, object] = {
        "name": "Ada",
        "brand": "Acme Shop",
        "cta_url": "https://shop.example.com/?c=1",
        "unsubscribe_url": "https://shop.example.com/unsubscribe?token=abc",
        "preferences_url": "https://shop.example.com/preferences?token=def",
        "campaign_id": "lapsing-nudge",
        "coupon": None,
        "recommendations": None,
        "reason_urls": None,
    }
    values.update(overrides)
    return values


@pytest.mark.parametrize(
    ("requested", "expected"),
    [
        ("zh", "zh-CN"),
        ("zh_CN", "zh-CN"),
        ("zh-CN", "zh-CN"),
        ("zh-TW", "zh-CN"),
        ("zh-Hant-HK", "zh-CN"),
        ("ZH", "zh-CN"),
        ("en", "en"),
        ("en-GB", "en"),
        ("en_US", "en"),
        ("fr", "default"),
        ("fr-CA", "default"),
        ("", "default"),
        (None, "default"),
    ],
)
def test_resolve_locale_maps_to_closest_shipped_locale(requested: str | None, expected: str) -> None:
    assert resolve_locale(requested, "default") == expected


@pytest.mark.parametrize("template", ["nostalgic", "offer", "question"])
@pytest.mark.parametrize("locale", ["en", "zh-CN"])
def test_email_render_has_subject_html_and_text(template: str, locale: str) -> None:
    out = render(template, "email", locale, variables())
    assert "Ada" in out.subject or template != "nostalgic"
    assert out.subject == out.subject.strip()
    assert "\n" not in out.subject
    assert out.html.startswith("<!doctype html>")
    assert f'lang="{locale}"' in out.html
    assert "https://shop.example.com/unsubscribe?token=abc" in out.html
    assert "https://shop.example.com/unsubscribe?token=abc" in out.text
    assert "<" not in out.text


def test_html_is_autoescaped_but_text_and_subject_are_not() -> None:
    out = render("nostalgic", "email", "en", variables(name="<script>x</script>", brand="<script>alert(1)</script>"))
    assert "<script>" not in out.html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in out.html
    assert "<script>alert(1)</script>" in out.text
    assert "<script>x</script>" in out.subject


def test_html_escapes_quotes_in_attribute_urls() -> None:
    out = render("offer", "email", "en", variables(cta_url='https://x.example/"onmouseover="alert(1)'))
    assert '"onmouseover="' not in out.html
    assert "&#34;onmouseover=&#34;" in out.html


@pytest.mark.parametrize(
    ("locale", "suffix"),
    [("zh-CN", "回复TD退订"), ("en", "Reply STOP to opt out")],
)
@pytest.mark.parametrize("template", ["nostalgic", "offer", "question"])
def test_sms_ends_with_locale_opt_out(template: str, locale: str, suffix: str) -> None:
    out = render(template, "sms", locale, variables())
    assert out.text.endswith(" " + suffix)
    assert "Ada" in out.text
    assert out.subject == ""
    assert out.html == ""


def test_push_is_text_only_without_opt_out_suffix() -> None:
    out = render("nostalgic", "push", "en", variables())
    assert out.text == "We miss you, Ada - see what's new at Acme Shop"
    assert (out.subject, out.html) == ("", "")


def test_missing_variable_raises_instead_of_rendering_blank() -> None:
    values = variables()
    del values["name"]
    with pytest.raises(TemplateProblem, match="name"):
        render("nostalgic", "email", "en", values)


def test_validate_templates_passes_for_shipped_program(program: Program) -> None:
    validate_templates(program)


def test_validate_templates_rejects_a_missing_template(program_data: dict[str, Any]) -> None:
    program_data["campaigns"][0]["steps"].append({"template": "does-not-exist"})
    program = parse_program(yaml.safe_dump(program_data))
    with pytest.raises(TemplateProblem, match="does-not-exist"):
        validate_templates(program)


def test_validate_templates_rejects_a_missing_channel_file(
    program_data: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    files = {
        f"t/{loc}/{f}": "{{ brand }}" for loc in ("en", "zh-CN") for f in ("subject.txt", "email.html", "email.txt")
    }
    monkeypatch.setattr(rendering, "_environment", lambda: _dict_env(files))
    program_data["campaigns"] = [
        {"id": "c", "tiers": ["lapsing"], "channels": ["email", "sms"], "steps": [{"template": "t"}]}
    ]
    program = parse_program(yaml.safe_dump(program_data))
    with pytest.raises(TemplateProblem, match=r"t/en/sms\.txt"):
        validate_templates(program)


def test_validate_templates_rejects_unknown_variable(
    program_data: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    files = {f"t/{loc}/sms.txt": "{{ brand }} {{ cuopon }}" for loc in ("en", "zh-CN")}
    monkeypatch.setattr(rendering, "_environment", lambda: _dict_env(files))
    program_data["campaigns"] = [{"id": "c", "tiers": ["lapsing"], "channels": ["sms"], "steps": [{"template": "t"}]}]
    program = parse_program(yaml.safe_dump(program_data))
    with pytest.raises(TemplateProblem, match="cuopon"):
        validate_templates(program)


def _dict_env(files: dict[str, str]) -> SandboxedEnvironment:
    return SandboxedEnvironment(
        loader=DictLoader(files),
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
        undefined=StrictUndefined,
    )


def test_sandbox_blocks_unsafe_attribute_access(monkeypatch: pytest.MonkeyPatch) -> None:
    from jinja2.exceptions import SecurityError

    files = {"evil/en/push.txt": "{{ name.__class__.__mro__[1].__subclasses__() }}"}
    monkeypatch.setattr(rendering, "_environment", lambda: _dict_env(files))
    with pytest.raises(SecurityError):
        render("evil", "push", "en", variables())


def test_shipped_environment_is_sandboxed_and_strict() -> None:
    env = rendering._environment()
    assert isinstance(env, SandboxedEnvironment)
    assert env.undefined is StrictUndefined


def test_used_variables_tell_the_sender_what_to_compute() -> None:
    from winback.content.rendering import used_variables

    assert "reason_urls" in used_variables("question", "email", "en")
    assert "recommendations" in used_variables("offer", "email", "zh-CN")
    assert not {"recommendations", "reason_urls"} & used_variables("offer", "sms", "en")
    assert not {"recommendations", "reason_urls"} & used_variables("question", "inbox", "zh-CN")
