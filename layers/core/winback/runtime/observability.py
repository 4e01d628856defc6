"""Powertools Logger, Tracer and Metrics, created once per container and shared by handlers."""

from __future__ import annotations

import os
from collections.abc import Mapping

from aws_lambda_powertools import Logger, Metrics, Tracer

# template.yaml sets both; the defaults keep a module imported before the environment is set
# (a test collection, a local script) emitting under the same names.
SERVICE = os.environ.get("POWERTOOLS_SERVICE_NAME", "winback")
NAMESPACE = os.environ.get("POWERTOOLS_METRICS_NAMESPACE", "Winback")
logger = Logger(service=SERVICE)
# Patch only botocore: the AWS calls are what a trace needs, and patching everything X-Ray
# supports costs cold-start time for libraries we do not use.
tracer = Tracer(patch_modules=["botocore"])
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
    "failed": "Failed",
    "uncertain": "Uncertain",
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
