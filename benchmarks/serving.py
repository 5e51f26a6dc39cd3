"""Start `assistant serve` on a free loopback port for a benchmark, and stop it after."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    """A loopback port nobody listens on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextmanager
def running_server(env: dict[str, str], *extra_args: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """Yield (base URL, /healthz body) of a server started with the given environment
    (merged into this process's) and extra `assistant serve` arguments."""
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "assistant.cli", "serve", "--port", str(port), *extra_args],
        cwd=ROOT,
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                health: dict[str, Any] = httpx.get(f"{base}/healthz", timeout=1).json()
                break
            except httpx.HTTPError as exc:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise RuntimeError(
                        "the server did not start: run `assistant serve` to see why"
                    ) from exc
                time.sleep(0.2)
        yield base, health
    finally:
        server.terminate()
        server.wait(timeout=30)
