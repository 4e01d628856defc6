"""A local SES v2 endpoint that answers SendEmail the way the real service fails (the error type in
`x-amzn-ErrorType`, the message in a JSON body), drops the connection, or never answers. The app's
SES v2 client reaches it through AWS_ENDPOINT_URL_SESV2, so botocore's own machinery runs for real
and every attempt it makes is counted here."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal

import pytest

from winback.adapters import clients

# (HTTP status, SES error code, message), or a connection dropped without a status line, or no answer.
Answer = tuple[int, str, str] | Literal["drop", "timeout"]
NO_ANSWER_S = 1.5  # longer than the read timeout a test gives its client


class StubSes:
    """Answers the n-th SendEmail request (from 1) with `answer(n)`; `requests` counts them."""

    def __init__(self, answer: Callable[[int], Answer]) -> None:
        self.answer = answer
        self.requests = 0
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_: Any) -> None:
                pass

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                stub.requests += 1
                answer = stub.answer(stub.requests)
                if answer == "drop":
                    self.close_connection = True  # no status line: the client sees the connection drop
                    return
                if answer == "timeout":
                    time.sleep(NO_ANSWER_S)
                    return
                status, code, message = answer
                body = json.dumps({"message": message}).encode()
                self.send_response(status)
                self.send_header("x-amzn-ErrorType", code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def ses_endpoint(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[Callable[[int], Answer]], StubSes]]:
    """Start a StubSes and point the app's SES v2 client at it; every stub is closed after the test."""
    stubs: list[StubSes] = []

    def start(answer: Callable[[int], Answer]) -> StubSes:
        stub = StubSes(answer)
        stubs.append(stub)
        monkeypatch.setenv("AWS_ENDPOINT_URL_SESV2", stub.url)
        clients.reset()
        return stub

    yield start
    for stub in stubs:
        stub.close()
