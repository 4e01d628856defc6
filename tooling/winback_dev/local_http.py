"""The HTTP API on a local port: each request becomes the API Gateway (HTTP API, payload 2.0) event of
its route and goes to the real handler through the local runner, whose reply is written back as is.

For a browser to use the public pages (unsubscribe, reasons, preferences) against the embedded
stack: the browser tests start one on 127.0.0.1 with an ephemeral port. Each connection has a thread
(a browser opens connections it may never use: a single-threaded server would wait on one of those
forever), but the handlers run one at a time, as a single Lambda instance would; a path no route
takes is a 404.
"""

from __future__ import annotations

import base64
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlsplit

from winback_dev.runner import route_of

if TYPE_CHECKING:
    from winback_dev.runner import LocalRunner

MAX_BODY = 1024 * 1024
IDLE_SECONDS = 10  # a connection that sends no request in this time is closed


def _handler_class(runner: LocalRunner) -> type[BaseHTTPRequestHandler]:
    one_at_a_time = threading.Lock()

    class ApiHandler(BaseHTTPRequestHandler):
        timeout = IDLE_SECONDS

        def do_GET(self) -> None:
            self._serve(None)

        def do_POST(self) -> None:
            length = min(int(self.headers.get("Content-Length") or 0), MAX_BODY)
            self._serve(self.rfile.read(length).decode("utf-8", "replace"))

        def _serve(self, body: str | None) -> None:
            url = urlsplit(self.path)
            try:
                route_of(url.path)
            except KeyError:
                self._reply({"statusCode": 404, "headers": {"Content-Type": "text/plain"}, "body": "no route"})
                return
            query = dict(parse_qsl(url.query))
            with one_at_a_time:
                reply = runner.http(self.command, url.path, query, body=body)
            self._reply(reply)

        def _reply(self, reply: dict[str, Any]) -> None:
            raw = reply.get("body") or ""
            data = base64.b64decode(raw) if reply.get("isBase64Encoded") else str(raw).encode("utf-8")
            self.send_response(int(reply["statusCode"]))
            for name, value in (reply.get("headers") or {}).items():
                self.send_header(name, str(value))
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: the handlers log what matters."""

    return ApiHandler


@contextmanager
def serve_http_api(runner: LocalRunner, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
    """Serve the HTTP API on `host` (an ephemeral port by default) while the block runs; yields its base URL."""
    server = ThreadingHTTPServer((host, port), _handler_class(runner))
    thread = threading.Thread(target=server.serve_forever, name="winback-http-api", daemon=True)
    thread.start()
    try:
        yield f"http://{host}:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
