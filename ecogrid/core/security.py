"""Passwords (argon2 via pwdlib), signed bearer tokens (JWT) and integration API keys."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache

import jwt
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

from ecogrid.core import signing_secret
from ecogrid.core.errors import NotAuthenticated
from ecogrid.core.settings import Settings

API_KEY_PREFIX = "egk_"


@lru_cache
def _hasher() -> PasswordHash:
    return PasswordHash((Argon2Hasher(),))


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(password: str, password_hash: str) -> bool:
    return _hasher().verify(password, password_hash)


@lru_cache
def _dummy_hash() -> str:
    return hash_password(secrets.token_urlsafe(16))


def spend_verification_time(password: str) -> None:
    """Verify against a throw-away hash, so that an unknown user name costs as much as a wrong password
    (otherwise the answer time tells which names exist)."""
    verify_password(password, _dummy_hash())


@dataclass(frozen=True)
class TokenClaims:
    user_id: int
    # The user's token_version when the token was issued; raising it revokes every older token.
    version: int


def _signing_key(settings: Settings) -> str:
    if settings.secret_key:
        return settings.secret_key
    return signing_secret.load_or_create(signing_secret.secret_path(settings))


def issue_token(*, settings: Settings, user_id: int, role: str, version: int = 0,
                now: datetime | None = None) -> str:
    issued = now or datetime.now(UTC)
    claims = {"sub": str(user_id), "role": role, "ver": version, "iat": issued,
              "exp": issued + timedelta(minutes=settings.token_minutes)}
    return jwt.encode(claims, _signing_key(settings), algorithm=settings.jwt_algorithm)


def read_token(*, settings: Settings, token: str) -> TokenClaims:
    """The user and token version in a valid token; the caller compares the version with the user's
    and re-reads the role from the database. A token without an expiry is refused."""
    try:
        claims = jwt.decode(token, _signing_key(settings), algorithms=[settings.jwt_algorithm],
                            options={"require": ["exp", "sub", "ver"]})
        version = claims["ver"]
        if not isinstance(version, int) or isinstance(version, bool):
            raise ValueError("ver is not an integer")
        return TokenClaims(user_id=int(claims["sub"]), version=version)
    except (jwt.PyJWTError, KeyError, ValueError, TypeError) as exc:
        raise NotAuthenticated("invalid or expired token") from exc


def new_api_key() -> str:
    return API_KEY_PREFIX + secrets.token_urlsafe(32)


def api_key_hash(key: str) -> str:
    # Keys are long random strings, so a plain SHA-256 is enough (no dictionary to resist).
    return hashlib.sha256(key.encode()).hexdigest()
