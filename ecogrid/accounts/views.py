"""Sign-in for API clients (a bearer token), who is signed in, and sign-out."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from fastapi.security import OAuth2PasswordRequestForm
from pydantic import BaseModel

from api import forwarded
from api.deps import CurrentPrincipal, DbSession, SettingsDep, oauth2_scheme
from api.openapi_responses import errors
from api.page_auth import TOKEN_COOKIE, clear_token_cookie
from ecogrid.accounts import service as user_service
from ecogrid.accounts import sign_in as sign_in_flow
from ecogrid.core.errors import NotAuthenticated

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])


class TokenRead(BaseModel):
    access_token: str
    token_type: str = "bearer"
    role: str
    username: str


class MeRead(BaseModel):
    user_id: int | None
    name: str
    role: str


@router.post("/token", response_model=TokenRead, responses=errors(401, 429))
def sign_in(form: Annotated[OAuth2PasswordRequestForm, Depends()], request: Request, session: DbSession,
            settings: SettingsDep) -> TokenRead:
    """A bearer token valid for ``token_minutes``. Failed attempts are throttled per user name and per
    client address (429 with Retry-After)."""
    user = sign_in_flow.sign_in(session, settings=settings, username=form.username, password=form.password,
                                client=forwarded.client_address(request, settings))
    token = user_service.issue_token(settings=settings, user=user)
    return TokenRead(access_token=token, role=user.role, username=user.username)


@router.post("/logout", status_code=204, responses=errors(401))
def sign_out(request: Request, session: DbSession, settings: SettingsDep,
             token: Annotated[str | None, Depends(oauth2_scheme)]) -> Response:
    """Sign out: revokes every token of this user (all devices and pages), and clears the page cookie."""
    token = token or request.cookies.get(TOKEN_COOKIE)
    if not token:
        raise NotAuthenticated("sign in first (bearer token or page cookie); API keys are revoked, not signed out")
    user = user_service.user_for_token(session, settings=settings, token=token)
    user_service.revoke_tokens(session, user=user)
    session.commit()
    response = Response(status_code=204)
    clear_token_cookie(response, request=request, settings=settings)
    return response


@router.get("/me", response_model=MeRead)
def read_me(principal: CurrentPrincipal) -> MeRead:
    return MeRead(user_id=principal.user_id, name=principal.name, role=principal.role)
