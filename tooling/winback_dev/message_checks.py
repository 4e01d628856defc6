"""What a preview flags in a rendered message: a subject longer than inboxes show, and an SMS that
takes more than one part (sms_segments.py counts them).

Subject lines are cut by width, not by code points: a Chinese character (East Asian Wide or
Fullwidth) takes about the room of two Latin ones, so a subject's width counts those twice. The
limits are the common figures for what inboxes show before cutting a subject (docs/operate.md cites
the sources): about 60 characters on desktop, about 40 on a phone.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

SUBJECT_DESKTOP = 60
SUBJECT_MOBILE = 40


def display_width(text: str) -> int:
    """Columns the text takes in a proportional-looking count: wide and fullwidth characters count two."""
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


@dataclass(frozen=True)
class SubjectFit:
    width: int

    @property
    def over_mobile(self) -> bool:
        return self.width > SUBJECT_MOBILE

    @property
    def over_desktop(self) -> bool:
        return self.width > SUBJECT_DESKTOP

    def warning(self) -> str | None:
        if self.over_desktop:
            return f"longer than desktop inboxes show (~{SUBJECT_DESKTOP} characters), and phones (~{SUBJECT_MOBILE})"
        if self.over_mobile:
            return f"longer than the ~{SUBJECT_MOBILE} characters phone inboxes show"
        return None


def subject_fit(subject: str) -> SubjectFit:
    return SubjectFit(display_width(subject))
