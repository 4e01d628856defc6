"""Powertools Logger, Tracer and Metrics, created once per container and shared by handlers."""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast, overload

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.shared import constants
from aws_lambda_powertools.shared.functions import resolve_truthy_env_var_choice

if TYPE_CHECKING:
    from aws_lambda_powertools import Tracer

F = TypeVar("F", bound=Callable[..., Any])

# template.yaml sets both; the defaults keep a module imported before the environment is set
# (a test collection, a local script) emitting under the same names.
SERVICE = os.environ.get("POWERTOOLS_SERVICE_NAME", "winback")
NAMESPACE = os.environ.get("POWERTOOLS_METRICS_NAMESPACE", "Winback")
# Patch only botocore: the AWS calls are what a trace needs, and patching everything X-Ray
# supports costs cold-start time for libraries we do not use.
PATCH_MODULES = ("botocore",)


def tracing_enabled() -> bool:
    """Powertools' own rule (Tracer._is_tracer_disabled): on in Lambda unless POWERTOOLS_TRACE_DISABLED,
    off outside Lambda, under `sam local` and under Chalice's local mode."""
    if resolve_truthy_env_var_choice(env=os.getenv(constants.TRACER_DISABLED_ENV, "false")):
        return False
    in_lambda = bool(os.getenv(constants.LAMBDA_TASK_ROOT_ENV))
    emulated = bool(os.getenv(constants.SAM_LOCAL_ENV) or os.getenv(constants.CHALICE_LOCAL_ENV))
    return in_lambda and not emulated


class LazyTracer:
    """Powertools' Tracer decorators; the Tracer itself is built only where tracing is on.

    Powertools' Tracer imports the X-Ray SDK even when it is disabled, and outside Lambda the SDK's
    recorder creates two botocore clients at import (its sampling connector); disabled, it still wraps
    every call in a dummy subsegment. Here a disabled tracer returns the function unchanged, and an
    enabled one is built (X-Ray SDK imported, botocore patched) at the first decoration, that is while
    the handler module loads: once per cold start, in the init phase, only where traces are recorded.
    """

    def __init__(self, patch_modules: tuple[str, ...]) -> None:
        self._patch_modules = patch_modules
        self._tracer: Tracer | None = None

    def _real(self) -> Tracer | None:
        if self._tracer is None and tracing_enabled():
            from aws_lambda_powertools import Tracer

            self._tracer = Tracer(service=SERVICE, patch_modules=list(self._patch_modules))
        return self._tracer

    @overload
    def capture_lambda_handler(self, handler: F) -> F: ...
    @overload
    def capture_lambda_handler(
        self, handler: None = None, *, capture_response: bool | None = None, capture_error: bool | None = None
    ) -> Callable[[F], F]: ...
    def capture_lambda_handler(
        self, handler: F | None = None, *, capture_response: bool | None = None, capture_error: bool | None = None
    ) -> F | Callable[[F], F]:
        def decorate(fn: F) -> F:
            tracer = self._real()
            if tracer is None:
                return fn
            traced = tracer.capture_lambda_handler(fn, capture_response=capture_response, capture_error=capture_error)
            return cast(F, traced)

        return decorate if handler is None else decorate(handler)

    @overload
    def capture_method(self, method: F) -> F: ...
    @overload
    def capture_method(
        self, method: None = None, *, capture_response: bool | None = None, capture_error: bool | None = None
    ) -> Callable[[F], F]: ...
    def capture_method(
        self, method: F | None = None, *, capture_response: bool | None = None, capture_error: bool | None = None
    ) -> F | Callable[[F], F]:
        def decorate(fn: F) -> F:
            tracer = self._real()
            if tracer is None:
                return fn
            return tracer.capture_method(capture_response=capture_response, capture_error=capture_error)(fn)

        return decorate if method is None else decorate(method)


logger = Logger(service=SERVICE)
tracer = LazyTracer(PATCH_MODULES)
metrics = Metrics(namespace=NAMESPACE, service=SERVICE)

# The pipeline's headline metrics (the dashboard and alarms in template.yaml use these names);
# every other count is emitted as <Stage>_<name>.
HEADLINE = {
    "targeted": "Targeted",
    "assigned": "Assigned",
    "held_out": "HeldOut",
    "suppressed": "Suppressed",
    "capped": "Capped",
    "deferred": "Deferred",
    "dropped": "Dropped",
    "sent": "Sent",
    "sent_email": "SentEmail",  # the denominator of the bounce and complaint rates (email only)
    "failed": "Failed",
    "uncertain": "Uncertain",
    "channel_paused": "ChannelPaused",  # messages held back because their channel is paused
    "sending_off": "SendingOff",  # messages held back because the stack's sending is off
    "delivered": "Delivered",
    "bounced": "Bounced",
    "complained": "Complained",
    "unsubscribed": "Unsubscribed",
    "reactivated": "Reactivated",
}


def emit_counts(counts: Mapping[str, int], stage: str) -> None:
    from aws_lambda_powertools.metrics import MetricUnit

    for name, value in counts.items():
        if value:
            metrics.add_metric(name=HEADLINE.get(name, f"{stage}_{name}"), unit=MetricUnit.Count, value=value)


HEARTBEAT = "Heartbeat"


def heartbeat(handler: F) -> F:
    """A scheduled handler that emits `Heartbeat` (dimension `Function`: the Lambda's own name) when a
    run returns, and not when it raises: template.yaml's heartbeat alarms fire when runs stop ending.

    The metric goes out on its own (an EMF line of its own), so the shared Metrics' dimensions stay
    those of every other metric.
    """

    @functools.wraps(handler)
    def run(event: Any, context: Any) -> Any:
        result = handler(event, context)
        emit_heartbeat(context.function_name)
        return result

    return cast(F, run)


def emit_heartbeat(function_name: str) -> None:
    from aws_lambda_powertools.metrics import MetricUnit, single_metric

    dimensions = {"service": SERVICE, "Function": function_name}
    with single_metric(
        name=HEARTBEAT, unit=MetricUnit.Count, value=1, namespace=metrics.namespace, default_dimensions=dimensions
    ):
        pass
