"""Powertools Logger, Tracer and Metrics, created once per container and shared by handlers."""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics, Tracer

logger = Logger()
# Patch only botocore: the AWS calls are what a trace needs, and patching everything X-Ray
# supports costs cold-start time for libraries we do not use.
tracer = Tracer(patch_modules=["botocore"])
metrics = Metrics()
