"""Which SNS Publish errors mean the push endpoint is dead (suppress it) and which do not."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from winback.adapters.channels import endpoint_gone


def _error(code: str, message: str, status: int = 400) -> ClientError:
    response: Any = {"Error": {"Code": code, "Message": message}, "ResponseMetadata": {"HTTPStatusCode": status}}
    return ClientError(response, "Publish")


@pytest.mark.parametrize(
    ("code", "message", "status"),
    [
        (
            "EndpointDisabled",
            "Endpoint is disabled",
            400,
        ),  # SNS set Enabled=false after APNs/FCM said the token is invalid
        ("NotFound", "Endpoint does not exist", 404),  # the endpoint was deleted
        (
            "InvalidParameter",
            "Invalid parameter: TargetArn Reason: No endpoint found for the target arn specified",
            400,
        ),
    ],
)
def test_dead_endpoint_errors(code: str, message: str, status: int) -> None:
    assert endpoint_gone(_error(code, message, status))


@pytest.mark.parametrize(
    ("code", "message", "status"),
    [
        ("Throttling", "Rate exceeded", 400),
        ("InternalError", "oops", 500),
        ("InvalidParameter", "Invalid parameter: Message too long", 400),
        ("PlatformApplicationDisabled", "Platform application is disabled", 400),  # ours to fix, not the user's
    ],
)
def test_other_errors_leave_the_endpoint_alone(code: str, message: str, status: int) -> None:
    assert not endpoint_gone(_error(code, message, status))
