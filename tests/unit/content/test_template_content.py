"""The shipped win-back templates: every template x locale x channel renders well with and without an offer.

Rendered through `winback.content.rendering.render` with realistic values. SMS carries a short link:
the full utm URL alone is longer than a zh-CN SMS segment, so the sender must shorten SMS links.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml

from winback.config.campaigns import ChannelName
from winback.config.loader import load_program, parse_program, validate_templates
from winback.content.locales import available_locales, sms_opt_out
from winback.content.rendering import Rendered, render

TEMPLATES = ("nostalgic", "offer", "question", "lastchance", "apology")
CHANNELS: tuple[ChannelName, ...] = ("email", "sms", "push", "inbox")
REASONS = ("need_changed", "bad_experience", "competitor", "forgot", "too_many_messages", "privacy")

CODE = "WB-7KQ2-M9XD-4TPR-A3CJ"
EXPIRES = "2026-12-09"
AMOUNT = {"en": "$10.00", "zh-CN": "¥10.00"}
NAME = {"en": "Alexandra", "zh-CN": "晓明"}
CTA_URL = "https://acme.co/r/7Kq2Mx9"
UNSUBSCRIBE_URL = "https://api.acme.co/unsubscribe?token=eyJ1IjoidTEifQ.c2ln"
PREFERENCES_URL = "https://api.acme.co/preferences?token=eyJ1IjoidTIifQ.c2ln"
ITEMS: tuple[tuple[str, str | None], ...] = (("sku-12", "shoes"), ("sku-7", None), ("sku-31", "bags"))
RECOMMENDATIONS = [{"item_id": i, "category": c, "url": f"https://shop.example.com/p/{i}"} for i, c in ITEMS]
REASON_URLS = {reason: f"https://api.acme.co/reasons?token=t.{reason}" for reason in REASONS}

SMS_LIMIT = {"en": 140, "zh-CN": 70}
PUSH_LIMIT = 120
RECOMMENDATIONS_HEADING = {"en": "Picked for you", "zh-CN": "为你精选"}
COUPON_WORDING = {
    "en": re.compile(r"\b(code|coupon|off|expires?|discount|voucher)\b", re.IGNORECASE),
    "zh-CN": re.compile("券|优惠|折扣|立减|有效|到期"),
}
# GSM 03.38 basic character set: one non-GSM character switches an SMS to UCS-2 and 70-character segments.
GSM7 = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_TAG = re.compile(r"<[^>]+>")

LOCALES = available_locales()
ALL = [(t, loc, ch) for t in TEMPLATES for loc in LOCALES for ch in CHANNELS]
PER_LOCALE = [(t, loc) for t in TEMPLATES for loc in LOCALES]


def variables(locale: str, *, full: bool, **overrides: Any) -> dict[str, Any]:
    """What the sender passes: with `full`, a coupon, recommendations and reason links; else those are None."""
    values: dict[str, Any] = {
        "name": NAME[locale],
        "brand": "Acme Shop",
        "campaign_id": "dormant-offer",
        "cta_url": CTA_URL,
        "unsubscribe_url": UNSUBSCRIBE_URL,
        "preferences_url": PREFERENCES_URL,
        "coupon": {"code": CODE, "amount": AMOUNT[locale], "expires": EXPIRES} if full else None,
        "recommendations": RECOMMENDATIONS if full else None,
        "reason_urls": REASON_URLS if full else None,
    }
    values.update(overrides)
    return values


def visible(out: Rendered) -> list[str]:
    """What the reader sees: subject, HTML without its tags, and text."""
    return [out.subject, _TAG.sub(" ", out.html), out.text]


def sms_body(out: Rendered, locale: str) -> str:
    """The SMS as the template wrote it, without the opt-out suffix the sender appends."""
    suffix = f" {sms_opt_out(locale)}"
    assert out.text.endswith(suffix)
    return out.text.removesuffix(suffix)


@pytest.mark.parametrize("full", [True, False], ids=["all-set", "optional-none"])
@pytest.mark.parametrize(("template", "locale", "channel"), ALL)
def test_renders_without_none_or_template_syntax(template: str, locale: str, channel: ChannelName, full: bool) -> None:
    out = render(template, channel, locale, variables(locale, full=full))
    assert out.text
    for part in (out.subject, out.html, out.text):
        assert "None" not in part
        assert "{{" not in part
        assert "{%" not in part
        assert "{#" not in part


@pytest.mark.parametrize(("template", "locale", "channel"), ALL)
def test_coupon_code_amount_and_expiry_appear_when_set(template: str, locale: str, channel: ChannelName) -> None:
    out = render(template, channel, locale, variables(locale, full=True))
    bodies = [out.html, out.text] if channel == "email" else [out.text]
    for body in bodies:
        assert CODE in body
        assert AMOUNT[locale] in body
        assert EXPIRES in body


@pytest.mark.parametrize(("template", "locale", "channel"), ALL)
def test_no_coupon_wording_without_a_coupon(template: str, locale: str, channel: ChannelName) -> None:
    out = render(template, channel, locale, variables(locale, full=False))
    for part in visible(out):
        assert not COUPON_WORDING[locale].search(part), part


@pytest.mark.parametrize("locale", LOCALES)
def test_lastchance_subject_names_the_amount_and_expiry(locale: str) -> None:
    out = render("lastchance", "email", locale, variables(locale, full=True))
    assert AMOUNT[locale] in out.subject
    assert EXPIRES in out.subject


@pytest.mark.parametrize("locale", LOCALES)
def test_question_email_offers_every_reason_as_a_link(locale: str) -> None:
    out = render("question", "email", locale, variables(locale, full=True))
    for url in REASON_URLS.values():
        assert f'href="{url}"' in out.html
        assert url in out.text


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("channel", ["sms", "push", "inbox"])
def test_question_short_channels_link_to_the_cta_only(locale: str, channel: ChannelName) -> None:
    out = render("question", channel, locale, variables(locale, full=True))
    assert not any(url in out.text for url in REASON_URLS.values())


# A zh-CN SMS with a coupon has no room for a link next to brand, code, amount and expiry (70 characters):
# the code is its call to action.
SMS_WITH_LINK = [(t, loc, full) for t, loc in PER_LOCALE for full in (True, False) if not (full and loc == "zh-CN")]


@pytest.mark.parametrize(("template", "locale", "full"), SMS_WITH_LINK)
def test_sms_links_to_the_cta(template: str, locale: str, full: bool) -> None:
    body = sms_body(render(template, "sms", locale, variables(locale, full=full)), locale)
    assert body.endswith(CTA_URL)


@pytest.mark.parametrize(("template", "locale"), PER_LOCALE)
def test_email_lists_recommendations_when_set(template: str, locale: str) -> None:
    out = render(template, "email", locale, variables(locale, full=True))
    for body in (out.html, out.text):
        assert RECOMMENDATIONS_HEADING[locale] in body
        for item_id, category in ITEMS:
            assert item_id in body
            assert f"https://shop.example.com/p/{item_id}" in body
            if category:
                assert category in body
    assert '<a href="https://shop.example.com/p/sku-12"' in out.html


@pytest.mark.parametrize(("template", "locale"), PER_LOCALE)
def test_email_has_no_recommendations_heading_without_recommendations(template: str, locale: str) -> None:
    out = render(template, "email", locale, variables(locale, full=True, recommendations=[]))
    assert RECOMMENDATIONS_HEADING[locale] not in out.html
    assert RECOMMENDATIONS_HEADING[locale] not in out.text


@pytest.mark.parametrize(("template", "locale"), PER_LOCALE)
def test_html_escapes_a_hostile_name(template: str, locale: str) -> None:
    out = render(template, "email", locale, variables(locale, full=True, name="<script>alert(1)</script>"))
    assert "<script>" not in out.html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in out.html


@pytest.mark.parametrize("full", [True, False], ids=["all-set", "optional-none"])
@pytest.mark.parametrize(("template", "locale"), PER_LOCALE)
def test_every_email_has_cta_button_unsubscribe_and_preference_links_and_lang(
    template: str, locale: str, full: bool
) -> None:
    out = render(template, "email", locale, variables(locale, full=full))
    assert out.html.startswith("<!doctype html>")
    assert f'<html lang="{locale}">' in out.html
    assert re.search(rf'<a href="{re.escape(CTA_URL)}" style="display:inline-block;[^"]*background:', out.html)
    assert CTA_URL in out.text
    assert f'href="{UNSUBSCRIBE_URL}"' in out.html
    assert UNSUBSCRIBE_URL in out.text
    assert f'href="{PREFERENCES_URL}"' in out.html
    assert PREFERENCES_URL in out.text
    assert "\n" not in out.subject


@pytest.mark.parametrize(("template", "locale"), PER_LOCALE)
def test_html_loads_nothing_external(template: str, locale: str) -> None:
    html = render(template, "email", locale, variables(locale, full=True)).html
    for marker in ("<img", "<link", "<script", "<style", "src=", "url(", "@import", "@font-face"):
        assert marker not in html.lower()


@pytest.mark.parametrize("full", [True, False], ids=["all-set", "optional-none"])
@pytest.mark.parametrize(("template", "locale"), PER_LOCALE)
def test_sms_is_one_short_line(template: str, locale: str, full: bool) -> None:
    body = sms_body(render(template, "sms", locale, variables(locale, full=full)), locale)
    assert "\n" not in body
    assert len(body) < SMS_LIMIT[locale], body


@pytest.mark.parametrize("full", [True, False], ids=["all-set", "optional-none"])
@pytest.mark.parametrize("template", TEMPLATES)
def test_en_sms_stays_in_the_gsm7_alphabet(template: str, full: bool) -> None:
    text = render(template, "sms", "en", variables("en", full=full)).text
    assert set(text) <= GSM7, sorted(set(text) - GSM7)


@pytest.mark.parametrize("full", [True, False], ids=["all-set", "optional-none"])
@pytest.mark.parametrize("channel", ["push", "inbox"])
@pytest.mark.parametrize(("template", "locale"), PER_LOCALE)
def test_push_and_inbox_bodies_stay_short(template: str, locale: str, channel: ChannelName, full: bool) -> None:
    out = render(template, channel, locale, variables(locale, full=full))
    assert "\n" not in out.text
    assert len(out.text) < PUSH_LIMIT, out.text


def test_shipped_program_validates() -> None:
    validate_templates(load_program())


def test_every_template_validates_on_every_channel(program_data: dict[str, Any]) -> None:
    program_data["campaigns"] = [
        {
            "id": "all-templates",
            "tiers": [program_data["dormancy"]["tiers"][0]["name"]],
            "channels": list(CHANNELS),
            "steps": [{"template": template} for template in TEMPLATES],
        }
    ]
    validate_templates(parse_program(yaml.safe_dump(program_data, allow_unicode=True)))
