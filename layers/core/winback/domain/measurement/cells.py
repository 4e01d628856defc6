"""An experiment cell as the measurement functions read it (pure)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol


class CellLike(Protocol):
    """An experiment cell as the messaging store (CellCounts) and the report (Cell) both hold it."""

    @property
    def step(self) -> int | None: ...
    @property
    def arm(self) -> str: ...
    @property
    def segment(self) -> str: ...
    @property
    def counts(self) -> Mapping[str, int]: ...
