"""A plan as the operator reads it: text for a terminal, or one JSON document (`--json`)."""

from __future__ import annotations

from collections import Counter
from typing import Any

from winback.domain.money import format_amount
from winback_dev.plan_dry_run import Decisions, PlanResult

DECISIONS = ("targeted", "held_out", "sunset", "already_handled", "no_campaign", "cooling_off")
GUARDS = ("suppressed", "no_channel", "email_unengaged", "capped", "channel_paused", "already_sent", "journey_stopped")


def _tiers(d: Decisions) -> dict[str, int]:
    tiers = {k.removeprefix("tier_"): v for k, v in d.tally.items() if k.startswith("tier_")}
    return {"active": d.tally["active"], **tiers}


def _joined(counts: dict[str, int] | Counter[str]) -> str:
    return " · ".join(f"{k.replace('_', ' ')} {v:,}" for k, v in counts.items()) or "none"


def _cells_table(result: PlanResult) -> list[str]:
    cells = result.planned.cells
    before = result.published.cells
    keys = sorted(set(cells) | (set(before) if result.changed else set()))
    if not keys:
        return ["  (no user would be assigned)"]
    header = f"  {'campaign':<18} {'segment':<20} {'arm':<12} {'users':>7}"
    lines = [header + (f" {'published':>10}" if result.changed else "")]
    for campaign, segment, arm in keys:
        line = f"  {campaign:<18} {segment:<20} {arm:<12} {cells[(campaign, segment, arm)]:>7,}"
        if result.changed:
            line += f" {before[(campaign, segment, arm)]:>10,}"
        lines.append(line)
    return lines


def _reach(result: PlanResult) -> list[str]:
    reach, totals = result.reach, result.reach.totals()
    lines = [
        f"reach      +{totals['added']:,} newly reached · -{totals['removed']:,} no longer reached · "
        f"{totals['moved']:,} moved to another campaign or arm"
    ]
    for label, counter in (("added", reach.added), ("removed", reach.removed), ("moved", reach.moved)):
        if counter:
            lines.append(f"  {label:<9}{_joined(counter)}   e.g. {', '.join(reach.examples[label])}")
    return lines


def _coupons(result: PlanResult) -> list[str]:
    lines = []
    for campaign_id, c in sorted(result.sends.coupons.items()):
        wanted = f"{c.wanted:,} ({format_amount(c.wanted_value, c.currency)})"
        if c.room is None or c.room_value is None:
            lines.append(f"  {campaign_id:<18} {wanted}, no budget")
            continue
        room = f"{c.room:,} ({format_amount(c.room_value, c.currency)})"
        committed = f"{c.committed:,} ({format_amount(c.committed_value, c.currency)})"
        lines.append(f"  {campaign_id:<18} {wanted} wanted; the budget has {room} left; commits {committed}")
    return lines or ["  none"]


def _pace(result: PlanResult) -> list[str]:
    if result.pace is None:
        return []
    by_channel = result.sends.by_channel
    lines = ["days to send the first messages:"]
    for channel in sorted(by_channel):
        rate = result.pace.rates[channel]
        per_24h = rate.per_24h()
        limit = f"{per_24h:,.0f} per 24 h" if per_24h else "unpaced"
        days = result.pace.days(channel, by_channel[channel])
        lines.append(f"  {channel:<7} {by_channel[channel]:>7,} at {limit} ({rate.source}): {days:.2f} days")
    lines.append(f"the first messages take about {result.pace.run_days(by_channel):.2f} days at these rates")
    return lines


def plan_text(result: PlanResult, program_label: str) -> str:
    r = result
    planned = r.planned
    who = "every dormant user, as if entering their tier now" if r.all_dormant else "what the next scan would do"
    lines = [
        f"plan: {program_label} · {who} · {r.scanned:,} profiles in {r.pages:,} page{'s' if r.pages != 1 else ''} "
        f"· as of {r.as_of:%Y-%m-%d %H:%M} UTC · nothing written",
        f"tiers      {_joined(_tiers(planned))}",
        f"decisions  {_joined({k: planned.tally[k] for k in DECISIONS})}",
        "assigned (campaign, segment, arm):",
        *_cells_table(r),
    ]
    if r.changed:
        lines += _reach(r)
    lines += [
        f"first step {r.sends.by_channel.total():,} messages: {_joined(r.sends.by_channel)}",
        f"guards     {_joined({k: r.sends.guards[k] for k in GUARDS if r.sends.guards[k]})}",
        "coupons (every coupon step of the journeys started):",
        *_coupons(r),
        *_pace(r),
    ]
    return "\n".join(lines)


def _decisions_json(d: Decisions) -> dict[str, Any]:
    return {
        "tiers": _tiers(d),
        "decisions": {k: d.tally[k] for k in DECISIONS},
        "cells": [{"campaign": c, "segment": s, "arm": a, "users": n} for (c, s, a), n in sorted(d.cells.items())],
    }


def plan_json(result: PlanResult, program_label: str) -> dict[str, Any]:
    r = result
    data: dict[str, Any] = {
        "program": program_label,
        "as_of": r.as_of.isoformat(),
        "all_dormant": r.all_dormant,
        "scanned": r.scanned,
        "pages": r.pages,
        "planned": _decisions_json(r.planned),
        "first_step": {"by_channel": dict(r.sends.by_channel), "guards": dict(r.sends.guards)},
        "coupons": {
            campaign_id: {
                "currency": c.currency,
                "wanted": c.wanted,
                "wanted_value_minor": c.wanted_value,
                "budget_left": c.room,
                "budget_left_value_minor": c.room_value,
                "committed": c.committed,
                "committed_value_minor": c.committed_value,
            }
            for campaign_id, c in sorted(r.sends.coupons.items())
        },
        "journey_days": r.journey_days,
    }
    if r.changed:
        data["published"] = _decisions_json(r.published)
        data["reach"] = {
            **r.reach.totals(),
            "added_by_campaign": dict(r.reach.added),
            "removed_by_campaign": dict(r.reach.removed),
            "moved_between": dict(r.reach.moved),
            "examples": r.reach.examples,
        }
    if r.pace is not None:
        data["pace"] = {
            "rates": {
                ch: {"per_second": x.per_second, "per_day": x.per_day, "source": x.source}
                for ch, x in r.pace.rates.items()
            },
            "days_by_channel": {ch: round(r.pace.days(ch, n), 3) for ch, n in r.sends.by_channel.items()},
            "days": round(r.pace.run_days(r.sends.by_channel), 3),
        }
    return data
