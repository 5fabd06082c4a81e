"""Workflow actions sent with a client id (the phone's queue retries): taken once, the retry answered
with the first answer, the same id with another body refused, nothing half-written."""

from __future__ import annotations

import threading
import uuid

from sqlalchemy import func, select

from ecogrid.cases import receipts
from ecogrid.cases import service as casework
from ecogrid.core.models import Case, CaseActionReceipt, CaseEvent
from tests.staffing import actor, city_chief, dispatched, person

DUE = "2099-01-10T17:00:00+08:00"


def post(client, headers, case_id, action, body):
    return client.post(f"/api/v1/cases/{case_id}/{action}", json=body, headers=headers)


def _in_progress(db, client, auth):
    chief = city_chief(db)
    inspector = person(db, "inspector")
    row = dispatched(db, chief=chief, to={"user_id": inspector.id})
    headers = auth(inspector)
    assert post(client, headers, row.id, "start", {}).status_code == 200
    return row, inspector, headers


def _count(db, model, *where) -> int:
    return db.scalar(select(func.count()).select_from(model).where(*where))


def _events(db, case_id: int, action: str) -> int:
    return _count(db, CaseEvent, CaseEvent.case_id == case_id, CaseEvent.action == action)


def test_a_retried_rectification_order_is_stored_once_and_answered_alike(client, db, auth):
    row, _, headers = _in_progress(db, client, auth)
    body = {"due_at": DUE, "requirement": "夜间22时后停止营业性音响", "client_id": str(uuid.uuid4())}

    first = post(client, headers, row.id, "rectify", body)
    again = post(client, headers, row.id, "rectify", body)

    assert first.status_code == 200, first.text
    assert again.status_code == 200, again.text
    assert again.json() == first.json()
    assert first.json()["status"] == "rectification"
    assert _events(db, row.id, "rectify") == 1
    assert _count(db, CaseActionReceipt, CaseActionReceipt.case_id == row.id) == 1
    history = client.get(f"/api/v1/cases/{row.id}", headers=headers).json()["history"]
    assert [e["action"] for e in history].count("rectify") == 1
    # Without a client id the same order is a new action, refused in the case's status now.
    plain = {k: v for k, v in body.items() if k != "client_id"}
    assert post(client, headers, row.id, "rectify", plain).status_code == 409


def test_the_reply_after_the_order_is_stored_once_too(client, db, auth):
    row, _, headers = _in_progress(db, client, auth)
    order = {"due_at": DUE, "requirement": "加装隔声罩", "client_id": str(uuid.uuid4())}
    reply = {"summary": "已整改，复测达标", "client_id": str(uuid.uuid4())}
    assert post(client, headers, row.id, "rectify", order).json()["status"] == "rectification"
    recheck = client.post("/api/v1/inspections", headers=headers,  # 复查: the visit a reply after an order waits for
                          json={"case_id": row.id, "client_id": f"recheck-{uuid.uuid4()}", "findings": "已加装隔声罩"})
    assert recheck.status_code == 201, recheck.text
    answers = [post(client, headers, row.id, "reply", reply) for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 200]
    assert {a.json()["status"] for a in answers} == {"replied"}
    # The order sent again after the reply still gets its own first answer, and changes nothing.
    late = post(client, headers, row.id, "rectify", order)
    assert late.status_code == 200 and late.json()["status"] == "rectification"
    assert db.get(Case, row.id).status == "replied"
    assert (_events(db, row.id, "rectify"), _events(db, row.id, "reply")) == (1, 1)


def test_the_same_client_id_with_another_body_is_a_conflict_naming_it(client, db, auth):
    row, _, headers = _in_progress(db, client, auth)
    key = str(uuid.uuid4())
    assert post(client, headers, row.id, "rectify", {"due_at": DUE, "requirement": "A", "client_id": key}
                ).status_code == 200
    other = post(client, headers, row.id, "rectify", {"due_at": DUE, "requirement": "B", "client_id": key})
    assert other.status_code == 409, other.text
    assert "client id" in other.text and "client_id" in other.text
    elsewhere = post(client, headers, row.id, "reply", {"summary": "已整改", "client_id": key})
    assert elsewhere.status_code == 409
    assert db.get(Case, row.id).status == "rectification"
    assert (_events(db, row.id, "rectify"), _events(db, row.id, "reply")) == (1, 0)


def test_another_users_client_id_is_refused(client, db, auth):
    row, _, headers = _in_progress(db, client, auth)
    key = str(uuid.uuid4())
    body = {"due_at": DUE, "client_id": key}
    assert post(client, headers, row.id, "rectify", body).status_code == 200
    chief = city_chief(db)
    assert post(client, auth(chief), row.id, "rectify", body).status_code == 409
    assert _events(db, row.id, "rectify") == 1


def test_a_refused_action_leaves_no_receipt_and_a_bad_id_names_the_field(client, db, auth):
    row, _, headers = _in_progress(db, client, auth)
    key = str(uuid.uuid4())
    past = post(client, headers, row.id, "rectify", {"due_at": "2020-01-01T00:00:00+08:00", "client_id": key})
    assert past.status_code == 422 and "due_at" in past.text
    assert _count(db, CaseActionReceipt, CaseActionReceipt.client_id == key) == 0
    # Corrected, the same id goes through: nothing was taken under it.
    assert post(client, headers, row.id, "rectify", {"due_at": DUE, "client_id": key}).status_code == 200
    bad = post(client, headers, row.id, "reply", {"summary": "x", "client_id": "no spaces!"})
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["loc"][-1] == "client_id"
    assert db.get(Case, row.id).status == "rectification"


def test_two_copies_sent_at_once_take_the_action_once(live_server):
    with live_server.session() as setup:
        chief = city_chief(setup)
        inspector = person(setup, "inspector")
        row = dispatched(setup, chief=chief, to={"user_id": inspector.id})
        casework.act(setup, case_id=row.id, action="start", payload=None, actor=actor(inspector))
        setup.commit()
        case_id, who = row.id, actor(inspector)
    key = str(uuid.uuid4())
    payload = {"summary": "已整改"}
    results: list[object] = []
    start = threading.Barrier(2)

    def send() -> None:
        with live_server.session() as session:
            start.wait()
            try:
                results.append(receipts.act_once(session, case_id=case_id, action="reply", payload=payload,
                                                 actor=who, client_id=key))
            except Exception as exc:  # noqa: BLE001 - the test reports what either copy raised
                results.append(exc)

    copies = [threading.Thread(target=send) for _ in range(2)]
    for copy in copies:
        copy.start()
    for copy in copies:
        copy.join(timeout=20)

    assert all(isinstance(r, tuple) for r in results), results
    assert sorted(taken for _, taken in results) == [False, True]  # type: ignore[misc]
    assert {answer["status"] for answer, _ in results} == {"replied"}  # type: ignore[misc]
    with live_server.session() as check:
        assert _events(check, case_id, "reply") == 1
        assert _count(check, CaseActionReceipt, CaseActionReceipt.client_id == key) == 1
