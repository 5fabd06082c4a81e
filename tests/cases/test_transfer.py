"""Work that leaves the bureau and work it shares, through the API: 退单 (return to the platform), 转办
(transfer), 移交公安 (handover to the police), 会同 (co-handling); the departments registry; and 复查,
the follow-up inspection a reply after a rectification order waits for."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select

from ecogrid.core.models import CaseCoHandler, CaseEvent
from tests.casefactory import new_case
from tests.staffing import city_chief, person


def post(client, headers, case_id, action, body=None):
    return client.post(f"/api/v1/cases/{case_id}/{action}", json=body, headers=headers)


def department(client, admin, *, kind: str, name: str | None = None, **fields) -> dict:
    body = {"name": name or f"{kind}-{uuid.uuid4().hex[:6]}", "kind": kind, **fields}
    response = client.post("/api/v1/admin/departments", json=body, headers=admin)
    assert response.status_code == 201, response.text
    return response.json()


def events(db, case_id: int) -> list[str]:
    return list(db.scalars(select(CaseEvent.action).where(CaseEvent.case_id == case_id).order_by(CaseEvent.id)))


def case_body(client, headers, case_id):
    response = client.get(f"/api/v1/cases/{case_id}", headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


# ---------------------------------------------------------------- the departments registry


def test_admin_keeps_the_registry_of_departments(client, auth):
    admin = auth("admin")
    made = department(client, admin, kind="urban_management", name="市南区城管执法局", contact_person="王科长",
                      phone="0532-82000000")
    assert made["kind_label"] == "城管执法" and made["active"] is True
    taken = client.post("/api/v1/admin/departments", json={"name": "市南区城管执法局", "kind": "police"},
                        headers=admin)
    assert taken.status_code == 409
    bad_kind = client.post("/api/v1/admin/departments", json={"name": "x", "kind": "army"}, headers=admin)
    assert bad_kind.status_code == 422 and bad_kind.json()["detail"][0]["loc"] == ["body", "kind"]
    bad_phone = client.post("/api/v1/admin/departments", json={"name": "y", "kind": "water", "phone": "call me"},
                            headers=admin)
    assert bad_phone.status_code == 422 and bad_phone.json()["detail"][0]["loc"] == ["body", "phone"]

    changed = client.patch(f"/api/v1/admin/departments/{made['id']}", json={"contact_person": "李科长"},
                           headers=admin)
    assert changed.status_code == 200 and changed.json()["contact_person"] == "李科长"
    assert changed.json()["phone"] == "0532-82000000"
    emptied = client.patch(f"/api/v1/admin/departments/{made['id']}", json={"name": None}, headers=admin)
    assert emptied.status_code == 422

    listed = client.get("/api/v1/admin/departments?kind=urban_management", headers=auth("chief")).json()
    assert made["id"] in [d["id"] for d in listed]
    assert client.post("/api/v1/admin/departments", json={"name": "z", "kind": "water"},
                       headers=auth("chief")).status_code == 403
    assert client.get("/api/v1/admin/departments", headers=auth("inspector")).status_code == 403

    assert client.delete(f"/api/v1/admin/departments/{made['id']}", headers=admin).status_code == 204
    assert client.get(f"/api/v1/admin/departments/{made['id']}", headers=admin).status_code == 404


def test_a_department_named_on_a_case_is_made_inactive_not_deleted(client, db, auth):
    admin, chief = auth("admin"), auth(city_chief(db))
    body = department(client, admin, kind="urban_management")
    row = new_case(db, category="cooking_fumes")
    moved = post(client, chief, row.id, "transfer", {"department_id": body["id"], "reason": "餐饮油烟"})
    assert moved.status_code == 200
    assert client.delete(f"/api/v1/admin/departments/{body['id']}", headers=admin).status_code == 409
    off = client.patch(f"/api/v1/admin/departments/{body['id']}", json={"active": False}, headers=admin)
    assert off.status_code == 200 and off.json()["active"] is False
    # Still readable on the case that went there.
    assert case_body(client, chief, row.id)["transferred_to"]["name"] == body["name"]


# ---------------------------------------------------------------- 退单


def test_a_work_order_is_returned_to_the_platform_with_a_reason_and_a_note(client, db, auth):
    clerk = auth("clerk")
    row = new_case(db, channel="hotline_12345")
    assert "return" in case_body(client, clerk, row.id)["allowed_actions"]
    no_note = post(client, clerk, row.id, "return", {"reason": "outside_territory"})
    assert no_note.status_code == 422 and no_note.json()["detail"][0]["loc"] == ["body", "note"]
    bad = post(client, clerk, row.id, "return", {"reason": "far_away", "note": "x"})
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["body", "reason"]

    done = post(client, clerk, row.id, "return", {"reason": "outside_territory", "note": "地址属邻区，请改派"})
    assert done.status_code == 200, done.text
    item = done.json()
    assert item["status"] == "returned" and item["status_label"] == "已退单"
    assert item["overdue"] is False and item["closed_on_time"] is None and item["closed_at"] is None

    body = case_body(client, clerk, row.id)
    assert body["return_reason"] == "outside_territory" and body["allowed_actions"] == []
    last = body["history"][-1]
    assert (last["action"], last["from_status"], last["to_status"]) == ("return", "registered", "returned")
    assert last["note"] == "地址属邻区，请改派" and last["data"] == {"reason": "outside_territory"}
    late = post(client, clerk, row.id, "accept")
    assert late.status_code == 409 and "returned to the platform" in late.json()["detail"]


def test_a_return_is_for_the_clerk_and_only_before_acceptance(client, db, auth):
    clerk = auth("clerk")
    row = new_case(db)
    by_chief = post(client, auth(city_chief(db)), row.id, "return", {"reason": "outside_function", "note": "x"})
    assert by_chief.status_code == 403
    assert post(client, clerk, row.id, "accept").status_code == 200
    late = post(client, clerk, row.id, "return", {"reason": "outside_function", "note": "x"})
    assert late.status_code == 409 and late.json()["detail"] == "cannot return a case that is already accepted"
    assert "return" not in case_body(client, clerk, row.id)["allowed_actions"]
    assert events(db, row.id) == ["register", "accept"]


# ---------------------------------------------------------------- 转办 and 移交公安


def test_a_case_is_transferred_with_whom_when_and_why(client, db, auth):
    admin, clerk = auth("admin"), auth("clerk")
    chief_user = city_chief(db)
    chief = auth(chief_user)
    target = department(client, admin, kind="urban_management", contact_person="王科长", phone="0532-82000000")
    row = new_case(db, category="cooking_fumes")
    assert post(client, clerk, row.id, "accept").status_code == 200
    assert {"transfer", "handover", "cohandle"} <= set(case_body(client, chief, row.id)["allowed_actions"])

    missing = post(client, chief, row.id, "transfer", {"department_id": target["id"]})
    assert missing.status_code == 422 and missing.json()["detail"][0]["loc"] == ["body", "reason"]
    unknown = post(client, chief, row.id, "transfer", {"department_id": 999_999, "reason": "x"})
    assert unknown.status_code == 422 and unknown.json()["detail"][0]["loc"] == ["body", "department_id"]
    by_clerk = post(client, clerk, row.id, "transfer", {"department_id": target["id"], "reason": "x"})
    assert by_clerk.status_code == 403

    done = post(client, chief, row.id, "transfer", {"department_id": target["id"], "reason": "餐饮油烟属城管职责"})
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "transferred" and done.json()["overdue"] is False

    body = case_body(client, chief, row.id)
    assert body["transferred_to"]["name"] == target["name"]
    assert body["transferred_to"]["contact_person"] == "王科长" and body["transfer_reason"] == "餐饮油烟属城管职责"
    last = body["history"][-1]
    assert last["action"] == "transfer" and last["actor_id"] == chief_user.id and last["at"]
    assert last["data"] == {"department_id": target["id"], "department": target["name"],
                            "kind": "urban_management", "reason": "餐饮油烟属城管职责"}
    assert body["allowed_actions"] == []
    again = post(client, chief, row.id, "transfer", {"department_id": target["id"], "reason": "x"})
    assert again.status_code == 409 and "transferred to another department" in again.json()["detail"]


def test_handover_goes_to_the_police_and_a_transfer_does_not(client, db, auth):
    admin, chief = auth("admin"), auth(city_chief(db))
    police = department(client, admin, kind="police", name=f"市南分局-{uuid.uuid4().hex[:4]}")
    streets = department(client, admin, kind="street_office")
    row = new_case(db, category="noise_social")
    to_police = post(client, chief, row.id, "transfer", {"department_id": police["id"], "reason": "夜间噪声"})
    assert to_police.status_code == 422 and "hand the case over" in to_police.json()["detail"][0]["msg"]
    not_police = post(client, chief, row.id, "handover", {"department_id": streets["id"], "reason": "夜间噪声"})
    assert not_police.status_code == 422 and "not the police" in not_police.json()["detail"][0]["msg"]
    by_inspector = post(client, auth("inspector"), row.id, "handover", {"department_id": police["id"], "reason": "x"})
    assert by_inspector.status_code == 403
    assert events(db, row.id) == ["register"]

    done = post(client, chief, row.id, "handover", {"department_id": police["id"], "reason": "社会生活噪声"})
    assert done.status_code == 200 and done.json()["status"] == "transferred"
    body = case_body(client, chief, row.id)
    assert body["history"][-1]["action"] == "handover" and body["transferred_to"]["kind"] == "police"


def test_no_transfer_after_the_reply(client, db, auth):
    admin, clerk, chief_user = auth("admin"), auth("clerk"), city_chief(db)
    chief = auth(chief_user)
    inspector = person(db, "inspector")
    target = department(client, admin, kind="housing")
    row = new_case(db)
    post(client, clerk, row.id, "accept")
    post(client, chief, row.id, "dispatch", {"user_id": inspector.id})
    post(client, auth(inspector), row.id, "start")
    assert post(client, auth(inspector), row.id, "reply", {"summary": "已处理"}).status_code == 200
    late = post(client, chief, row.id, "transfer", {"department_id": target["id"], "reason": "x"})
    assert late.status_code == 409 and "only when it is registered" in late.json()["detail"]


# ---------------------------------------------------------------- 会同


def test_joint_handling_bodies_are_recorded_on_the_case(client, db, auth):
    admin, clerk, chief = auth("admin"), auth("clerk"), auth(city_chief(db))
    street = department(client, admin, kind="street_office", contact_person="张主任")
    clinic = department(client, admin, kind="health_centre")
    row = new_case(db)
    early = post(client, chief, row.id, "cohandle", {"department_id": street["id"]})
    assert early.status_code == 409 and "before the case is accepted" in early.json()["detail"]
    post(client, clerk, row.id, "accept")
    by_clerk = post(client, clerk, row.id, "cohandle", {"department_id": street["id"]})
    assert by_clerk.status_code == 403

    first = post(client, chief, row.id, "cohandle", {"department_id": street["id"], "note": "会同街道联合检查"})
    assert first.status_code == 200 and first.json()["status"] == "accepted"
    assert post(client, chief, row.id, "cohandle", {"department_id": clinic["id"]}).status_code == 200
    twice = post(client, chief, row.id, "cohandle", {"department_id": street["id"]})
    assert twice.status_code == 409 and "already handles" in twice.json()["detail"]

    body = case_body(client, chief, row.id)
    assert [c["department"]["name"] for c in body["co_handlers"]] == [street["name"], clinic["name"]]
    assert body["co_handlers"][0]["note"] == "会同街道联合检查"
    assert [e["action"] for e in body["history"]] == ["register", "accept", "cohandle", "cohandle"]
    assert body["history"][-1]["from_status"] == body["history"][-1]["to_status"] == "accepted"
    assert db.scalar(select(func.count()).select_from(CaseCoHandler).where(CaseCoHandler.case_id == row.id)) == 2


# ---------------------------------------------------------------- 复查


def _to_rectification(client, db, auth):
    clerk, chief = auth("clerk"), auth(city_chief(db))
    inspector = person(db, "inspector")
    row = new_case(db)
    post(client, clerk, row.id, "accept")
    post(client, chief, row.id, "dispatch", {"user_id": inspector.id})
    me = auth(inspector)
    first = client.post("/api/v1/inspections", headers=me,
                        json={"case_id": row.id, "client_id": f"first-{uuid.uuid4()}", "findings": "喷漆房未密闭"})
    assert first.status_code == 201, first.text
    order = post(client, me, row.id, "rectify", {"due_at": "2099-01-10T17:00:00+08:00", "requirement": "密闭"})
    assert order.status_code == 200 and order.json()["status"] == "rectification"
    return row, me


def test_a_reply_waits_for_the_follow_up_inspection_after_the_rectification_order(client, db, auth):
    row, me = _to_rectification(client, db, auth)
    body = case_body(client, me, row.id)
    assert "reply" not in body["allowed_actions"] and body["rectification_rechecked"] is False
    refused = post(client, me, row.id, "reply", {"summary": "已整改"})
    assert refused.status_code == 409
    assert "复查" in refused.json()["detail"] and "follow-up inspection" in refused.json()["detail"]
    assert events(db, row.id)[-1] == "rectify"

    recheck = client.post("/api/v1/inspections", headers=me,
                          json={"case_id": row.id, "client_id": f"recheck-{uuid.uuid4()}", "findings": "已密闭"})
    assert recheck.status_code == 201
    body = case_body(client, me, row.id)
    assert "reply" in body["allowed_actions"] and body["rectification_rechecked"] is True
    done = post(client, me, row.id, "reply", {"summary": "复查已整改到位"})
    assert done.status_code == 200 and done.json()["status"] == "replied"
    assert case_body(client, me, row.id)["rectification_rechecked"] is None


def test_a_visit_begun_before_the_order_is_not_its_re_check(client, db, auth):
    row, me = _to_rectification(client, db, auth)
    early = client.post("/api/v1/inspections", headers=me, json={
        "case_id": row.id, "client_id": f"late-sent-{uuid.uuid4()}", "findings": "补传",
        "started_at": "2020-01-01T09:00:00+08:00"})
    assert early.status_code == 201, early.text
    assert post(client, me, row.id, "reply", {"summary": "x"}).status_code == 409


def test_only_a_work_order_from_a_dispatching_platform_is_returned(client, db, auth):
    clerk = auth("clerk")
    letter = new_case(db, channel="letter")
    assert "return" not in case_body(client, clerk, letter.id)["allowed_actions"]
    refused = post(client, clerk, letter.id, "return", {"reason": "outside_function", "note": "x"})
    assert refused.status_code == 409 and "dispatching platform" in refused.json()["detail"]
    national = new_case(db, channel="national_platform")
    assert post(client, clerk, national.id, "return", {"reason": "incomplete", "note": "缺少地址"}).status_code == 200
