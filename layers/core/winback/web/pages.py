"""The small HTML pages behind the links in our messages, in the user's language (pure): the
unsubscribe link and the reason ("why did you leave?") links, in the shared page shell (shell.py);
the preference page is in preferences.py.

A GET only ever shows a confirmation page; its button posts (RFC 8058 one-click for unsubscribe,
the token in the form body for a reason).
"""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING

from winback.content.locales import resolve_locale
from winback.web.shell import page

if TYPE_CHECKING:
    from winback.domain.journey.reasons import Answer
    from winback.models.profile import Profile

UNSUBSCRIBE_TEXT = {
    "en": {
        "confirm_title": "Unsubscribe",
        "confirm_body": "Click the button to stop receiving these messages from {brand}.",
        "button": "Unsubscribe",
        "done_title": "You are unsubscribed",
        "done_body": "You will not receive these messages from {brand} any more.",
        "bad_title": "This link is not valid",
        "bad_body": (
            "The unsubscribe link is broken or has expired, and nothing was changed. Use the unsubscribe link"
            " in our most recent message, or your mail app's Unsubscribe button."
        ),
    },
    "zh-CN": {
        "confirm_title": "退订",
        "confirm_body": "点击下方按钮，不再接收 {brand} 的此类消息。",
        "button": "确认退订",
        "done_title": "退订成功",
        "done_body": "你将不再收到 {brand} 的此类消息。",
        "bad_title": "链接无效",
        "bad_body": (
            "退订链接已损坏或已过期，未做任何更改。请使用我们最近一封邮件中的退订链接，或邮件应用中的“退订”按钮。"
        ),
    },
}

REASON_LABELS: dict[str, dict[Answer, str]] = {
    "en": {
        "need_changed": "I don't need it any more",
        "bad_experience": "I had a bad experience",
        "competitor": "I use something else now",
        "forgot": "I forgot about it",
        "too_many_messages": "You sent me too many messages",
        "privacy": "I'm worried about my privacy",
    },
    "zh-CN": {
        "need_changed": "我不再需要了",
        "bad_experience": "使用体验不好",
        "competitor": "我改用其他产品了",
        "forgot": "我忘了",
        "too_many_messages": "消息太多了",
        "privacy": "担心隐私",
    },
}

REASON_TEXT = {
    "en": {
        "confirm_title": "Why did you leave?",
        "confirm_body": "Your answer: {label}. Send it to {brand}?",
        "button": "Send my answer",
        "done_title": "Thank you",
        "done_body": "Thanks for telling {brand}. Your answer helps us do better.",
        "privacy_done": "We will not send you marketing messages any more.",
        "bad_title": "This link is not valid",
        "bad_body": "The link is broken or has expired. Nothing was recorded.",
    },
    "zh-CN": {
        "confirm_title": "你为什么离开？",
        "confirm_body": "你的回答：{label}。发送给 {brand}？",
        "button": "提交回答",
        "done_title": "谢谢",
        "done_body": "感谢你告诉 {brand}，你的回答能帮助我们做得更好。",
        "privacy_done": "我们将不再向你发送营销消息。",
        "bad_title": "链接无效",
        "bad_body": "链接已损坏或已过期，未记录任何内容。",
    },
}


def page_locale(profile: Profile | None, default: str) -> str:
    """The language to show this user a page in: theirs where we speak it, else the program's default."""
    locale = resolve_locale(profile.locale if profile else None, default)
    return locale if locale in UNSUBSCRIBE_TEXT and locale in REASON_TEXT else "en"


# --- unsubscribe -----------------------------------------------------------------------------------
def unsubscribe_confirm_page(locale: str, brand: str, token: str) -> str:
    t = UNSUBSCRIBE_TEXT[locale]
    form = (
        f"<p>{escape(t['confirm_body'].format(brand=brand))}</p>"
        f'<form method="post" action="?token={escape(token, quote=True)}">'
        f'<input type="hidden" name="List-Unsubscribe" value="One-Click">'
        f'<button type="submit">{escape(t["button"])}</button></form>'
    )
    return page(locale, t["confirm_title"], form)


def unsubscribed_page(locale: str, brand: str) -> str:
    t = UNSUBSCRIBE_TEXT[locale]
    return page(locale, t["done_title"], f"<p>{escape(t['done_body'].format(brand=brand))}</p>")


def unsubscribe_invalid_page(locale: str) -> str:
    t = UNSUBSCRIBE_TEXT[locale]
    return page(locale, t["bad_title"], f"<p>{escape(t['bad_body'])}</p>")


# --- reasons ---------------------------------------------------------------------------------------
def reason_confirm_page(locale: str, brand: str, reason: Answer, token: str) -> str:
    t = REASON_TEXT[locale]
    body = (
        f"<p>{escape(t['confirm_body'].format(label=REASON_LABELS[locale][reason], brand=brand))}</p>"
        '<form method="post">'
        f'<input type="hidden" name="token" value="{escape(token, quote=True)}">'
        f'<button type="submit">{escape(t["button"])}</button></form>'
    )
    return page(locale, t["confirm_title"], body)


def reason_thanks_page(locale: str, brand: str, reason: Answer) -> str:
    t = REASON_TEXT[locale]
    body = f"<p>{escape(t['done_body'].format(brand=brand))}</p>"
    if reason == "privacy":
        body += f"<p>{escape(t['privacy_done'])}</p>"
    return page(locale, t["done_title"], body)


def reason_invalid_page(locale: str) -> str:
    t = REASON_TEXT[locale]
    return page(locale, t["bad_title"], f"<p>{escape(t['bad_body'])}</p>")
