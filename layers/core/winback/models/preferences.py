"""What a user chose on the preference page (stored on their profile): their own cap over every
channel ("fewer messages"), a pause of everything until a date, and channels they turned off.

A preference only ever narrows what the program may send: it never grants a consent the user has
not given (turning a channel back on here only lifts this page's own "off")."""

from __future__ import annotations

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

# "Fewer messages" unless program.yaml's `preferences.fewer` says otherwise (and when it does not load).
FEWER_MESSAGES = 1
FEWER_DAYS = 14


class OwnCap(BaseModel):
    """At most `max_messages` messages, on every channel together, in a rolling `window_days`."""

    model_config = ConfigDict(extra="ignore", frozen=True, defer_build=True)
    max_messages: int = Field(gt=0)
    window_days: int = Field(gt=0)


def default_fewer() -> OwnCap:
    return OwnCap(max_messages=FEWER_MESSAGES, window_days=FEWER_DAYS)


class Preferences(BaseModel):
    model_config = ConfigDict(extra="ignore", defer_build=True)
    cap: OwnCap | None = None
    paused_until: AwareDatetime | None = None
    channels_off: list[str] = Field(default_factory=list)
    updated_at: AwareDatetime | None = None
