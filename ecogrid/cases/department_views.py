"""The registry of other departments (admin): create, list, read, change, remove.

Chiefs and clerks read it too, since a transfer, a handover or a co-handling names a department by id.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from api.deps import DbSession, Principal, require_roles
from api.openapi_responses import errors
from api.params import Id
from ecogrid.cases import departments
from ecogrid.cases.schemas import DepartmentCreate, DepartmentPatch, DepartmentRead
from ecogrid.core.errors import InvalidInput
from ecogrid.core.vocabulary import DepartmentKind

router = APIRouter(prefix="/api/v1/admin/departments", tags=["departments"])

Admin = Annotated[Principal, Depends(require_roles("admin"))]
Reader = Annotated[Principal, Depends(require_roles("chief", "clerk"))]


@router.post("", status_code=201, response_model=DepartmentRead, operation_id="create_department",
             responses=errors(409))
def create_department(body: DepartmentCreate, session: DbSession, _: Admin) -> DepartmentRead:
    """A department's name is unique (409 when taken)."""
    row = departments.create(session, **body.model_dump())
    session.commit()
    return DepartmentRead.model_validate(departments.describe(row))


@router.get("", response_model=list[DepartmentRead], operation_id="list_departments")
def list_departments(session: DbSession, _: Reader, kind: DepartmentKind | None = None,
                     active: Annotated[bool | None, Query(description="only active (or inactive) ones")] = None
                     ) -> list[DepartmentRead]:
    rows = departments.list_departments(session, kind=kind.value if kind else None, active=active)
    return [DepartmentRead.model_validate(departments.describe(r)) for r in rows]


@router.get("/{department_id}", response_model=DepartmentRead, operation_id="read_department",
            responses=errors(404))
def read_department(department_id: Id, session: DbSession, _: Reader) -> DepartmentRead:
    return DepartmentRead.model_validate(departments.describe(departments.get(session, department_id)))


@router.patch("/{department_id}", response_model=DepartmentRead, operation_id="update_department",
              responses=errors(404, 409))
def update_department(department_id: Id, body: DepartmentPatch, session: DbSession, _: Admin) -> DepartmentRead:
    changes = body.model_dump(exclude_unset=True)
    for required in ("name", "kind", "active"):
        if required in changes and changes[required] is None:
            raise InvalidInput(f"{required} cannot be emptied", field=required)
    row = departments.update(session, department_id, changes=changes)
    session.commit()
    return DepartmentRead.model_validate(departments.describe(row))


@router.delete("/{department_id}", status_code=204, operation_id="delete_department", responses=errors(404, 409))
def delete_department(department_id: Id, session: DbSession, _: Admin) -> Response:
    """A department named on a case is not removed (409): make it inactive instead."""
    departments.remove(session, department_id)
    session.commit()
    return Response(status_code=204)
