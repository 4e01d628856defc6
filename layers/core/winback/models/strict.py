"""The base of every configuration model: unknown keys are errors, values are immutable."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Strict(BaseModel):
    # defer_build (as on the layer's other models): validators are built at the first validation, so a
    # handler that imports a model it does not use on this invocation pays nothing for it at cold start.
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)
