"""Bookkeeping: outcomes, the counters they add and the jobs they park, written all or nothing.

The send job writes one per chunk of sends (services/send/record.py), the sweeper one per claim it
finishes (services/send/sweep.py). An outcome is written only if its claim has no terminal record
yet, and its counts ride in the same write, so a record is never counted twice nor left uncounted,
whoever writes it and whenever the process dies.
"""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from winback.models.send_context import ParkedJob
    from winback.models.send_state import CellKey, Outcome

# Most items one all-or-nothing write may hold (DynamoDB's TransactWriteItems: 100 items, 4 MB).
ATOMIC_WRITE_ITEMS = 100


@dataclass
class Bookkeeping:
    """One all-or-nothing write: outcomes (each only if its claim has no terminal record yet), the
    experiment counters (the outcomes' own and any others), the campaigns' totals and parked jobs.
    A store refuses it whole when an outcome's claim already has a terminal record, and says which."""

    outcomes: list[Outcome] = field(default_factory=list)
    cells: dict[CellKey, Counter[str]] = field(default_factory=dict)
    totals: dict[str, Counter[str]] = field(default_factory=dict)
    parked: list[ParkedJob] = field(default_factory=list)
    # Names this write: a store told the same write twice (a retry after a lost answer) applies it once.
    token: str = field(default_factory=lambda: uuid.uuid4().hex)

    def add_outcome(self, outcome: Outcome) -> None:
        """The outcome, and its counts in its cell and the campaign's totals."""
        self.outcomes.append(outcome)
        if outcome.arm != "-":  # a claim made before claims carried their cell counts in no cell
            self.count(outcome.cell, Counter(outcome.counts))
        if outcome.totals:
            self.totals.setdefault(outcome.campaign_id, Counter()).update(outcome.totals)

    def count(self, cell: CellKey, counts: Counter[str]) -> None:
        if +counts:
            self.cells.setdefault(cell, Counter()).update(+counts)

    @property
    def items(self) -> int:
        return sum(o.items for o in self.outcomes) + len(self.cells) + len(self.totals) + len(self.parked)

    @property
    def empty(self) -> bool:
        return not (self.outcomes or self.cells or self.totals or self.parked)
