"""Powertools Logger, Tracer and Metrics, created once per container and shared by handlers."""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics, Tracer

logger = Logger()
tracer = Tracer()
metrics = Metrics()
