"""The test suite's socket guard: no test may open a network connection except to the test
PostgreSQL server, so no stage can quietly download a model, a font or a stylesheet.

Installed for the whole session by tests/conftest.py. It wraps Python's `socket.connect` (what
urllib, requests, huggingface_hub and fontTools would use); unix sockets stay allowed. psycopg's
libpq connects below Python and only ever to the test server. Subprocesses started by tests are
not covered; they run the same code paths the in-process tests already guard.
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from typing import Any


class NetworkBlockedError(RuntimeError):
    pass


def install(allowed: set[tuple[str, int]]) -> Callable[[], None]:
    """Refuse every inet connection not in `allowed` (host, port); returns an uninstaller."""
    original_connect = socket.socket.connect
    original_connect_ex = socket.socket.connect_ex

    def check(sock: socket.socket, address: Any) -> None:
        if sock.family == socket.AF_UNIX:
            return
        host, port = address[0], address[1]
        if (host, port) not in allowed:
            raise NetworkBlockedError(f"socket guard: a test tried to connect to {host}:{port}")

    def connect(self: socket.socket, address: Any) -> None:
        check(self, address)
        original_connect(self, address)

    def connect_ex(self: socket.socket, address: Any) -> int:
        check(self, address)
        return original_connect_ex(self, address)

    socket.socket.connect = connect  # type: ignore[method-assign]
    socket.socket.connect_ex = connect_ex  # type: ignore[method-assign]

    def uninstall() -> None:
        socket.socket.connect = original_connect  # type: ignore[method-assign]
        socket.socket.connect_ex = original_connect_ex  # type: ignore[method-assign]

    return uninstall
