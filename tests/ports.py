"""Loopback ports for the tests that start a server, or need an address nobody answers on."""

import socket
import socketserver
import threading


def free_port() -> int:
    """A port of 127.0.0.1 that nothing listens on (the system's pick, released at once)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def serve_in_background(server: socketserver.BaseServer) -> threading.Thread:
    """Serve ``server`` from a daemon thread. ``server.shutdown()`` then returns within a
    twentieth of a second: ``serve_forever`` looks for it every half second by default,
    which every test stopping a server waited for."""
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    return thread
