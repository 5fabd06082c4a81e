"""Passwords (argon2 via pwdlib), signed bearer tokens (JWT) and integration API keys."""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta
from functools import lru_cache

import jwt
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

from ecogrid.errors import NotAuthenticated
from ecogrid.settings import Settings

API_KEY_PREFIX = "egk_"


@lru_cache
def _hasher() -> PasswordHash:
    return PasswordHash((Argon2Hasher(),))


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(password: str, password_hash: str) -> bool:
    return _hasher().verify(password, password_hash)


def issue_token(*, settings: Settings, user_id: int, role: str, now: datetime | None = None) -> str:
    issued = now or datetime.now(UTC)
    claims = {"sub": str(user_id), "role": role, "iat": issued,
              "exp": issued + timedelta(minutes=settings.token_minutes)}
    return jwt.encode(claims, settings.secret_key, algorithm=settings.jwt_algorithm)


def read_token(*, settings: Settings, token: str) -> int:
    """The user id in a valid token; the role is re-read from the database by the caller."""
    try:
        claims = jwt.decode(token, settings.secret_key, algorithms=[settings.jwt_algorithm])
        return int(claims["sub"])
    except (jwt.PyJWTError, KeyError, ValueError) as exc:
        raise NotAuthenticated("invalid or expired token") from exc


def new_api_key() -> str:
    return API_KEY_PREFIX + secrets.token_urlsafe(32)


def api_key_hash(key: str) -> str:
    # Keys are long random strings, so a plain SHA-256 is enough (no dictionary to resist).
    return hashlib.sha256(key.encode()).hexdigest()
