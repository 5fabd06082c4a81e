"""The registry of other departments: where a case is transferred (转办), handed over (移交公安) or
handled jointly (会同). Admin keeps it; a department named on a case is never deleted, only made
inactive, so the case's record of whom it went to stays readable.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import exists, or_, select
from sqlalchemy.orm import Session

from ecogrid.core.errors import Conflict, InvalidInput, NotFound
from ecogrid.core.models import Case, CaseCoHandler, Department
from ecogrid.core.vocabulary import DepartmentKind, label

POLICE = DepartmentKind.police.value


def _kind(value: str) -> str:
    try:
        return DepartmentKind(value).value
    except ValueError:
        kinds = ", ".join(k.value for k in DepartmentKind)
        raise InvalidInput(f"unknown kind {value!r}; one of {kinds}", field="kind") from None


def _check_name_free(session: Session, name: str, *, other_than: int | None = None) -> None:
    query = select(Department.id).where(Department.name == name)
    if other_than is not None:
        query = query.where(Department.id != other_than)
    if session.scalar(query) is not None:
        raise Conflict(f"a department named {name!r} exists already", field="name")


def get(session: Session, department_id: int) -> Department:
    row = session.get(Department, department_id)
    if row is None:
        raise NotFound(f"department {department_id} not found")
    return row


def list_departments(session: Session, *, kind: str | None = None, active: bool | None = None) -> list[Department]:
    query = select(Department).order_by(Department.kind, Department.name)
    if kind is not None:
        query = query.where(Department.kind == _kind(kind))
    if active is not None:
        query = query.where(Department.active.is_(active))
    return list(session.scalars(query))


def create(session: Session, *, name: str, kind: str, contact_person: str | None = None,
           phone: str | None = None, active: bool = True) -> Department:
    _check_name_free(session, name)
    row = Department(name=name, kind=_kind(kind), contact_person=contact_person, phone=phone, active=active)
    session.add(row)
    session.flush()
    return row


def update(session: Session, department_id: int, *, changes: dict[str, Any]) -> Department:
    """Change the fields given (name, kind, contact_person, phone, active)."""
    row = get(session, department_id)
    if "name" in changes:
        _check_name_free(session, changes["name"], other_than=row.id)
    if "kind" in changes:
        changes = {**changes, "kind": _kind(changes["kind"])}
    for key, value in changes.items():
        setattr(row, key, value)
    session.flush()
    return row


def is_named_on_cases(session: Session, department_id: int) -> bool:
    return bool(session.scalar(select(or_(
        exists().where(Case.transferred_to_id == department_id),
        exists().where(CaseCoHandler.department_id == department_id)))))


def remove(session: Session, department_id: int) -> None:
    row = get(session, department_id)
    if is_named_on_cases(session, department_id):
        raise Conflict(f"department {department_id} is named on cases; make it inactive instead")
    session.delete(row)
    session.flush()


def for_case(session: Session, department_id: int, *, police: bool | None = None,
             field: str = "department_id") -> Department:
    """An active department a case may go to: ``police`` True wants a police department, False any other."""
    row = session.get(Department, department_id)
    if row is None or not row.active:
        raise InvalidInput(f"no active department {department_id}", field=field)
    if police is True and row.kind != POLICE:
        raise InvalidInput(f"department {row.id} ({row.name}) is not the police: a handover goes to a department "
                           "of kind police", field=field)
    if police is False and row.kind == POLICE:
        raise InvalidInput(f"department {row.id} ({row.name}) is the police: hand the case over (handover) "
                           "instead of transferring it", field=field)
    return row


def describe(row: Department) -> dict[str, Any]:
    return {"id": row.id, "name": row.name, "kind": row.kind, "kind_label": label(row.kind),
            "contact_person": row.contact_person, "phone": row.phone, "active": row.active}
