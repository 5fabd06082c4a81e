"""How the complainant was reached: the revisit's method (电话/现场/短信) and the case's contact log, through the
API and the staff console's case page."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from ecogrid.core.models import AuditEntry, CaseContact, Revisit
from tests.casefactory import new_case
from tests.console.console_support import HOSTILE, form_token, sign_in
from tests.staffing import person


def revisit(client, headers, case_id, **body):
    return client.post(f"/api/v1/cases/{case_id}/revisit", json={"satisfaction": "satisfied", **body}, headers=headers)


def test_the_revisit_method_is_stored_and_shown_in_the_history(db, client, auth):
    clerk = auth("clerk")
    row = new_case(db, status="replied")
    bad = revisit(client, clerk, row.id, method="email")
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"][-1] == "method"
    assert db.scalars(select(Revisit).where(Revisit.case_id == row.id)).first() is None
    ok = revisit(client, clerk, row.id, method="site", comment="现场回访，异味已消除")
    assert ok.status_code == 200, ok.text
    case = client.get(f"/api/v1/cases/{row.id}", headers=clerk).json()
    assert [r["method"] for r in case["revisits"]] == ["site"]
    assert case["history"][-1]["action"] == "revisit" and case["history"][-1]["data"]["method"] == "site"


def test_a_revisit_without_a_method_is_still_accepted(db, client, auth):
    clerk = auth("clerk")
    row = new_case(db, status="replied")
    assert revisit(client, clerk, row.id).status_code == 200
    case = client.get(f"/api/v1/cases/{row.id}", headers=clerk).json()
    assert case["revisits"][0]["method"] is None


def contact(client, headers, case_id, **body):
    return client.post(f"/api/v1/cases/{case_id}/contacts", headers=headers,
                       json={"method": "phone", "summary": "告知明日到场核查", **body})


def test_contacts_are_logged_once_audited_and_read_back_in_order(db, client, make_user, auth):
    clerk = make_user("clerk")
    h = auth(clerk)
    row = new_case(db)
    earlier = (datetime.now(UTC) - timedelta(minutes=30)).isoformat()
    first = contact(client, h, row.id, client_id="c-1")
    assert first.status_code == 201, first.text
    assert first.json()["by_id"] == clerk.id and first.json()["method_label"] == "电话"
    again = contact(client, h, row.id, client_id="c-1")
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    text = contact(client, h, row.id, method="sms", summary="短信告知处理结果", contacted_at=earlier)
    assert text.status_code == 201
    listed = client.get(f"/api/v1/cases/{row.id}/contacts", headers=h).json()
    assert listed["total"] == 2 and [c["method"] for c in listed["items"]] == ["sms", "phone"]
    assert db.scalars(select(CaseContact).where(CaseContact.case_id == row.id)).all().__len__() == 2
    actions = db.scalars(select(AuditEntry.action).where(AuditEntry.entity == "case_contact")).all()
    assert actions.count("case_contact.create") == 2 and "personal_data.read" in actions
    history = client.get(f"/api/v1/cases/{row.id}", headers=h).json()["history"]
    assert [e["data"]["method"] for e in history if e["action"] == "contact"] == ["phone", "sms"]
    assert all("告知" not in (e["note"] or "") for e in history)  # what was said stays in the log


def test_bad_contacts_are_refused_naming_the_field_and_nothing_is_stored(db, client, auth):
    h = auth("clerk")
    row = new_case(db)
    future = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    for body, field in (({"method": "fax"}, "method"), ({"summary": ""}, "summary"),
                        ({"contacted_at": future}, "contacted_at"), ({"extra": 1}, "extra")):
        r = contact(client, h, row.id, **body)
        assert r.status_code == 422, (body, r.text)
        assert r.json()["detail"][0]["loc"][-1] == field
    assert db.scalars(select(CaseContact).where(CaseContact.case_id == row.id)).first() is None


def test_the_contact_log_is_for_the_staff_of_the_case(db, client, auth):
    row = new_case(db)
    assert contact(client, auth("planner"), row.id).status_code == 403
    assert client.get(f"/api/v1/cases/{row.id}/contacts", headers=auth("planner")).status_code == 403
    stranger = person(db, "inspector")
    assert contact(client, auth(stranger), row.id).status_code == 404
    mine = person(db, "inspector")
    own = new_case(db, status="dispatched", assigned_to_id=mine.id)
    assert contact(client, auth(mine), own.id, method="site", summary="现场向投诉人说明").status_code == 201
    assert client.get("/api/v1/cases/999999/contacts", headers=auth("clerk")).status_code == 404


def test_the_case_page_shows_the_contact_log_and_records_a_contact(client, db):
    person(db, "clerk", username="contact-clerk")
    row = new_case(db, status="replied")
    sign_in(client, "contact-clerk")
    page = client.get(f"/cases/{row.id}")
    assert page.status_code == 200 and 'id="contacts"' in page.text and "尚无联系记录" in page.text
    token = form_token(page.text)
    refused = client.post(f"/cases/{row.id}/contacts", data={"csrf": token, "method": "sms", "summary": ""},
                          follow_redirects=False)
    assert refused.status_code == 422 and 'data-field="contact_summary"' in refused.text
    r = client.post(f"/cases/{row.id}/contacts", data={"csrf": token, "method": "sms", "summary": HOSTILE[0]},
                    follow_redirects=False)
    assert r.status_code == 303
    r = client.post(f"/cases/{row.id}/act", data={"csrf": token, "action": "revisit", "satisfaction": "satisfied",
                                                   "method": "site"}, follow_redirects=False)
    assert r.status_code == 303
    page = client.get(f"/cases/{row.id}").text
    assert "&lt;img src=x onerror=alert(1)&gt;" in page and HOSTILE[0] not in page
    assert "短信" in page and "现场" in page
    db.expire_all()
    assert db.scalars(select(Revisit.method).where(Revisit.case_id == row.id)).one() == "site"
