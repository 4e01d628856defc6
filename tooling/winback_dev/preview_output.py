"""A preview as the operator reads it: text for a terminal, or one JSON document (`--json`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from winback_dev.message_checks import SUBJECT_DESKTOP, SUBJECT_MOBILE
from winback_dev.preview import Preview, Rendering
from winback_dev.sms_segments import SmsParts


def sms_summary(parts: SmsParts) -> str:
    fits = f"{parts.single_limit} fit in one part, {parts.part_limit} in each once split"
    unit = "septets" if parts.encoding == "GSM-7" else "UTF-16 units"
    head = f"{parts.parts} part{'s' if parts.split else ''} ({parts.encoding}: {parts.units} {unit}; {fits})"
    return ("! " + head) if parts.split else head


def _block(label: str, text: str) -> list[str]:
    lines = text.splitlines() or [""]
    return [f"  {label:<8} | {lines[0]}", *(f"  {'':<8} | {line}" for line in lines[1:])]


def _email(r: Rendering, html_path: Path | None) -> list[str]:
    content = r.outbound.content
    lines = [f"  {'subject':<8} {content.subject}"]
    if r.subject is not None:
        lines.append(f"  {'':<8} {r.subject.width} wide (phones show ~{SUBJECT_MOBILE}, desktops ~{SUBJECT_DESKTOP})")
        warning = r.subject.warning()
        if warning:
            lines.append(f"  {'':<8} ! {warning}")
    where = (
        f"{html_path} ({len(content.html.encode()):,} bytes)"
        if html_path
        else f"{len(content.html.encode()):,} bytes (--out FILE writes it)"
    )
    lines.append(f"  {'html':<8} {where}")
    return lines + _block("text", content.text)


def _rendering(r: Rendering, html_path: Path | None) -> list[str]:
    content = r.outbound.content
    lines = [f"{r.channel} → {r.outbound.address or '(no address)'}"]
    if r.channel == "email":
        lines += _email(r, html_path)
    elif r.channel == "inbox":
        lines += [f"  {'title':<8} {content.subject}", *_block("body", content.text)]
    else:
        lines += _block("text", content.text)
    if r.sms is not None:
        lines.append(f"  {'parts':<8} {sms_summary(r.sms)}")
    width = max((len(name) for name in r.links), default=0)
    lines += [f"  {name:<{width}}  {url}" for name, url in r.links.items()]
    return lines


def _recommendation(item: dict[str, Any]) -> str:
    name = item.get("name") or item["item_id"]
    price = f" ({item['price']})" if item.get("price") else ""
    return f"  - {name}{price} {item['url']}"


def preview_text(preview: Preview, html_path: Path | None) -> str:
    p = preview
    who = "the sample user" if p.sample else f"user {p.user}"
    lines = [
        f"{p.campaign_id} step {p.step} · template {p.template} · arm {p.arm} · segment {p.segment} · "
        f"locale {p.locale} · {who}",
        f"the sender: {p.verdict}",
    ]
    if p.offer is not None:
        lines.append(f"offer: {p.offer['code']}, {p.offer['amount']}, expires {p.offer['expires']} ({p.offer_note})")
    else:
        lines.append(f"offer: {p.offer_note}")
    if p.recommendations:
        lines += ["recommendations:", *(_recommendation(item) for item in p.recommendations)]
    for r in p.renderings:
        lines += ["", *_rendering(r, html_path if r.channel == "email" else None)]
    return "\n".join(lines)


def _rendering_json(r: Rendering) -> dict[str, Any]:
    content = r.outbound.content
    data: dict[str, Any] = {
        "channel": r.channel,
        "address": r.outbound.address,
        "subject": content.subject,
        "html": content.html,
        "text": content.text,
        "links": r.links,
        "tags": dict(r.outbound.tags),
    }
    if r.subject is not None:
        data["subject_width"] = r.subject.width
        data["subject_over_mobile"] = r.subject.over_mobile
        data["subject_over_desktop"] = r.subject.over_desktop
    if r.sms is not None:
        data["sms"] = {
            "encoding": r.sms.encoding,
            "characters": r.sms.characters,
            "units": r.sms.units,
            "parts": r.sms.parts,
            "single_limit": r.sms.single_limit,
            "part_limit": r.sms.part_limit,
        }
    return data


def preview_json(preview: Preview, html_path: Path | None) -> dict[str, Any]:
    p = preview
    return {
        "campaign_id": p.campaign_id,
        "step": p.step,
        "template": p.template,
        "arm": p.arm,
        "segment": p.segment,
        "episode": p.episode,
        "locale": p.locale,
        "user": p.user,
        "sample": p.sample,
        "verdict": p.verdict,
        "offer": p.offer,
        "offer_note": p.offer_note,
        "recommendations": p.recommendations,
        "html_file": str(html_path) if html_path else None,
        "renderings": [_rendering_json(r) for r in p.renderings],
    }
