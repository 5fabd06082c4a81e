"""Request dependencies: the database session, the signed-in principal, role checks."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Query, Request
from fastapi.security import APIKeyHeader, OAuth2PasswordBearer
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from api import disconnect
from ecogrid.accounts import service as user_service
from ecogrid.core.database import STATEMENT_TIMEOUT_KEY, set_statement_timeout
from ecogrid.core.errors import Forbidden, InvalidInput, NotAuthenticated
from ecogrid.core.settings import Settings
from geo.bbox import BBox, BBoxError

# The two ways an API caller is known, shown in the OpenAPI document as security schemes: each
# operation that reads the caller lists both (either one will do).
oauth2_scheme = OAuth2PasswordBearer(
    tokenUrl="/api/v1/auth/token", auto_error=False, scheme_name="bearer",
    description="A bearer token from POST /api/v1/auth/token (user name and password), sent as "
    "`Authorization: Bearer <token>`; valid for the configured minutes, revoked by /api/v1/auth/logout.")
api_key_scheme = APIKeyHeader(
    name="X-API-Key", auto_error=False, scheme_name="apiKey",
    description="An integration's API key (`ecogrid apikeys create`), acting in the role it was issued for.")


# Dependencies that touch no database are ``async def``: FastAPI runs a plain ``def`` one in the thread
# pool, a hop per dependency per request.
async def get_settings_dep(request: Request) -> Settings:
    return request.app.state.settings


def get_db(request: Request) -> Iterator[Session]:
    """The request's session: statements under the interactive statement timeout, cancelled when
    the client goes away (see api.disconnect)."""
    database = request.app.state.db
    guard = disconnect.guard_of(request.scope)
    session = database.request_session(statement_timeout_ms=request.app.state.settings.statement_timeout_ms,
                                        on_connection=guard.watch if guard else None)
    try:
        yield session
    except Exception:
        try:
            session.rollback()
        except SQLAlchemyError:
            pass  # the connection is gone; the original error says why
        raise
    finally:
        session.close()


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
DbSession = Annotated[Session, Depends(get_db)]


def get_export_db(session: DbSession, settings: SettingsDep) -> Session:
    """The request's session with the longer timeout of file exports (from the current transaction on)."""
    session.info[STATEMENT_TIMEOUT_KEY] = settings.export_statement_timeout_ms
    if session.in_transaction():
        set_statement_timeout(session, settings.export_statement_timeout_ms)
    return session


ExportDbSession = Annotated[Session, Depends(get_export_db)]


async def bbox_query(bbox: Annotated[str | None, Query(description="west,south,east,north (WGS-84)")] = None,
               ) -> tuple[float, float, float, float] | None:
    box = parse_bbox(bbox)
    return box.as_tuple() if box else None


def parse_bbox(raw: str | None, *, field: str = "bbox") -> BBox | None:
    """``BBox.parse`` with its refusal said as a domain error (422 naming the field)."""
    try:
        return BBox.parse(raw, field=field)
    except BBoxError as exc:
        raise InvalidInput(exc.message, field=exc.field) from None


# The ``bbox`` query parameter of list endpoints, checked by the one parser.
BBoxQuery = Annotated[tuple[float, float, float, float] | None, Depends(bbox_query)]


@dataclass(frozen=True)
class Principal:
    """Who is calling: a signed-in user, or an integration with an API key (acting in a role)."""

    user_id: int | None
    name: str
    role: str
    via_api_key: bool = False


def get_principal(
    session: DbSession,
    settings: SettingsDep,
    token: Annotated[str | None, Depends(oauth2_scheme)],
    x_api_key: Annotated[str | None, Depends(api_key_scheme)] = None,
    # Open311 clients send the key as a parameter; the access log redacts it (ecogrid.log_redaction).
    api_key: Annotated[str | None, Query(include_in_schema=False)] = None,
) -> Principal:
    if token:
        user = user_service.user_for_token(session, settings=settings, token=token)
        # The session's identity map holds rows weakly: keeping the caller's row alive for the request
        # spares a second query each time a rule asks for the caller (their team, their zones).
        session.info["principal_row"] = user
        return Principal(user.id, user.username, user.role)
    key = x_api_key or api_key
    if key:
        row = user_service.check_api_key(session, key=key)
        return Principal(None, f"apikey:{row.name}", row.role, via_api_key=True)
    raise NotAuthenticated("sign in first (bearer token or X-API-Key)")


CurrentPrincipal = Annotated[Principal, Depends(get_principal)]


def require_roles(*roles: str):
    """A dependency that lets only the given roles (admin always) through: 403 otherwise."""

    async def check(principal: CurrentPrincipal) -> Principal:
        return check_role(principal, roles)

    return check


def check_role(principal: Principal, roles: tuple[str, ...]) -> Principal:
    if principal.role != "admin" and principal.role not in roles:
        needed = f"one of {', '.join(roles)}" if roles else "admin"  # admin may always; some pages admin alone
        raise Forbidden(f"role {principal.role} may not do this; needs {needed}")
    return principal
