"""A moto server in its own process: prints its endpoint, serves until stdin closes.

The memory benchmark uses it so that moto's storage and caches live outside the measured process.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    print(f"http://{host}:{port}", flush=True)
    sys.stdin.read()  # until the parent closes our stdin (or exits)
    server.stop()


@contextmanager
def moto_server_process() -> Iterator[str]:
    """Start the server process, yield its endpoint URL, stop it on exit."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "bench.moto_server"],
        cwd=REPO_ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert proc.stdout is not None
        endpoint = proc.stdout.readline().strip()
        if not endpoint.startswith("http://"):
            raise RuntimeError("moto server process did not start")
        yield endpoint
    finally:
        if proc.stdin is not None:
            proc.stdin.close()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.terminate()
            proc.wait(timeout=10)


if __name__ == "__main__":
    main()
