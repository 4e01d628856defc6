"""template.yaml's ProgramBucket: private, TLS-only, versioned; every function that loads the program
may read it, and no function or state machine may write it (only the operator, with `winback program`)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from winback_dev.template import sam_template

ROOT = Path(__file__).resolve().parents[3]
TEMPLATE = sam_template()
RESOURCES: dict[str, Any] = TEMPLATE["Resources"]
BUCKET = "ProgramBucket"
# What a handler calls when it loads the program (deps().program, or what is built from it).
LOADS_PROGRAM = re.compile(r"\.program\b|page_defaults|apply_webhook|send_deps|scan_segmenter|scan_models")
WRITE = re.compile(r"^s3:(Put|Delete|Restore|Abort|\*)|^s3:\*$|^\*$")


def _functions() -> dict[str, dict[str, Any]]:
    return {lid: r for lid, r in RESOURCES.items() if r["Type"] == "AWS::Serverless::Function"}


def _folder(function: dict[str, Any]) -> Path:
    return ROOT / str(function["Properties"]["CodeUri"]).rstrip("/")


def _names_bucket(node: Any) -> bool:
    return BUCKET in repr(node)


def _reads_bucket(function: dict[str, Any]) -> bool:
    return any(
        isinstance(policy, dict) and policy.get("S3ReadPolicy", {}).get("BucketName") == {"Ref": BUCKET}
        for policy in function["Properties"].get("Policies", [])
    )


def test_the_bucket_is_private_versioned_and_tls_only() -> None:
    properties = RESOURCES[BUCKET]["Properties"]
    assert all(properties["PublicAccessBlockConfiguration"].values())
    assert properties["VersioningConfiguration"] == {"Status": "Enabled"}
    (policy,) = [
        r
        for r in RESOURCES.values()
        if r["Type"] == "AWS::S3::BucketPolicy" and r["Properties"]["Bucket"] == {"Ref": BUCKET}
    ]
    (statement,) = policy["Properties"]["PolicyDocument"]["Statement"]
    assert statement["Effect"] == "Deny" and statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_every_function_is_told_the_bucket() -> None:
    assert TEMPLATE["Globals"]["Function"]["Environment"]["Variables"]["PROGRAM_BUCKET"] == {"Ref": BUCKET}


@pytest.mark.parametrize("function", sorted(_functions()))
def test_a_function_that_loads_the_program_may_read_the_bucket(function: str) -> None:
    """Guard: the S3ReadPolicy on ProgramBucket (without it, GetObject is AccessDenied and a cold
    container has no program)."""
    resource = _functions()[function]
    loads = bool(LOADS_PROGRAM.search((_folder(resource) / "app.py").read_text(encoding="utf-8")))
    assert _reads_bucket(resource) == loads, (
        f"{function} loads the program: {loads}; may read ProgramBucket: {not loads}"
    )


@pytest.mark.parametrize(
    "resource",
    sorted(
        lid
        for lid, r in RESOURCES.items()
        if r["Type"] in ("AWS::Serverless::Function", "AWS::Serverless::StateMachine")
    ),
)
def test_nothing_deployed_may_write_the_bucket(resource: str) -> None:
    for policy in RESOURCES[resource]["Properties"].get("Policies", []):
        if not isinstance(policy, dict) or not _names_bucket(policy):
            continue
        templates = set(policy) - {"Version", "Statement"}
        assert templates <= {"S3ReadPolicy"}, f"{resource} has {templates} on {BUCKET}"
        for statement in policy.get("Statement", []):
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            if statement["Effect"] == "Allow" and _names_bucket(statement):
                assert not [a for a in actions if WRITE.match(a)], f"{resource} may write {BUCKET}: {actions}"
