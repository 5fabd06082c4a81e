"""The staff console's forms for work that leaves the bureau (退单, 转办, 移交公安) and co-handling (会同),
and the re-check (复查) a reply waits for: buttons from the same allowed actions, refusals next to the field."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from sqlalchemy import select

from ecogrid.cases import departments
from ecogrid.core.models import Case, CaseEvent
from tests.casefactory import new_case
from tests.console.console_support import HOSTILE, form_token, sign_in
from tests.staffing import person, zone


def _act(client, case_id: int, action: str, **fields):
    token = form_token(client.get(f"/cases/{case_id}").text)
    return client.post(f"/cases/{case_id}/act", data={"csrf": token, "action": action, **fields},
                       follow_redirects=False)


def test_the_clerk_returns_a_work_order_with_a_reason_and_a_note(client, db):
    person(db, "clerk", username="return-clerk")
    row = new_case(db)
    sign_in(client, "return-clerk")
    page = client.get(f"/cases/{row.id}").text
    assert 'data-action="return"' in page and "属地不符" in page and "职能不符" in page and "信息不全" in page
    missing = _act(client, row.id, "return", reason="outside_territory")
    assert missing.status_code == 422 and 'data-field="note"' in missing.text
    db.expire_all()
    assert db.get(Case, row.id).status == "registered"
    done = _act(client, row.id, "return", reason="outside_territory", note=HOSTILE[0])
    assert done.status_code == 303
    page = client.get(f"/cases/{row.id}").text
    assert "已退单" in page and 'id="return-reason">属地不符' in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page and HOSTILE[0] not in page
    assert re.findall(r'data-action="(\w+)"', page) == []


def test_the_chief_transfers_hands_over_and_adds_co_handlers_from_the_case_page(client, db):
    district = zone(db, level="district")
    chief = person(db, "chief", username="transfer-chief")
    district.officer_id = chief.id
    street = departments.create(db, name="香港中路街道办事处", kind="street_office", contact_person="张主任",
                                phone="0532-80000000")
    police = departments.create(db, name="市南公安分局", kind="police")
    urban = departments.create(db, name="市南城管执法局", kind="urban_management")
    row = new_case(db, zone_id=district.id, status="accepted", accepted_at=datetime.now(UTC))
    sign_in(client, "transfer-chief")
    page = client.get(f"/cases/{row.id}").text
    assert {"transfer", "handover", "cohandle"} <= set(re.findall(r'data-action="(\w+)"', page))
    handover = page.split('id="action-handover"')[1].split("</details>")[0]
    assert "市南公安分局" in handover and "市南城管执法局" not in handover
    transfer = page.split('id="action-transfer"')[1].split("</details>")[0]
    assert "市南城管执法局" in transfer and "市南公安分局" not in transfer

    assert _act(client, row.id, "cohandle", department_id=str(street.id), note="联合检查").status_code == 303
    page = client.get(f"/cases/{row.id}").text
    assert "香港中路街道办事处" in page.split('id="co-handlers"')[1].split("</td>")[0] and "张主任" in page

    wrong = _act(client, row.id, "transfer", department_id=str(police.id), reason="夜间噪声")
    assert wrong.status_code == 422 and 'data-field="department_id"' in wrong.text
    no_reason = _act(client, row.id, "handover", department_id=str(police.id))
    assert no_reason.status_code == 422 and 'data-field="reason"' in no_reason.text
    assert _act(client, row.id, "handover", department_id=str(police.id), reason="夜间噪声").status_code == 303
    db.expire_all()
    assert db.get(Case, row.id).status == "transferred" and db.get(Case, row.id).transferred_to_id == police.id
    page = client.get(f"/cases/{row.id}").text
    assert 'id="transferred-to">市南公安分局' in page and "移交公安" in page
    actions = list(db.scalars(select(CaseEvent.action).where(CaseEvent.case_id == row.id).order_by(CaseEvent.id)))
    assert actions == ["register", "cohandle", "handover"]
    assert urban.active


def test_the_reply_button_waits_for_the_re_check(client, db):
    district = zone(db, level="district")
    chief = person(db, "chief", username="recheck-chief")
    district.officer_id = chief.id
    row = new_case(db, zone_id=district.id, status="in_progress", accepted_at=datetime.now(UTC))
    sign_in(client, "recheck-chief")
    assert _act(client, row.id, "rectify", due_at="2099-01-10T17:00", requirement="密闭喷漆房").status_code == 303
    page = client.get(f"/cases/{row.id}").text
    assert 'data-action="reply"' not in page and 'id="recheck-pending"' in page
    forced = _act(client, row.id, "reply", summary="已整改")
    assert forced.status_code == 409 and "复查" in forced.text
