"""A real S3-protocol server for tests: moto's server (from PyPI) in its own process on 127.0.0.1.

Nothing of boto3 is patched: the store talks HTTP to the server exactly as it would to MinIO.
Each test gets a bucket of its own (``s3_bucket``), so tests never see each other's objects.

The fixtures are imported by tests/conftest.py.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from ecogrid.core.settings import Settings
from ecogrid.inspections.photos.s3_store import S3PhotoStore, _client

ACCESS_KEY = "ecogrid-test"
SECRET_KEY = "ecogrid-test-secret"
REGION = "us-east-1"


@dataclass
class S3Server:
    endpoint_url: str
    process: subprocess.Popen[bytes]

    def client(self) -> Any:
        return _client(self.endpoint_url, REGION, ACCESS_KEY, SECRET_KEY, "path", 2.0, 5.0, 1)


@dataclass
class Bucket:
    server: S3Server
    name: str

    def store(self, prefix: str = "") -> S3PhotoStore:
        return S3PhotoStore(self.server.client(), self.name, prefix=prefix)

    def configure(self, settings: Settings) -> Settings:
        """Point ``settings`` at this bucket (the settings fixture is per test, so this is local to it)."""
        settings.photo_store = "s3"
        settings.s3_endpoint_url = self.server.endpoint_url
        settings.s3_bucket = self.name
        settings.s3_access_key_id = ACCESS_KEY
        settings.s3_secret_access_key = SecretStr(SECRET_KEY)
        settings.s3_region = REGION
        settings.s3_max_attempts = 1
        return settings

    def environment(self) -> dict[str, str]:
        return {"ECOGRID_PHOTO_STORE": "s3", "ECOGRID_S3_ENDPOINT_URL": self.server.endpoint_url,
                "ECOGRID_S3_BUCKET": self.name, "ECOGRID_S3_ACCESS_KEY_ID": ACCESS_KEY,
                "ECOGRID_S3_SECRET_ACCESS_KEY": SECRET_KEY, "ECOGRID_S3_REGION": REGION,
                "ECOGRID_S3_MAX_ATTEMPTS": "1"}

    def keys(self) -> list[str]:
        pages = self.server.client().get_paginator("list_objects_v2").paginate(Bucket=self.name)
        return sorted(item["Key"] for page in pages for item in page.get("Contents", []))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def s3_server() -> Iterator[S3Server]:
    beside_python = Path(sys.executable).with_name("moto_server")
    executable = str(beside_python) if beside_python.exists() else shutil.which("moto_server") or "moto_server"
    port = _free_port()
    process = subprocess.Popen([executable, "-H", "127.0.0.1", "-p", str(port)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise RuntimeError("the S3 test server (moto_server) did not start") from None
            time.sleep(0.1)
    try:
        yield S3Server(f"http://127.0.0.1:{port}", process)
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
def s3_bucket(s3_server: S3Server) -> Bucket:
    name = f"photos-{uuid.uuid4().hex[:12]}"
    s3_server.client().create_bucket(Bucket=name)
    return Bucket(s3_server, name)
