"""Users and integration keys."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ecogrid.core import security
from ecogrid.core.errors import Conflict, InvalidInput, NotAuthenticated, NotFound
from ecogrid.core.models import ApiKey, User
from ecogrid.core.settings import Settings
from ecogrid.core.vocabulary import Role

MIN_PASSWORD_LENGTH = 8


def create(session: Session, *, username: str, role: str, password: str, full_name: str | None = None,
           phone: str | None = None, team: str | None = None) -> User:
    if role not in Role.__members__:
        raise InvalidInput(f"unknown role {role!r}; one of {', '.join(Role)}", field="role")
    team = (team or "").strip() or None
    if team is not None and role != Role.inspector:
        raise InvalidInput("only inspectors belong to an enforcement team", field="team")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(f"password must have at least {MIN_PASSWORD_LENGTH} characters", field="password")
    if get_by_username(session, username=username):
        raise Conflict(f"user {username!r} exists", field="username")
    user = User(username=username, role=role, password_hash=security.hash_password(password),
                full_name=full_name or username, phone=phone, team=team)
    session.add(user)
    session.flush()
    return user


def get_by_username(session: Session, *, username: str) -> User | None:
    return session.scalars(select(User).where(User.username == username)).first()


def authenticate(session: Session, *, username: str, password: str) -> User:
    """The user, if the name and password match an active account. Every answer costs one password
    hash, so the time taken does not tell whether the name exists."""
    user = get_by_username(session, username=username)
    if not user or not user.active:
        security.spend_verification_time(password)
        raise NotAuthenticated("wrong user name or password")
    if not security.verify_password(password, user.password_hash):
        raise NotAuthenticated("wrong user name or password")
    return user


def issue_token(*, settings: Settings, user: User) -> str:
    return security.issue_token(settings=settings, user_id=user.id, role=user.role, version=user.token_version)


def user_for_token(session: Session, *, settings: Settings, token: str) -> User:
    """The active user a token was issued to, unless it was revoked since (sign-out, deactivation)."""
    claims = security.read_token(settings=settings, token=token)
    user = session.get(User, claims.user_id)
    if not user or not user.active:
        raise NotAuthenticated("user no longer active")
    if claims.version != user.token_version:
        raise NotAuthenticated("token revoked: sign in again")
    return user


def revoke_tokens(session: Session, *, user: User) -> None:
    """Sign out everywhere: every token issued to this user so far stops working."""
    user.token_version = User.token_version + 1
    session.flush()
    session.refresh(user, ["token_version"])


def deactivate(session: Session, *, username: str) -> User:
    user = get_by_username(session, username=username)
    if not user:
        raise NotFound(f"no user {username!r}", field="username")
    user.active = False
    revoke_tokens(session, user=user)
    return user


def create_api_key(session: Session, *, name: str, role: str = Role.clerk) -> tuple[ApiKey, str]:
    if session.scalars(select(ApiKey).where(ApiKey.name == name)).first():
        raise Conflict(f"API key {name!r} exists", field="name")
    key = security.new_api_key()
    row = ApiKey(name=name, prefix=key[:10], key_hash=security.api_key_hash(key), role=role)
    session.add(row)
    session.flush()
    return row, key


def check_api_key(session: Session, *, key: str) -> ApiKey:
    row = session.scalars(select(ApiKey).where(ApiKey.key_hash == security.api_key_hash(key))).first()
    if not row or row.revoked_at is not None:
        raise NotAuthenticated("invalid API key")
    return row


def display_names(session: Session, ids: set[int] | list[int]) -> dict[int, str]:
    """user id -> the name a page shows (full name, else user name)."""
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return dict(session.execute(select(User.id, func.coalesce(User.full_name, User.username))
                                .where(User.id.in_(wanted))).all())


def dispatch_targets(session: Session) -> tuple[list[User], list[str]]:
    """The active inspectors a case may be dispatched to, and the teams that have one (by name)."""
    inspectors = list(session.scalars(select(User).where(User.role == Role.inspector.value, User.active.is_(True))
                                      .order_by(User.team.nulls_last(), User.username)))
    teams = sorted({u.team for u in inspectors if u.team})
    return inspectors, teams
