import socket

import pytest


def test_non_loopback_connection_is_refused() -> None:
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    with pytest.raises(RuntimeError, match="loopback"):
        s.connect(("192.0.2.1", 443))
    s.close()


def test_hostname_resolution_is_refused() -> None:
    with pytest.raises(RuntimeError, match="offline"):
        socket.getaddrinfo("example.org", 443)
