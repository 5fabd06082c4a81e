"""Starting Playwright (Debian's Chromium) for browser tests, with a guard against a stalled driver.

The Node driver Playwright spawns has been seen, rarely and only under heavy load, to sit idle before
its start-up handshake, leaving the test waiting for ever. A watchdog kills a driver that has not
answered within ``handshake_s``; Playwright then raises "Connection closed", and the start is tried
once more. A test that fails stays a failure; only a start that never completes is retried.
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from playwright.sync_api import Error, Playwright, sync_playwright

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def _own_drivers() -> list[int]:
    me = str(os.getpid())
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/stat") as stat, open(f"/proc/{pid}/cmdline") as cmdline:
                parent = stat.read().rsplit(")", 1)[-1].split()[1]
                command = cmdline.read()
        except OSError:
            continue
        if parent == me and "run-driver" in command:
            found.append(int(pid))
    return found


def _start(handshake_s: float):
    before = set(_own_drivers())
    started = threading.Event()

    def watchdog() -> None:
        if not started.wait(handshake_s):
            for pid in set(_own_drivers()) - before:
                os.kill(pid, signal.SIGKILL)

    threading.Thread(target=watchdog, daemon=True).start()
    manager = sync_playwright()
    try:
        playwright = manager.__enter__()
    finally:
        started.set()
    return manager, playwright


@contextmanager
def playwright_started(*, handshake_s: float = 60.0, attempts: int = 2) -> Iterator[Playwright]:
    for attempt in range(attempts):
        try:
            manager, playwright = _start(handshake_s)
            break
        except Error:
            if attempt == attempts - 1:
                raise
    try:
        yield playwright
    finally:
        manager.__exit__(None, None, None)
