"""MessagingTable: the latest population statistics, one item (pk `population`, sk `stats`).

The pk has no `#`, so it cannot collide with the `user#`, `address#`, `stats#` or `run#` prefixes.
The model is stored as one JSON string: readers validate it whole, and it stays far below the
400 KB item limit (cut points plus a bounded list of popular items).
"""

from __future__ import annotations

from aws_lambda_powertools import Logger
from pydantic import ValidationError

from winback.adapters import clients
from winback.adapters.dynamo import from_av, to_av
from winback.models.population import PopulationStats

KEY = {"pk": "population", "sk": "stats"}
# A Powertools child logger: it writes through the handler's Logger (winback.runtime.observability) without
# importing it, since that module also creates Metrics, which fixes its namespace at import.
logger = Logger(child=True)


class PopulationStatsStore:
    def __init__(self, table: str) -> None:
        self.table = table

    def save(self, stats: PopulationStats) -> None:
        """Replace the stored stats (idempotent: a rerun of the same day simply overwrites)."""
        item = {**KEY, "computed_at": stats.computed_at.isoformat(), "stats": stats.model_dump_json()}
        clients.dynamodb().put_item(TableName=self.table, Item=to_av(item))

    def load(self) -> PopulationStats | None:
        """The latest stats, or None when none were stored yet or they no longer validate (callers
        then use the config's default cut points)."""
        reply = clients.dynamodb().get_item(TableName=self.table, Key=to_av(KEY))
        item = reply.get("Item")
        if not item:
            return None
        try:
            return PopulationStats.model_validate_json(from_av(item)["stats"])
        except (ValidationError, KeyError):
            logger.warning("stored population stats are unreadable; using default cut points")
            return None
