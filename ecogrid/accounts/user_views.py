from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict
from sqlalchemy import select

from api.deps import DbSession, Principal, require_roles
from ecogrid.core.models import User

router = APIRouter(prefix="/api/v1/users", tags=["users"])


class UserRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    username: str
    full_name: str | None
    role: str
    active: bool
    qualified: bool
    team: str | None


@router.get("", response_model=list[UserRead])
def list_users(session: DbSession, _: Annotated[Principal, Depends(require_roles("chief", "planner"))],
               role: str | None = None) -> list[User]:
    query = select(User).order_by(User.id)
    if role:
        query = query.where(User.role == role)
    return list(session.scalars(query))
