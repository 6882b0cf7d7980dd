"""Loopback ports for the tests that start a server, or need an address nobody answers on."""

import socket


def free_port() -> int:
    """A port of 127.0.0.1 that nothing listens on (the system's pick, released at once)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
