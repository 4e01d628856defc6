"""A local endpoint answering the account reads moto lacks, over the wire as AWS does: SES v2 GetAccount,
GetEmailIdentity, GetConfigurationSet and GetConfigurationSetEventDestinations, and Lambda
GetAccountSettings (REST JSON; errors as `x-amzn-ErrorType` with a JSON message). moto has no SES v2
GetAccount, and its GetEmailIdentity always answers VerifiedForSendingStatus false. The doctor's
clients reach it through AWS_ENDPOINT_URL_SESV2 and AWS_ENDPOINT_URL_LAMBDA, so botocore parses
every answer for real. The account's state is plain attributes a test changes to play "the fix".
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote

import pytest

# The domain of the integration stack's sender (conftest.SENDER), created in SES, not yet verified.
SENDER_DOMAIN = "shop.example.com"


@dataclass
class AccountState:
    """What the account answers: a new account by default (sandboxed, nothing verified)."""

    production_access: bool = False
    verified: set[str] = field(default_factory=set)  # identities verified for sending, with DKIM
    configuration_sets: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # name -> destinations
    concurrency: int = 1000

    def account(self) -> dict[str, Any]:
        quota = (50000.0, 14.0) if self.production_access else (200.0, 1.0)
        return {
            "DedicatedIpAutoWarmupEnabled": False,
            "EnforcementStatus": "HEALTHY",
            "ProductionAccessEnabled": self.production_access,
            "SendQuota": {"Max24HourSend": quota[0], "MaxSendRate": quota[1], "SentLast24Hours": 0.0},
            "SendingEnabled": True,
        }

    def identity(self, name: str) -> dict[str, Any]:
        verified = name in self.verified
        return {
            "IdentityType": "EMAIL_ADDRESS" if "@" in name else "DOMAIN",
            "FeedbackForwardingStatus": True,
            "VerifiedForSendingStatus": verified,
            "VerificationStatus": "SUCCESS" if verified else "PENDING",
            "DkimAttributes": {
                "SigningEnabled": verified,
                "Status": "SUCCESS" if verified else "PENDING",
                "Tokens": ["t1", "t2", "t3"],
                "SigningAttributesOrigin": "AWS_SES",
            },
            "MailFromAttributes": {
                "MailFromDomain": f"mail.{name.rsplit('@', 1)[-1]}",
                "MailFromDomainStatus": "SUCCESS" if verified else "PENDING",
                "BehaviorOnMxFailure": "USE_DEFAULT_VALUE",
            },
            "Policies": {},
            "Tags": [],
        }


class StubAccount:
    def __init__(self, state: AccountState, pending_identities: set[str]) -> None:
        self.state = state
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_: Any) -> None:
                pass

            def do_GET(self) -> None:
                status, body, error = stub.answer(unquote(self.path.split("?", 1)[0]), pending_identities)
                data = json.dumps(body).encode()
                self.send_response(status)
                if error:
                    self.send_header("x-amzn-ErrorType", error)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def answer(self, path: str, pending: set[str]) -> tuple[int, Any, str]:
        state = self.state
        parts = path.strip("/").split("/")
        if path.startswith("/2016-08-19/account-settings"):
            limit = {"ConcurrentExecutions": state.concurrency, "UnreservedConcurrentExecutions": state.concurrency}
            return 200, {"AccountLimit": limit, "AccountUsage": {"FunctionCount": 14, "TotalCodeSize": 9426}}, ""
        if parts[:3] == ["v2", "email", "account"]:
            return 200, state.account(), ""
        if parts[:3] == ["v2", "email", "identities"] and len(parts) == 4:
            if parts[3] in state.verified | pending:
                return 200, state.identity(parts[3]), ""
            return 404, {"message": f"Email identity {parts[3]} does not exist."}, "NotFoundException"
        if parts[:3] == ["v2", "email", "configuration-sets"] and parts[3] in state.configuration_sets:
            if len(parts) == 5:
                return 200, {"EventDestinations": state.configuration_sets[parts[3]]}, ""
            return 200, {"ConfigurationSetName": parts[3], "SendingOptions": {"SendingEnabled": True}}, ""
        return 404, {"message": f"{path} does not exist."}, "NotFoundException"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def aws_account(monkeypatch: pytest.MonkeyPatch) -> Iterator[AccountState]:
    """A new AWS account's SES and Lambda answers, as the doctor's clients see them; the sender's
    domain exists as an identity still pending verification."""
    state = AccountState()
    stub = StubAccount(state, pending_identities={SENDER_DOMAIN})
    monkeypatch.setenv("AWS_ENDPOINT_URL_SESV2", stub.url)
    monkeypatch.setenv("AWS_ENDPOINT_URL_LAMBDA", stub.url)
    yield state
    stub.close()
