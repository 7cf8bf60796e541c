"""The socket guard is on for every test: a connection to the outside world fails loudly."""

from __future__ import annotations

import socket
import urllib.request

import pytest

from tests.socket_guard import NetworkBlockedError


def test_socket_guard_refuses_the_internet():
    with pytest.raises(
        NetworkBlockedError, match=r"socket guard: a test tried to connect to 1\.1\.1\.1:443"
    ):
        socket.create_connection(("1.1.1.1", 443), timeout=1)


def test_socket_guard_refuses_a_model_download():
    with pytest.raises(Exception, match="socket guard"):
        urllib.request.urlopen("http://93.184.216.34/model.bin", timeout=1)


def test_socket_guard_lets_unix_sockets_through(tmp_path):
    a, b = socket.socketpair()
    a.sendall(b"ok")
    assert b.recv(2) == b"ok"
    a.close()
    b.close()
