"""Workflow actions sent with a client id are taken once: a retry gets the first answer again.

The inspector's phone queues 责令整改 and 办结回复 while offline and sends them when the signal comes
back, like its visits; it cannot tell a lost request from a lost answer, so it may send one twice.
An action carrying a ``client_id`` leaves a receipt (``case_action_receipts``) written in the same
transaction as the history row it made, so the action and its receipt are stored together or not at
all. The same id again, with the same case, action and body, answers what the first one answered
and changes nothing; with anything else it is refused (Conflict naming ``client_id``), because the
phone would otherwise believe an action was taken that never was. What ids look like, the lock
copies queue on and the body's fingerprint are the same as for visits (:mod:`ecogrid.core.client_ids`).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from ecogrid.cases import service as casework
from ecogrid.core import client_ids
from ecogrid.core.errors import Conflict
from ecogrid.core.models import Case, CaseActionReceipt, CaseEvent

LOCK_KIND = "case_action"


def act_once(session: Session, *, case_id: int, action: str, payload: Mapping[str, Any] | None,
             actor: casework.Actor, client_id: str, now: datetime | None = None) -> tuple[dict[str, Any], bool]:
    """Take the action unless this client id already did; ``(the case as a list item, taken now)``."""
    key = client_ids.clean(client_id, "client_id")
    asked = client_ids.fingerprint({"case_id": case_id, "action": action, "payload": dict(payload or {})})
    client_ids.queue_behind(session, kind=LOCK_KIND, client_id=key)
    found = session.get(CaseActionReceipt, key)
    if found is not None:
        return _replay(session, found, actor=actor, asked=asked), False

    receipt = CaseActionReceipt(client_id=key, case_id=case_id, action=action, actor_id=actor.user_id,
                                fingerprint=asked)

    def keep_receipt(event: CaseEvent) -> None:
        session.flush()  # the history row's id
        receipt.case_event_id = event.id
        session.add(receipt)

    answer = casework.act(session, case_id=case_id, action=action, payload=payload, actor=actor, now=now,
                          on_event=keep_receipt)
    receipt.answer = answer
    session.commit()
    return answer, True


def _replay(session: Session, found: CaseActionReceipt, *, actor: casework.Actor, asked: str) -> dict[str, Any]:
    if found.actor_id != actor.user_id:
        raise Conflict("this client id is already used by another user's action", field="client_id")
    if found.fingerprint != asked:
        raise Conflict("this client id was sent before with another case, action or body; "
                       "a new action needs a new client id", field="client_id")
    if found.answer is not None:
        return found.answer
    # Taken, but the answer was not written yet (a copy that waited on the first one's lock): the case as it is.
    case = session.get(Case, found.case_id)
    assert case is not None  # a receipt's case exists (foreign key)
    moment = datetime.now(UTC)
    return casework.summarise(case, casework.last_revisits(session, [case.id]).get(case.id), now=moment,
                              concluded_at=casework.concluded_times(session, [case.id]).get(case.id))
