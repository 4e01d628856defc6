"""What the doctor examines: one stack's names and settings, read from the environment as a function
sees it. `point_at_stack` fills that environment from a deployed stack (CloudFormation's physical ids
and parameters); against the local stack the environment is already set (tests, the local runner)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from winback_dev.stack import ENV_LOGICAL_IDS

if TYPE_CHECKING:
    from mypy_boto3_cloudformation import CloudFormationClient

# Secrets the stack holds: what the doctor calls each, and the variable naming it.
SECRET_VARIABLES = {
    "webhook": "WEBHOOK_SECRET_NAME",
    "unsubscribe": "UNSUBSCRIBE_SECRET_NAME",
    "segment": "SEGMENT_SECRET_NAME",
}
# Stack parameters the send function receives as variables (template.yaml's Globals and SendFunction).
PARAMETER_VARIABLES = {"SenderEmail": "SENDER_EMAIL", "SendMaxConcurrency": "SEND_MAX_CONCURRENCY"}
# Resources the doctor reads beyond those every function names (ENV_LOGICAL_IDS).
EXTRA_LOGICAL_IDS = {"SES_CONFIGURATION_SET": "EmailConfigurationSet", "ALARM_TOPIC_ARN": "AlarmTopic"}


@dataclass(frozen=True)
class Target:
    region: str
    sender: str  # SenderEmail as the send function gets it
    configuration_set: str  # "" when the stack names none
    feedback_topic_arn: str
    alarm_topic_arn: str
    messaging_table: str
    secrets: dict[str, str]  # "webhook", "unsubscribe", "segment" -> secret id ("" when not named)
    send_max_concurrency: int

    @classmethod
    def from_environment(cls, env: Mapping[str, str] = os.environ) -> Target:
        return cls(
            region=env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or "us-east-1",
            sender=env.get("SENDER_EMAIL", ""),
            configuration_set=env.get("SES_CONFIGURATION_SET", ""),
            feedback_topic_arn=env.get("FEEDBACK_TOPIC_ARN", ""),
            alarm_topic_arn=env.get("ALARM_TOPIC_ARN", ""),
            messaging_table=env.get("MESSAGING_TABLE", ""),
            secrets={name: env.get(variable, "") for name, variable in SECRET_VARIABLES.items()},
            send_max_concurrency=int(env.get("SEND_MAX_CONCURRENCY", "2")),
        )


def point_at_stack(cfn: CloudFormationClient, stack_name: str, env: dict[str, str] | os._Environ[str]) -> None:
    """Set `env` as the deployed stack's functions see it: every resource they name, the sender and
    the send concurrency (parameters), and what the doctor reads besides. Raises the client's error
    when the stack does not exist."""
    physical: dict[str, str] = {}
    for page in cfn.get_paginator("list_stack_resources").paginate(StackName=stack_name):
        for resource in page["StackResourceSummaries"]:
            if physical_id := resource.get("PhysicalResourceId"):
                physical[resource["LogicalResourceId"]] = physical_id
    for variable, logical_id in {**ENV_LOGICAL_IDS, **EXTRA_LOGICAL_IDS}.items():
        if logical_id in physical:
            env[variable] = physical[logical_id]
    [stack] = cfn.describe_stacks(StackName=stack_name)["Stacks"]
    for parameter in stack.get("Parameters", []):
        named = PARAMETER_VARIABLES.get(parameter.get("ParameterKey", ""))
        value = parameter.get("ParameterValue")
        if named and value is not None:
            env[named] = value
