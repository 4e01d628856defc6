"""A deployed stack as the functions see it: the environment template.yaml gives them, read from
CloudFormation, for the commands that compose or send a message (preview, test-send) or read its
tables (plan, report)."""

from __future__ import annotations

import os

from winback_dev.stack import ENV_LOGICAL_IDS


def use_deployed_stack(stack_name: str) -> None:
    """Point the code at a deployed stack: its tables, queues, bucket and secrets by physical name,
    its API URL (the links' base), its sender address and its SES configuration set."""
    import boto3

    cfn = boto3.client("cloudformation")
    physical = {
        r["LogicalResourceId"]: r.get("PhysicalResourceId", "")
        for page in cfn.get_paginator("list_stack_resources").paginate(StackName=stack_name)
        for r in page["StackResourceSummaries"]
    }
    for variable, logical_id in ENV_LOGICAL_IDS.items():
        if physical.get(logical_id):
            os.environ[variable] = physical[logical_id]
    if physical.get("EmailConfigurationSet"):
        os.environ["SES_CONFIGURATION_SET"] = physical["EmailConfigurationSet"]
    [stack] = cfn.describe_stacks(StackName=stack_name)["Stacks"]
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}
    parameters = {p["ParameterKey"]: p.get("ParameterValue", "") for p in stack.get("Parameters", [])}
    if outputs.get("ApiUrl"):
        os.environ["PUBLIC_BASE_URL"] = outputs["ApiUrl"]
    if parameters.get("SenderEmail"):
        os.environ["SENDER_EMAIL"] = parameters["SenderEmail"]
