"""A real HJ 212 listener on 127.0.0.1 (its own event loop in a thread) and a client socket for tests."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from ecogrid.core.database import Database
from ecogrid.core.settings import Settings
from ecogrid.monitoring.listener import Listener


class RunningListener:
    def __init__(self, database: Database, settings: Settings) -> None:
        self.loop = asyncio.new_event_loop()
        self.listener = Listener(database, settings)
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        asyncio.run_coroutine_threadsafe(self.listener.start("127.0.0.1", 0), self.loop).result(timeout=10)
        self.port = self.listener.port

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self.listener.close(), self.loop).result(timeout=10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)

    def wait_for(self, counter: str, at_least: int, timeout: float = 20.0) -> int:
        deadline = time.monotonic() + timeout
        while self.listener.stats[counter] < at_least and time.monotonic() < deadline:
            time.sleep(0.02)
        return self.listener.stats[counter]


@contextmanager
def running(database: Database, settings: Settings) -> Iterator[RunningListener]:
    server = RunningListener(database, settings)
    try:
        yield server
    finally:
        server.stop()


def connect(port: int, timeout: float = 10.0) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    sock.settimeout(timeout)
    return sock


def read_frames(sock: socket.socket, count: int) -> list[bytes]:
    """Read ``count`` CR LF terminated answers (or fewer, if the server closes first)."""
    data = b""
    while data.count(b"\r\n") < count:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    return [line + b"\r\n" for line in data.split(b"\r\n") if line]


def closed_by_server(sock: socket.socket, timeout: float = 10.0) -> bool:
    sock.settimeout(timeout)
    try:
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                return True
    except (ConnectionResetError, BrokenPipeError):
        return True
    except TimeoutError:
        return False
