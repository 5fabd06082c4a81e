"""Who may touch which record: the facts behind the workflow's place rules, gathered once.

The rules themselves are pure and live in :mod:`ecogrid.workflow.states` (:func:`~ecogrid.workflow.
states.may_act_on`); this module reads what they need from the database and is the one check that
case actions, inspections, photos, suspects and the case and complaint reads all call:

- **Inspectors** see and act on the cases dispatched to them or to their team (``users.team``),
  and the complaints of those cases; any other case is answered 404, exactly like a case that does
  not exist, so ids of other people's cases are not confirmed.
- **Chiefs** read every case; they act on cases in their zones (the zones whose officer they are,
  with everything nested in them), and on a cross-district case whose source lies in their zones.
  The officer of a top-level zone is city-level and acts
  everywhere; a chief who is officer of no zone acts nowhere. A refused chief gets 403.
- **Admin** reads and acts everywhere; clerks and planners are limited by role alone.
- **Intake** (REST ``POST /api/v1/complaints`` and Open311 ``POST requests.json``) is open to the
  roles in :data:`INTAKE_ROLES`, whether the caller signs in or uses an API key.
- **Dispatch** goes to an active inspector, or to a team with at least one active inspector.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, false, func, or_, select, true
from sqlalchemy.orm import Session, object_session
from sqlalchemy.orm.interfaces import ORMOption

from ecogrid.cases import rules, states
from ecogrid.core.errors import Forbidden, InvalidInput, NotFound
from ecogrid.core.models import Case, Source, User, Zone
from ecogrid.core.vocabulary import Role

# Registering complaints is intake work: clerks (and admin). Hotline and Open311 integrations
# get a clerk key; a key of any other role is refused by both intake doors alike.
INTAKE_ROLES = frozenset({Role.clerk.value, Role.admin.value})


def check_may_register(role: str) -> None:
    """Refuse (Forbidden) a caller whose role may not register complaints, on every intake surface."""
    if role not in INTAKE_ROLES:
        raise Forbidden(f"role {role} may not register complaints; needs one of {', '.join(sorted(INTAKE_ROLES))}")


# ---------------------------------------------------------------- facts


def reach_of(session: Session, *, user_id: int | None, role: str) -> states.Reach:
    """Where this user may act: their id and team, and for a chief the zones they answer for."""
    if role == Role.admin.value:
        return states.Reach(user_id=user_id, zone_ids=None)
    if user_id is None:
        # An API key acting in a role has no person behind it: it is assigned nothing, owns no zone.
        return states.Reach(user_id=None, zone_ids=frozenset())
    # The caller's row is already in the session (the token check loaded it): no second query for the team.
    user = session.get(User, user_id)
    team = user.team if user is not None else None
    if role != Role.chief.value:
        return states.Reach(user_id=user_id, team=team, zone_ids=None)
    return states.Reach(user_id=user_id, team=team, zone_ids=_zones_of_officer(session, user_id=user_id))


def _zones_of_officer(session: Session, *, user_id: int) -> frozenset[int] | None:
    """The officer's zones and all their descendants; None (everywhere) for the officer of a top zone."""
    owned = session.execute(select(Zone.id, Zone.parent_id).where(Zone.officer_id == user_id)).all()
    if any(parent is None for _, parent in owned):
        return None
    if not owned:
        return frozenset()
    tree = select(Zone.id).where(Zone.officer_id == user_id).cte("officer_tree", recursive=True)
    tree = tree.union_all(select(Zone.id).where(Zone.parent_id == tree.c.id))
    return frozenset(session.scalars(select(tree.c.id)))


def assignment_of(case: Case) -> states.Assignment:
    owner = object_session(case)
    source_zone = cross_district_source_zone(owner, case) if owner is not None else None
    return states.Assignment(assigned_to_id=case.assigned_to_id, assigned_team=case.assigned_team,
                             zone_id=case.zone_id, source_zone_id=source_zone)


def cross_district_source_zone(session: Session, case: Case) -> int | None:
    """The zone of the case's confirmed source if the case is cross-district (``rules.cross_district_sql``)."""
    if case.confirmed_source_id is None or case.zone_id is None:
        return None
    return session.scalar(select(Source.zone_id).join(Case, Case.confirmed_source_id == Source.id)
                          .where(Case.id == case.id, rules.cross_district_sql()))


# ---------------------------------------------------------------- reading


def sees_case(role: str, reach: states.Reach, case: Case) -> bool:
    """Inspectors see only their own (or their team's) cases; every other role sees all."""
    return role != Role.inspector.value or states.is_assigned(reach, assignment_of(case))


def check_sees_case(session: Session, *, case_id: int, user_id: int | None, role: str,
                    lock: bool = False, field: str | None = None, options: Sequence[ORMOption] = ()) -> Case:
    """The case, if it exists and the user may see it; NotFound otherwise (the same answer for both).

    ``field`` names the input that carried the id when it came in a body (not in the path); ``options``
    are loader options for what the caller reads next.
    """
    query = select(Case).where(Case.id == case_id).options(*options)
    case = session.scalars(query.with_for_update() if lock else query).first()
    if case is None or not sees_case(role, reach_of(session, user_id=user_id, role=role), case):
        raise NotFound(f"case {case_id} not found", field=field)
    return case


def visible_cases(role: str, reach: states.Reach) -> ColumnElement[bool]:
    """A WHERE condition on ``cases`` keeping what ``role`` may see (every case but for inspectors)."""
    if role != Role.inspector.value:
        return true()
    conditions = []
    if reach.user_id is not None:
        conditions.append(Case.assigned_to_id == reach.user_id)
    if reach.team is not None:
        conditions.append(Case.assigned_team == reach.team)
    return or_(*conditions) if conditions else false()


def visible_case_ids(session: Session, *, user_id: int | None, role: str) -> Any:
    """A subquery of the ids of the cases the user may see, or None when they may see all."""
    if role != Role.inspector.value:
        return None
    return select(Case.id).where(visible_cases(role, reach_of(session, user_id=user_id, role=role)))


# ---------------------------------------------------------------- acting


def check_may_act(session: Session, *, case: Case, user_id: int | None, role: str) -> states.Reach:
    """Refuse (NotFound for a case the user cannot see, Forbidden outside their reach); the reach."""
    reach = reach_of(session, user_id=user_id, role=role)
    if not sees_case(role, reach, case):
        raise NotFound(f"case {case.id} not found")
    try:
        states.check_place(Role(role), reach, assignment_of(case))
    except states.NotYours as exc:
        raise Forbidden(exc.reason) from None
    return reach


def check_dispatch_target(session: Session, assignee: states.Assignee, *, field: str) -> User | str:
    """The inspector or team a case may go to; InvalidInput naming ``field`` otherwise."""
    if assignee.kind == "user":
        try:
            ident = int(assignee.id)
        except (TypeError, ValueError):
            raise InvalidInput("user_id must be a user id", field=field) from None
        user = session.get(User, ident)
        if user is None or not user.active:
            raise InvalidInput(f"no active user {ident}", field=field)
        if user.role != Role.inspector.value:
            raise InvalidInput(f"a case is dispatched to an inspector; user {ident} is {user.role}", field=field)
        return user
    team = str(assignee.id).strip()
    members = session.scalar(select(func.count()).select_from(User).where(
        User.team == team, User.role == Role.inspector.value, User.active.is_(True))) or 0
    if not members:
        raise InvalidInput(f"team {team!r} has no active inspector", field=field)
    return team
