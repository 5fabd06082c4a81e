from __future__ import annotations

import re
from datetime import UTC, datetime

from sqlalchemy import select

from ecogrid.core.models import AuditEntry, Case, CaseEvent, Revisit
from tests.casefactory import new_case
from tests.console.console_support import HOSTILE, form_token, sign_in
from tests.staffing import person, zone


def _act(client, case_id: int, action: str, **fields):
    token = form_token(client.get(f"/cases/{case_id}").text)
    return client.post(f"/cases/{case_id}/act", data={"csrf": token, "action": action, **fields},
                       follow_redirects=False)


def test_the_clerk_accepts_and_the_buttons_follow_the_workflow(client, db):
    person(db, "clerk", username="case-clerk")
    row = new_case(db, name=HOSTILE[0], phone="13812345678")
    sign_in(client, "case-clerk")
    page = client.get(f"/cases/{row.id}")
    assert page.status_code == 200
    assert re.findall(r'data-action="(\w+)"', page.text) == ["accept", "reject", "return"]
    # The clerk may see the complainant: unmasked, encoded, audited.
    assert "&lt;img src=x onerror=alert(1)&gt;" in page.text and "13812345678" in page.text
    assert db.scalars(select(AuditEntry).where(AuditEntry.action == "personal_data.read")).first() is not None
    r = _act(client, row.id, "accept")
    assert r.status_code == 303 and r.headers["location"] == f"/cases/{row.id}?done=accept"
    db.expire_all()
    assert db.get(Case, row.id).status == "accepted"
    again = _act(client, row.id, "accept")  # the same form sent twice: refused, stored once
    assert again.status_code == 409 and "当前不能执行" in again.text
    accepts = db.scalars(select(CaseEvent).where(CaseEvent.case_id == row.id, CaseEvent.action == "accept")).all()
    assert len(accepts) == 1


def test_a_rejection_without_a_reason_is_refused_next_to_the_field(client, db):
    person(db, "clerk", username="reject-clerk")
    row = new_case(db)
    sign_in(client, "reject-clerk")
    r = _act(client, row.id, "reject", note="{{7*7}}")
    assert r.status_code == 422
    assert 'data-field="reason"' in r.text and "原因" in r.text
    assert 'value="{{7*7}}"' in r.text  # what was typed stays in the form, as text
    db.expire_all()
    assert db.get(Case, row.id).status == "registered"
    ok = _act(client, row.id, "reject", reason="not_environmental")
    assert ok.status_code == 303
    db.expire_all()
    assert db.get(Case, row.id).reject_reason == "not_environmental"


def test_personal_data_is_masked_for_an_inspector(client, db):
    inspector = person(db, "inspector", username="case-inspector")
    row = new_case(db, name="王小明", phone="13812345678", status="dispatched", assigned_to_id=inspector.id)
    sign_in(client, "case-inspector")
    page = client.get(f"/cases/{row.id}")
    assert page.status_code == 200
    assert "13812345678" not in page.text and "138****5678" in page.text and "王**" in page.text
    assert re.findall(r'data-action="(\w+)"', page.text) == ["start"]


def test_dispatch_extend_and_an_unsatisfied_revisit_send_the_case_back(client, db):
    district = zone(db, level="district")
    chief = person(db, "chief", username="flow-chief")
    district.officer_id = chief.id
    inspector = person(db, "inspector", team="二中队")
    row = new_case(db, zone_id=district.id, status="accepted", accepted_at=datetime.now(UTC),
                   due_at=datetime.now(UTC))
    sign_in(client, "flow-chief")
    bad = _act(client, row.id, "extend", days="99", reason="等待监测报告")
    assert bad.status_code == 422 and 'data-field="days"' in bad.text
    assert _act(client, row.id, "extend", days="5", reason="等待监测报告").status_code == 303
    assert _act(client, row.id, "dispatch", target="team:二中队").status_code == 303
    db.expire_all()
    assert db.get(Case, row.id).assigned_team == "二中队"
    # Through the inspector's steps to a reply, then the clerk's unsatisfied revisit.
    db.get(Case, row.id).status = "replied"
    db.flush()
    person(db, "clerk", username="flow-clerk")
    client.cookies.clear()
    sign_in(client, "flow-clerk")
    r = _act(client, row.id, "revisit", satisfaction="unsatisfied", method="phone", comment="仍有异味")
    assert r.status_code == 303
    db.expire_all()
    assert db.get(Case, row.id).status == "dispatched" and db.get(Case, row.id).handling_count == 2
    revisit = db.scalars(select(Revisit).where(Revisit.case_id == row.id)).one()
    assert revisit.satisfaction == "unsatisfied"
    assert inspector.team == "二中队"


def test_a_forged_form_changes_nothing(client, db):
    person(db, "clerk", username="forged-clerk")
    row = new_case(db)
    sign_in(client, "forged-clerk")
    r = client.post(f"/cases/{row.id}/act", data={"csrf": "guess", "action": "accept"})
    assert r.status_code == 403
    other = client.post(f"/cases/{row.id}/act", data={"csrf": form_token(client.get("/cases").text),
                                                        "action": "accept"}, headers={"Origin": "https://evil.example"})
    assert other.status_code == 403
    db.expire_all()
    assert db.get(Case, row.id).status == "registered"


def test_the_case_page_leads_to_the_nearby_monitors(client, db):
    person(db, "clerk", username="case-monitor-clerk")
    row = new_case(db)
    sign_in(client, "case-monitor-clerk")
    link = re.search(r'id="monitoring-link" href="([^"]+)"', client.get(f"/cases/{row.id}").text)
    assert link is not None and link.group(1) == f"/monitoring/cases/{row.id}"
    monitors = client.get(link.group(1))
    assert monitors.status_code == 200 and f"#{row.id}" in monitors.text
