"""Helpers for the sign-in tests: an app on the test's session with chosen settings, the form's CSRF value,
and a counter of real argon2 verifications."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

from fastapi import FastAPI
from fastapi.testclient import TestClient
from pwdlib.hashers.argon2 import Argon2Hasher
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from api.deps import get_db
from api.factory import create_app
from ecogrid.core.database import Database
from ecogrid.core.settings import Settings

PASSWORD = "correct-horse-9"


def app_on(db: Session, engine: Engine, settings: Settings) -> FastAPI:
    """Like the ``app`` fixture, with these settings (each call is a separate app, as a separate process)."""
    application = create_app(settings, Database(engine, sessionmaker(bind=engine)))

    def _same_session() -> Iterator[Session]:
        yield db

    application.dependency_overrides[get_db] = _same_session
    return application


@contextmanager
def client_on(db: Session, engine: Engine, settings: Settings, **kwargs: object) -> Iterator[TestClient]:
    with TestClient(app_on(db, engine, settings), **kwargs) as c:
        yield c


def sign_in_form_csrf(client: TestClient, next_path: str = "/maps/heatmap") -> str:
    """Open the sign-in form (which sets the CSRF cookie) and return the value the form carries."""
    form = client.get("/signin", params={"next": next_path})
    assert form.status_code == 200
    found = re.search(r'name="csrf" value="([^"]+)"', form.text)
    assert found
    return found.group(1)


def sign_in_by_form(client: TestClient, username: str, password: str = PASSWORD, next_path: str = "/maps/heatmap",
                    **headers: str):
    csrf = sign_in_form_csrf(client, next_path)
    return client.post("/signin", data={"username": username, "password": password, "csrf": csrf,
                                        "next": next_path}, headers=headers, follow_redirects=False)


def api_sign_in(client: TestClient, username: str, password: str = PASSWORD, **headers: str):
    return client.post("/api/v1/auth/token", data={"username": username, "password": password}, headers=headers)


@contextmanager
def counted_argon2_verifications(monkeypatch) -> Iterator[list[int]]:
    """Counts calls of the real argon2 verification (which still runs): ``calls[0]`` after each step."""
    calls = [0]
    real = Argon2Hasher.verify

    def counting(self, password, hash):  # noqa: A002 - the library's own parameter name
        calls[0] += 1
        return real(self, password, hash)

    monkeypatch.setattr(Argon2Hasher, "verify", counting)
    yield calls
