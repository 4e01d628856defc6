"""Provision the stateful part of template.yaml on moto (or any endpoint boto3 targets).

template.yaml is the one source of truth for infrastructure: this module takes it as plain
CloudFormation (``winback_dev.template``: loops expanded, SAM translated, offline), keeps the
resources moto's CloudFormation models and the code needs (tables, queues, topics), creates that
stack, and then fills the gaps moto leaves (see ``provision``). Tests and the local runner read physical names
from the result; nothing here defines a table or a queue of its own.

Dev tooling only: no handler imports this module.
"""

from __future__ import annotations

import json
import re
import secrets
import string
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3

from winback_dev.template import TEMPLATE_PATH, translate_template

if TYPE_CHECKING:
    from mypy_boto3_cloudformation import CloudFormationClient

# What moto 5.2's CloudFormation creates faithfully and the code uses. moto skips (with a warning)
# AWS::SecretsManager::Secret, AWS::CloudWatch::Alarm, AWS::SNS::TopicPolicy, AWS::SNS::Subscription
# and SES resources, so those are not sent to it; secrets are created by ``provision`` instead.
STACK_TYPES: frozenset[str] = frozenset(
    {"AWS::DynamoDB::Table", "AWS::SQS::Queue", "AWS::SNS::Topic", "AWS::S3::Bucket"}
)
SECRETS_MANAGER_TYPE = "AWS::SecretsManager::Secret"
EVENT_BUS_TYPE = "AWS::Events::EventBus"

# Function environment variable -> logical id, as template.yaml maps them. FEEDBACK_TOPIC_ARN is not
# in template.yaml's function environment; it lets local tools publish feedback to the topic.
ENV_LOGICAL_IDS: dict[str, str] = {
    "ACTIVITY_TABLE": "ActivityTable",
    "SUPPRESSION_TABLE": "SuppressionTable",
    "MESSAGING_TABLE": "MessagingTable",
    "DEFERRAL_TABLE": "DeferralTable",
    "INCENTIVE_TABLE": "IncentiveTable",
    "IDEMPOTENCY_TABLE": "IdempotencyTable",
    "SCAN_QUEUE_URL": "ScanQueue",
    "SEND_QUEUE_URL": "SendQueue",
    "OFFERS_BUS_NAME": "OffersBus",
    "AUDIENCE_BUCKET": "AudienceBucket",
    "BACKFILL_BUCKET": "BackfillBucket",
    "PROGRAM_BUCKET": "ProgramBucket",
    "WEBHOOK_SECRET_NAME": "WebhookSecret",
    "UNSUBSCRIBE_SECRET_NAME": "UnsubscribeSecret",
    "SEGMENT_SECRET_NAME": "SegmentSecret",
    "FEEDBACK_TOPIC_ARN": "FeedbackTopic",
}

_SUB_VARIABLE = re.compile(r"\$\{([^}!][^}]*)\}")
_RESOURCE_ATTRIBUTES = ("Type", "Properties", "Condition", "DeletionPolicy", "UpdateReplacePolicy")


class StackError(RuntimeError):
    """The stack could not be translated or created as template.yaml describes it."""


# --------------------------------------------------------------------------------------------
# The stateful subset of the translated template
# --------------------------------------------------------------------------------------------


def stateful_template(cfn: dict[str, Any]) -> dict[str, Any]:
    """The subset of a translated template that moto creates and the code needs.

    Keeps the resources of ``STACK_TYPES`` plus the secrets (which ``provision`` creates itself,
    since moto's CloudFormation skips them); drops functions, APIs, IAM, layers, SES, schedules,
    alarms and policies. Outputs survive only if everything they reference does; conditions and
    parameters only if still used, parameters with their defaults. Raises StackError if a kept
    resource references a dropped one, or a kept parameter has no default.
    """
    return _subset(cfn, STACK_TYPES | {SECRETS_MANAGER_TYPE, EVENT_BUS_TYPE})


def _subset(cfn: dict[str, Any], types: frozenset[str]) -> dict[str, Any]:
    resources: dict[str, Any] = cfn.get("Resources", {})
    parameters: dict[str, Any] = cfn.get("Parameters", {})
    conditions: dict[str, Any] = cfn.get("Conditions", {})
    kept = {lid for lid, res in resources.items() if res.get("Type") in types}
    known = kept | set(parameters) | set(conditions)
    out_resources = {lid: _kept_resource(lid, resources[lid], kept, known) for lid in sorted(kept)}
    outputs: dict[str, Any] = cfn.get("Outputs", {})
    out_outputs = {name: body for name, body in outputs.items() if not _dangling(body, known)}
    used = _in_use([out_resources, out_outputs], conditions)
    sections = {
        "Description": cfn.get("Description"),
        "Parameters": _parameters_in_use(parameters, used),
        "Conditions": {name: body for name, body in conditions.items() if name in used},
        "Resources": out_resources,
        "Outputs": out_outputs,
    }
    template: dict[str, Any] = {"AWSTemplateFormatVersion": "2010-09-09"}
    template.update({name: body for name, body in sections.items() if body or name == "Resources"})
    return template


def _kept_resource(lid: str, resource: dict[str, Any], kept: set[str], known: set[str]) -> dict[str, Any]:
    """The resource's attributes a stack needs, DependsOn narrowed to what is kept."""
    out = {k: v for k, v in resource.items() if k in _RESOURCE_ATTRIBUTES}
    depends = resource.get("DependsOn", [])
    depends = [depends] if isinstance(depends, str) else list(depends)
    if kept_depends := [d for d in depends if d in kept]:
        out["DependsOn"] = kept_depends
    if missing := _dangling(out, known):
        raise StackError(f"{lid} references what is not provisioned locally: {sorted(missing)}")
    return out


def _dangling(node: Any, known: set[str]) -> set[str]:
    return {n for n in _references(node) - known if not n.startswith("AWS::")}


def _in_use(node: Any, conditions: dict[str, Any]) -> set[str]:
    """Names ``node`` references, with the conditions those conditions name in turn."""
    used = _references(node)
    while more := {n for c in used & set(conditions) for n in _references(conditions[c])} - used:
        used |= more
    return used


def _parameters_in_use(parameters: dict[str, Any], used: set[str]) -> dict[str, Any]:
    missing_default = [name for name, spec in parameters.items() if name in used and "Default" not in spec]
    if missing_default:
        raise StackError(f"parameter {missing_default[0]} has no default; the local stack cannot fill it")
    return {name: spec for name, spec in parameters.items() if name in used}


def dependency_cycles(cfn: dict[str, Any]) -> list[list[str]]:
    """Circular dependencies between the resources of a translated template (empty if none).

    cfn-lint 1.58 and ``sam validate --lint`` do not see a cycle that runs through the OpenAPI
    body SAM generates for an HttpApi (a function that references the API it integrates with);
    CloudFormation rejects it at deploy time. Tests can assert this returns ``[]``.
    """
    resources: dict[str, Any] = cfn.get("Resources", {})
    graph: dict[str, set[str]] = {}
    for lid, resource in resources.items():
        depends = resource.get("DependsOn", [])
        names = _references(resource) | set([depends] if isinstance(depends, str) else depends)
        graph[lid] = {name for name in names if name in resources}
    cycles: list[list[str]] = []
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycles.append([*path[path.index(nxt) :], nxt])
            elif nxt not in state:
                visit(nxt, [*path, nxt])
        state[node] = 2

    for lid in sorted(graph):
        if lid not in state:
            visit(lid, [lid])
    return cycles


def _references(node: Any) -> set[str]:
    """Logical ids, parameters and conditions named by Ref / GetAtt / Sub / Condition in ``node``."""
    return set(_walk_references(node))


def _walk_references(node: Any) -> Iterator[str]:
    if isinstance(node, list):
        for item in node:
            yield from _walk_references(item)
        return
    if not isinstance(node, dict):
        return
    for key, value in node.items():
        if key == "Ref" and isinstance(value, str):
            yield value
        elif key == "Fn::GetAtt":
            yield value[0] if isinstance(value, list) else str(value).split(".", 1)[0]
        elif key == "Fn::Sub":
            text, variables = (value, {}) if isinstance(value, str) else (value[0], value[1])
            yield from (m.split(".", 1)[0] for m in _SUB_VARIABLE.findall(text) if m.split(".", 1)[0] not in variables)
            yield from _walk_references(variables)
        elif key in ("Condition", "Fn::If") and isinstance(value, (str, list)):
            yield value if isinstance(value, str) else value[0]
            if isinstance(value, list):
                yield from _walk_references(value[1:])
        else:
            yield from _walk_references(value)


# --------------------------------------------------------------------------------------------
# Provisioning
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StackResources:
    """Physical ids of the provisioned resources, keyed by their template.yaml logical id."""

    physical: dict[str, str]  # table name, queue URL, topic ARN, secret ARN

    def env(self) -> dict[str, str]:
        """The function environment variables template.yaml derives from these resources."""
        missing = sorted(lid for lid in ENV_LOGICAL_IDS.values() if lid not in self.physical)
        if missing:
            raise StackError(f"stack lacks resources the functions need: {missing}")
        return {var: self.physical[lid] for var, lid in ENV_LOGICAL_IDS.items()}


def provision(
    stack_name: str = "winback",
    region: str = "us-east-1",
    *,
    template_path: Path = TEMPLATE_PATH,
) -> StackResources:
    """Create the stateful stack on whatever endpoint boto3 targets and return its physical ids.

    Works against moto in-process (``mock_aws``), a moto server (``AWS_ENDPOINT_URL``) or AWS.
    An existing stack of the same name in a complete state is reused, so the local runner can be
    restarted against a long-lived moto server. After the stack is up, this applies what moto's
    CloudFormation ignores, so local behaviour matches a deploy:
    - DynamoDB ``TimeToLiveSpecification`` and ``PointInTimeRecoverySpecification``;
    - ``AWS::SecretsManager::Secret`` (moto's CloudFormation skips it): created here, named
      ``<stack>-<LogicalId>``, with a value generated as ``GenerateSecretString`` describes;
    - ``AWS::Events::EventBus`` (skipped too): created here, named as template.yaml names it.
    """
    template = stateful_template(translate_template(template_path, region=region))
    stack_template = _subset(template, STACK_TYPES)  # what moto's CloudFormation creates
    cfn_client = boto3.client("cloudformation", region_name=region)
    if not _stack_exists(cfn_client, stack_name):
        cfn_client.create_stack(StackName=stack_name, TemplateBody=json.dumps(stack_template))
        cfn_client.get_waiter("stack_create_complete").wait(
            StackName=stack_name, WaiterConfig={"Delay": 1, "MaxAttempts": 300}
        )

    physical: dict[str, str] = {}
    for res in cfn_client.describe_stack_resources(StackName=stack_name)["StackResources"]:
        # moto lists the resources it skipped as entries without logical or physical id.
        lid, pid = res.get("LogicalResourceId"), res.get("PhysicalResourceId")
        if lid and pid:
            physical[lid] = pid
    missing = sorted(set(stack_template["Resources"]) - set(physical))
    if missing:
        raise StackError(f"stack {stack_name} did not create {missing}")

    for lid, resource in template["Resources"].items():
        properties: dict[str, Any] = resource.get("Properties", {})
        if resource["Type"] == "AWS::DynamoDB::Table":
            _apply_table_settings(physical[lid], properties, region)
        elif resource["Type"] == SECRETS_MANAGER_TYPE:
            physical[lid] = _ensure_secret(f"{stack_name}-{lid}", properties, region)
        elif resource["Type"] == EVENT_BUS_TYPE:
            physical[lid] = _ensure_event_bus(f"{stack_name}-offers" if lid == "OffersBus" else f"{stack_name}-{lid}")
    return StackResources(physical=physical)


def _ensure_event_bus(name: str) -> str:
    """moto's CloudFormation skips event buses: created here (the Ref of a bus is its name)."""
    client = boto3.client("events")
    try:
        client.describe_event_bus(Name=name)
    except client.exceptions.ResourceNotFoundException:
        client.create_event_bus(Name=name)
    return name


def _stack_exists(cfn_client: CloudFormationClient, stack_name: str) -> bool:
    paginator = cfn_client.get_paginator("list_stacks")
    for page in paginator.paginate():
        for summary in page["StackSummaries"]:
            if summary["StackName"] != stack_name or summary["StackStatus"] == "DELETE_COMPLETE":
                continue
            if summary["StackStatus"] in ("CREATE_COMPLETE", "UPDATE_COMPLETE"):
                return True
            raise StackError(f"stack {stack_name} exists in state {summary['StackStatus']}")
    return False


def _apply_table_settings(table_name: str, properties: dict[str, Any], region: str) -> None:
    dynamodb = boto3.client("dynamodb", region_name=region)
    ttl = properties.get("TimeToLiveSpecification")
    if ttl and _is_true(ttl.get("Enabled")):
        current = dynamodb.describe_time_to_live(TableName=table_name)["TimeToLiveDescription"]
        if current.get("TimeToLiveStatus") not in ("ENABLED", "ENABLING"):
            dynamodb.update_time_to_live(
                TableName=table_name,
                TimeToLiveSpecification={"Enabled": True, "AttributeName": str(ttl["AttributeName"])},
            )
    pitr = properties.get("PointInTimeRecoverySpecification")
    if pitr and _is_true(pitr.get("PointInTimeRecoveryEnabled")):
        dynamodb.update_continuous_backups(
            TableName=table_name,
            PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True},
        )


def _ensure_secret(name: str, properties: dict[str, Any], region: str) -> str:
    client = boto3.client("secretsmanager", region_name=region)
    try:
        return client.describe_secret(SecretId=name)["ARN"]
    except client.exceptions.ResourceNotFoundException:
        pass
    if "SecretString" in properties:
        value = str(properties["SecretString"])
    else:
        value = _generate_secret_string(properties.get("GenerateSecretString", {}))
    created = client.create_secret(
        Name=name, Description=str(properties.get("Description", "")).strip(), SecretString=value
    )
    return created["ARN"]


def _generate_secret_string(spec: dict[str, Any]) -> str:
    """A value shaped like Secrets Manager's GenerateSecretString (length and exclusions only)."""
    if "SecretStringTemplate" in spec or "GenerateStringKey" in spec:
        raise StackError("GenerateSecretString with a JSON template is not supported locally")
    alphabet = ""
    if not _is_true(spec.get("ExcludeLowercase")):
        alphabet += string.ascii_lowercase
    if not _is_true(spec.get("ExcludeUppercase")):
        alphabet += string.ascii_uppercase
    if not _is_true(spec.get("ExcludeNumbers")):
        alphabet += string.digits
    if not _is_true(spec.get("ExcludePunctuation")):
        alphabet += string.punctuation
    excluded = set(str(spec.get("ExcludeCharacters", "")))
    alphabet = "".join(c for c in alphabet if c not in excluded)
    if not alphabet:
        raise StackError("GenerateSecretString excludes every character")
    length = int(spec.get("PasswordLength", 32))
    return "".join(secrets.choice(alphabet) for _ in range(length))


def _is_true(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.lower() == "true")
