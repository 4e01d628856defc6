"""The small HTML pages of the reason links, in the user's language (pure).

The confirmation page posts the token back in the form body: a GET only ever shows it.
"""

from __future__ import annotations

from html import escape

from winback.domain.journey.reasons import Answer
from winback.web.pages import _page as page

LABELS: dict[str, dict[Answer, str]] = {
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

TEXT = {
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


def confirm_page(locale: str, brand: str, reason: Answer, token: str) -> str:
    t = TEXT[locale]
    body = (
        f"<p>{escape(t['confirm_body'].format(label=LABELS[locale][reason], brand=brand))}</p>"
        '<form method="post">'
        f'<input type="hidden" name="token" value="{escape(token, quote=True)}">'
        f'<button type="submit">{escape(t["button"])}</button></form>'
    )
    return page(locale, t["confirm_title"], body)


def thanks_page(locale: str, brand: str, reason: Answer) -> str:
    t = TEXT[locale]
    body = f"<p>{escape(t['done_body'].format(brand=brand))}</p>"
    if reason == "privacy":
        body += f"<p>{escape(t['privacy_done'])}</p>"
    return page(locale, t["done_title"], body)


def invalid_page(locale: str) -> str:
    t = TEXT[locale]
    return page(locale, t["bad_title"], f"<p>{escape(t['bad_body'])}</p>")
