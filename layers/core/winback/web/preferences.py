"""The preference page behind every email's footer link, in the user's language (pure): get fewer
messages, pause everything for 30 or 90 days, choose channels, unsubscribe from all, and optionally
say why. GET shows it and changes nothing; each form posts one choice (routes in
functions/preferences/app.py); the page after a post says what changed and offers the reason question.

Every form is its own `<form>` with the token in a hidden field, so pressing Enter in one never submits
another's choice, and every control is a native button, checkbox or radio with a label."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from html import escape
from typing import TYPE_CHECKING

from winback.domain.journey.preferences import choosable_channels, paused_until
from winback.domain.journey.quiet_hours import zone_for
from winback.domain.journey.reasons import ANSWERS
from winback.web.pages import REASON_LABELS
from winback.web.shell import page

if TYPE_CHECKING:
    from winback.config.campaigns import ChannelName
    from winback.domain.journey.preferences import Choice
    from winback.domain.journey.reasons import Answer
    from winback.models.preferences import OwnCap
    from winback.models.profile import Profile

PREFERENCE_TEXT: dict[str, dict[str, str]] = {
    "en": {
        "title": "Your messages from {brand}",
        "intro": "Choose what suits you. Each choice takes effect at once.",
        "often": "How often",
        "fewer_hint": "Rather hear from us less? We will send at most {cap}.",
        "fewer": "Send me fewer: at most {cap}",
        "usual": "Back to the usual number",
        "break": "Take a break",
        "pause_30": "Pause everything for 30 days",
        "pause_90": "Pause everything for 90 days",
        "resume": "Resume now",
        "channels": "Where we reach you",
        "channels_hint": "Untick what you do not want.",
        "channels_save": "Save channels",
        "why": "Tell us why (optional)",
        "why_send": "Send my answer",
        "leave": "Leave",
        "leave_hint": "Stop every message from {brand}, on every channel.",
        "leave_button": "Unsubscribe from all",
        "now_fewer": "You get at most {cap}.",
        "now_paused": "Messages are paused until {date}.",
        "now_none": "You get no messages from {brand}.",
        "done_title": "Saved",
        "done_fewer": "From now on you get at most {cap}.",
        "done_usual": "You get the usual number of messages again.",
        "done_pause": "Messages are paused until {date}.",
        "done_resume": "Your pause has ended.",
        "done_channels": "Your channels are saved.",
        "done_unsubscribe_all": "You are unsubscribed from every message from {brand}.",
        "done_same": "That was already your choice; nothing needed to change.",
        "done_reason": "Thanks for telling us why.",
        "done_privacy": "We will not send you marketing messages any more.",
        "back": "Change your choices",
        "bad_title": "This link is not valid",
        "bad_body": (
            "The link is broken or has expired, and nothing was changed. Use the preferences link in our most"
            " recent message."
        ),
        "bad_form_title": "That choice was not understood",
        "bad_form_body": "Nothing was changed. Go back and choose again.",
        "one": "1 message every {days} days",
        "many": "{n} messages every {days} days",
        "email": "Email",
        "sms": "Text messages (SMS)",
        "push": "Notifications on your phone",
        "inbox": "Messages in the app",
    },
    "zh-CN": {
        "title": "你收到的 {brand} 消息",
        "intro": "选择适合你的方式，每项选择立即生效。",
        "often": "消息频率",
        "fewer_hint": "希望少收一些？我们最多发送{cap}。",
        "fewer": "减少消息：最多{cap}",
        "usual": "恢复正常频率",
        "break": "暂停一段时间",
        "pause_30": "暂停全部消息 30 天",
        "pause_90": "暂停全部消息 90 天",
        "resume": "立即恢复",
        "channels": "接收渠道",
        "channels_hint": "取消勾选你不想要的渠道。",
        "channels_save": "保存渠道",
        "why": "告诉我们原因（可选）",
        "why_send": "提交回答",
        "leave": "退订",
        "leave_hint": "停止接收 {brand} 在所有渠道上的全部消息。",
        "leave_button": "全部退订",
        "now_fewer": "你最多收到{cap}。",
        "now_paused": "消息已暂停至 {date}。",
        "now_none": "你目前不会收到 {brand} 的消息。",
        "done_title": "已保存",
        "done_fewer": "从现在起，你最多收到{cap}。",
        "done_usual": "你将恢复正常频率接收消息。",
        "done_pause": "消息已暂停至 {date}。",
        "done_resume": "暂停已结束。",
        "done_channels": "接收渠道已保存。",
        "done_unsubscribe_all": "你已退订 {brand} 的全部消息。",
        "done_same": "这已经是你的选择，无需更改。",
        "done_reason": "感谢你告诉我们原因。",
        "done_privacy": "我们将不再向你发送营销消息。",
        "back": "更改你的选择",
        "bad_title": "链接无效",
        "bad_body": "链接已损坏或已过期，未做任何更改。请使用我们最近一封邮件中的偏好设置链接。",
        "bad_form_title": "无法识别该选择",
        "bad_form_body": "未做任何更改。请返回重新选择。",
        "one": "每 {days} 天 1 条消息",
        "many": "每 {days} 天 {n} 条消息",
        "email": "电子邮件",
        "sms": "短信",
        "push": "手机通知",
        "inbox": "应用内消息",
    },
}


@dataclass(frozen=True)
class PageContext:
    """What every preference page is about: whose link, in which language, and what "fewer" means."""

    locale: str
    brand: str
    token: str
    fewer: OwnCap
    now: datetime


def _raw(ctx: PageContext, key: str, **values: str) -> str:
    """The text `key` in the page's language, with `brand` and `values` filled in (not escaped)."""
    return PREFERENCE_TEXT[ctx.locale][key].format(brand=ctx.brand, **values)


def _t(ctx: PageContext, key: str, **values: str) -> str:
    """`_raw`, escaped for HTML."""
    return escape(_raw(ctx, key, **values))


def _cap(ctx: PageContext, cap: OwnCap) -> str:
    text = PREFERENCE_TEXT[ctx.locale]
    if cap.max_messages == 1:
        return text["one"].format(days=cap.window_days)
    return text["many"].format(n=cap.max_messages, days=cap.window_days)


def _date(ctx: PageContext, at: datetime, profile: Profile | None) -> str:
    local = at.astimezone(zone_for(profile.time_zone if profile else None, "UTC")).date()
    if ctx.locale == "zh-CN":
        return f"{local.year}年{local.month}月{local.day}日"
    return f"{local.day} {local:%B} {local.year}"


def _form(ctx: PageContext, legend: str, inner: str) -> str:
    token = escape(ctx.token, quote=True)
    return (
        f'<form method="post"><input type="hidden" name="token" value="{token}">'
        f"<fieldset><legend>{legend}</legend>{inner}</fieldset></form>"
    )


def _button(label: str, choice: str | None = None, css: str = "") -> str:
    name = f' name="choice" value="{escape(choice, quote=True)}"' if choice else ""
    klass = f' class="{css}"' if css else ""
    return f'<button type="submit"{name}{klass}>{label}</button>'


def _status(ctx: PageContext, profile: Profile) -> str:
    lines = []
    until = paused_until(profile, ctx.now)
    if until is not None:
        lines.append(_t(ctx, "now_paused", date=_date(ctx, until, profile)))
    cap = profile.preferences.cap if profile.preferences is not None else None
    if cap is not None:
        lines.append(_t(ctx, "now_fewer", cap=_cap(ctx, cap)))
    return "".join(f'<p class="status">{line}</p>' for line in lines)


def _often_form(ctx: PageContext, profile: Profile) -> str:
    has_cap = profile.preferences is not None and profile.preferences.cap is not None
    fewer = _cap(ctx, ctx.fewer)
    inner = (
        _button(_t(ctx, "usual"), "usual", "quiet")
        if has_cap
        else f"<p>{_t(ctx, 'fewer_hint', cap=fewer)}</p>" + _button(_t(ctx, "fewer", cap=fewer), "fewer")
    )
    return _form(ctx, _t(ctx, "often"), inner)


def _break_form(ctx: PageContext, profile: Profile) -> str:
    inner = _button(_t(ctx, "pause_30"), "pause_30") + _button(_t(ctx, "pause_90"), "pause_90")
    if paused_until(profile, ctx.now) is not None:
        inner += _button(_t(ctx, "resume"), "resume", "quiet")
    return _form(ctx, _t(ctx, "break"), inner)


def _channels_form(ctx: PageContext, profile: Profile, channels: Sequence[ChannelName]) -> str:
    off = set(profile.preferences.channels_off) if profile.preferences is not None else set()
    boxes = "".join(
        f'<label><input type="checkbox" name="channel" value="{ch}"{"" if ch in off else " checked"}>'
        f"{_t(ctx, ch)}</label>"
        for ch in channels
    )
    inner = f"<p>{_t(ctx, 'channels_hint')}</p>{boxes}" + _button(_t(ctx, "channels_save"), "channels")
    return _form(ctx, _t(ctx, "channels"), inner)


def reason_form(ctx: PageContext) -> str:
    """The question email's answers, as one optional radio group."""
    labels = REASON_LABELS[ctx.locale]
    radios = "".join(
        f'<label><input type="radio" name="reason" value="{answer}">{escape(labels[answer])}</label>'
        for answer in ANSWERS
    )
    return _form(ctx, _t(ctx, "why"), radios + _button(_t(ctx, "why_send")))


def _leave_form(ctx: PageContext) -> str:
    inner = f"<p>{_t(ctx, 'leave_hint')}</p>" + _button(_t(ctx, "leave_button"), "unsubscribe_all", "leave")
    return _form(ctx, _t(ctx, "leave"), inner)


def preference_page(ctx: PageContext, profile: Profile | None) -> str:
    """The page a footer link opens: the user's choices as they stand, and a form for each."""
    channels = choosable_channels(profile) if profile is not None else []
    if profile is None or not channels:
        body = f'<p class="status">{_t(ctx, "now_none")}</p>' + reason_form(ctx)
        return page(ctx.locale, _raw(ctx, "title"), body)
    body = (
        _status(ctx, profile)
        + f"<p>{_t(ctx, 'intro')}</p>"
        + _often_form(ctx, profile)
        + _break_form(ctx, profile)
        + _channels_form(ctx, profile, channels)
        + reason_form(ctx)
        + _leave_form(ctx)
    )
    return page(ctx.locale, _raw(ctx, "title"), body)


def _done_line(ctx: PageContext, choice: Choice, profile: Profile | None) -> str:
    if choice == "fewer":
        return _t(ctx, "done_fewer", cap=_cap(ctx, ctx.fewer))
    if choice in ("pause_30", "pause_90"):
        until = paused_until(profile, ctx.now) if profile is not None else None
        return _t(ctx, "done_pause", date=_date(ctx, until, profile)) if until else _t(ctx, "done_resume")
    return _t(ctx, f"done_{choice}")


def saved_page(
    ctx: PageContext, choice: Choice | None, changed: bool, reason: Answer | None, profile: Profile | None
) -> str:
    """After a post: what changed (or that nothing needed to), thanks for a reason, the way back to the
    page, and the reason question when none was given."""
    lines: list[str] = []
    if choice is not None:
        lines.append(_done_line(ctx, choice, profile) if changed else _t(ctx, "done_same"))
    if reason is not None:
        lines.append(_t(ctx, "done_reason"))
        if reason == "privacy":
            lines.append(_t(ctx, "done_privacy"))
    body = "".join(f"<p>{line}</p>" for line in lines)
    body += f'<p><a href="?token={escape(ctx.token, quote=True)}">{_t(ctx, "back")}</a></p>'
    if reason is None:
        body += reason_form(ctx)
    return page(ctx.locale, _raw(ctx, "done_title"), body)


def preference_invalid_page(locale: str) -> str:
    t = PREFERENCE_TEXT[locale]
    return page(locale, t["bad_title"], f"<p>{escape(t['bad_body'])}</p>")


def preference_form_invalid_page(ctx: PageContext) -> str:
    body = f"<p>{_t(ctx, 'bad_form_body')}</p>"
    body += f'<p><a href="?token={escape(ctx.token, quote=True)}">{_t(ctx, "back")}</a></p>'
    return page(ctx.locale, _raw(ctx, "bad_form_title"), body)
