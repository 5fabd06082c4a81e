from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.security import OAuth2PasswordRequestForm
from pydantic import BaseModel

from api.deps import CurrentPrincipal, DbSession, SettingsDep
from ecogrid import security
from ecogrid import users as user_service

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


@router.post("/token", response_model=TokenRead)
def sign_in(form: Annotated[OAuth2PasswordRequestForm, Depends()], session: DbSession,
            settings: SettingsDep) -> TokenRead:
    user = user_service.authenticate(session, username=form.username, password=form.password)
    token = security.issue_token(settings=settings, user_id=user.id, role=user.role)
    return TokenRead(access_token=token, role=user.role, username=user.username)


@router.get("/me", response_model=MeRead)
def me(principal: CurrentPrincipal) -> MeRead:
    return MeRead(user_id=principal.user_id, name=principal.name, role=principal.role)
