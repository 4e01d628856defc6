"""The small HTML pages of the unsubscribe flow, in the user's language (pure)."""

from __future__ import annotations

from html import escape

TEXT = {
    "en": {
        "confirm_title": "Unsubscribe",
        "confirm_body": "Click the button to stop receiving these messages from {brand}.",
        "button": "Unsubscribe",
        "done_title": "You are unsubscribed",
        "done_body": "You will not receive these messages from {brand} any more.",
        "bad_title": "This link is not valid",
        "bad_body": (
            "The unsubscribe link is broken or has expired. Reply to one of our messages and we will remove you."
        ),
    },
    "zh-CN": {
        "confirm_title": "退订",
        "confirm_body": "点击下方按钮，不再接收 {brand} 的此类消息。",
        "button": "确认退订",
        "done_title": "退订成功",
        "done_body": "你将不再收到 {brand} 的此类消息。",
        "bad_title": "链接无效",
        "bad_body": "退订链接已损坏或已过期。回复我们的任意一条消息，我们会为你退订。",
    },
}


def _page(locale: str, title: str, body: str) -> str:
    return (
        f'<!doctype html><html lang="{escape(locale)}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{escape(title)}</title></head>"
        '<body style="font-family:sans-serif;max-width:480px;margin:3em auto">'
        f"<h1>{escape(title)}</h1>{body}</body></html>"
    )


def confirm_page(locale: str, brand: str, token: str) -> str:
    t = TEXT[locale]
    form = (
        f"<p>{escape(t['confirm_body'].format(brand=brand))}</p>"
        f'<form method="post" action="?token={escape(token, quote=True)}">'
        f'<input type="hidden" name="List-Unsubscribe" value="One-Click">'
        f'<button type="submit">{escape(t["button"])}</button></form>'
    )
    return _page(locale, t["confirm_title"], form)


def done_page(locale: str, brand: str) -> str:
    t = TEXT[locale]
    return _page(locale, t["done_title"], f"<p>{escape(t['done_body'].format(brand=brand))}</p>")


def invalid_page(locale: str) -> str:
    t = TEXT[locale]
    return _page(locale, t["bad_title"], f"<p>{escape(t['bad_body'])}</p>")
