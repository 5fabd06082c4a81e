"""Scratch databases in the test cluster, for tests whose work must really commit."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg

from ecogrid.core.embedded import EmbeddedCluster


@contextmanager
def scratch_database(cluster: EmbeddedCluster, prefix: str) -> Iterator[str]:
    """A new empty PostGIS database in the test cluster (dropped afterwards); yields its URL.

    For tests whose work must really commit (CLI processes, a live server, migrations)."""
    name = f"{prefix}_{os.getpid()}_{int(time.time() * 1000) % 10_000_000}"
    admin = cluster.url("postgres").replace("+psycopg", "")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = cluster.url(name)
    try:
        with psycopg.connect(url.replace("+psycopg", ""), autocommit=True) as conn:
            conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")
        yield url
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

