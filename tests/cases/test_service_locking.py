"""Two people acting on one case at once: the row lock makes the second wait and then see the
first one's result, so a case is never revisited twice from the same reply."""

from __future__ import annotations

import threading
import time

from sqlalchemy import select

from ecogrid.accounts import service as user_service
from ecogrid.cases import service as casework
from ecogrid.core.errors import Conflict
from ecogrid.core.models import Case, CaseEvent
from tests.casefactory import new_case


def test_concurrent_revisits_do_not_both_win(live_server):
    with live_server.session() as setup:
        clerk = user_service.create(setup, username="lock_clerk", role="clerk", password="correct-horse-9")
        row = new_case(setup, status="replied", accepted_at=None)
        setup.commit()
        case_id, actor = row.id, casework.Actor(user_id=clerk.id, name="lock_clerk", role="clerk")

    outcome: dict[str, object] = {}

    def second_clerk() -> None:
        with live_server.session() as session:
            try:
                outcome["result"] = casework.act(session, case_id=case_id, action="revisit",
                                                 payload={"satisfaction": "unsatisfied"}, actor=actor)
            except Conflict as exc:
                outcome["result"] = exc

    with live_server.session() as first:
        first.scalars(select(Case).where(Case.id == case_id).with_for_update()).one()
        waiting = threading.Thread(target=second_clerk)
        waiting.start()
        time.sleep(0.5)
        assert waiting.is_alive(), "the second revisit did not wait for the lock"
        casework.act(first, case_id=case_id, action="revisit", payload={"satisfaction": "satisfied"}, actor=actor)
    waiting.join(timeout=10)

    assert isinstance(outcome["result"], Conflict)
    with live_server.session() as check:
        revisits = check.scalars(select(CaseEvent.action).where(CaseEvent.case_id == case_id,
                                                                CaseEvent.action == "revisit")).all()
        assert len(revisits) == 1
        assert check.get(Case, case_id).status == "revisited"
