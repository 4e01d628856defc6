"""A release of a program version: one entry of the program's history (a publish or a rollback: which
version, its hash, who, when, and the version it replaced). The pointer to the current version is a
copy of the entry that made it current."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from winback.config.bundle import SHA256_PATTERN, VERSION_PATTERN


class ProgramRelease(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    seq: int = Field(ge=1, description="the entry's place in the history, from 1")
    action: Literal["publish", "rollback"]
    version: str = Field(pattern=VERSION_PATTERN)
    sha256: str = Field(pattern=SHA256_PATTERN)
    at: AwareDatetime
    by: str = Field(max_length=512, description="who: the caller's AWS identity")
    previous: str | None = Field(None, pattern=VERSION_PATTERN, description="the version current before")
    source: str = Field("", max_length=1024, description="what was published (a folder or file), or rolled back to")


@dataclass(frozen=True)
class Pointer:
    """The current version's release as read, and the ETag to read it conditionally next time."""

    release: ProgramRelease
    etag: str


class Unchanged:
    """The pointer is as it was when last read (its ETag still matches)."""


UNCHANGED = Unchanged()
