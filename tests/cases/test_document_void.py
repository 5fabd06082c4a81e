"""作废: a chief voids a document issued in error, with the reason. The document keeps its number (the next one
issued takes the next number), its page is stamped void, the case history records it, and a clerk may not."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from ecogrid.cases import service as casework
from ecogrid.core.models import CaseDocument, CaseEvent
from tests.cases.test_documents import started_case
from tests.console.console_support import HOSTILE, form_token, sign_in
from tests.staffing import actor, person

LATER = (datetime.now(UTC) + timedelta(days=10)).isoformat()


def rectified(db):
    row, chief, inspector = started_case(db)
    casework.act(db, case_id=row.id, action="rectify", actor=actor(inspector),
                 payload={"due_at": LATER, "requirement": "停止露天焚烧"})
    return row, chief


def test_a_chief_voids_a_document_and_its_number_stays_taken(client, db, auth):
    row, chief = rectified(db)
    clerk, boss = auth("clerk"), auth(chief)
    issued = client.post(f"/api/v1/cases/{row.id}/documents", headers=clerk,
                         json={"kind": "rectification_notice"}).json()
    url = f"/api/v1/documents/{issued['id']}/void"
    assert client.post(url, headers=clerk, json={"reason": "填错"}).status_code == 403
    blank = client.post(url, headers=boss, json={"reason": ""})
    assert blank.status_code == 422 and blank.json()["detail"][0]["loc"][-1] == "reason"
    spaces = client.post(url, headers=boss, json={"reason": "   "})
    assert spaces.status_code == 422 and spaces.json()["detail"][0]["loc"][-1] == "reason"
    assert client.post("/api/v1/documents/999999/void", headers=boss, json={"reason": "x"}).status_code == 404

    voided = client.post(url, headers=boss, json={"reason": HOSTILE[0]})
    assert voided.status_code == 200, voided.text
    body = voided.json()
    assert body["voided"] is True and body["void_reason"] == HOSTILE[0] and body["number"] == issued["number"]
    assert client.post(url, headers=boss, json={"reason": HOSTILE[0]}).json()["voided_at"] == body["voided_at"]
    assert client.post(url, headers=boss, json={"reason": "另一个原因"}).status_code == 409

    listed = client.get(f"/api/v1/cases/{row.id}/documents", headers=clerk).json()["items"]
    assert [(d["number"], d["voided"]) for d in listed] == [(issued["number"], True)]
    page = client.get(issued["url"], headers=clerk).text
    assert "已作废" in page and HOSTILE[0] not in page and "&lt;img" in page
    again = client.post(f"/api/v1/cases/{row.id}/documents", headers=clerk,
                        json={"kind": "rectification_notice"}).json()
    assert again["number"] != issued["number"] and again["voided"] is False
    assert "已作废" not in client.get(again["url"], headers=clerk).text
    event = db.scalars(select(CaseEvent).where(CaseEvent.case_id == row.id,
                                               CaseEvent.action == "document_void")).one()
    assert event.note == HOSTILE[0] and event.data["number"] == issued["number"]


def test_the_chief_voids_from_the_case_page(client, db):
    row, chief = rectified(db)
    chief.username = "void-chief"
    person(db, "clerk", username="void-clerk")
    db.flush()
    sign_in(client, "void-clerk")
    page = client.get(f"/cases/{row.id}")
    client.post(f"/cases/{row.id}/documents", data={"csrf": form_token(page.text), "kind": "rectification_notice"})
    document = db.scalars(select(CaseDocument).where(CaseDocument.case_id == row.id)).one()
    assert f'data-form="void-{document.id}"' not in client.get(f"/cases/{row.id}").text  # a clerk may not
    client.cookies.clear()
    sign_in(client, "void-chief")
    page = client.get(f"/cases/{row.id}")
    assert f'data-form="void-{document.id}"' in page.text
    token = form_token(page.text)
    blank = client.post(f"/documents/{document.id}/void", data={"csrf": token, "reason": " "})
    assert blank.status_code == 422 and f'data-field="void:{document.id}"' in blank.text
    db.refresh(document)
    assert document.voided_at is None
    done = client.post(f"/documents/{document.id}/void", data={"csrf": token, "reason": "期限写错"},
                       follow_redirects=False)
    assert done.status_code == 303
    shown = client.get(done.headers["location"]).text
    assert "已作废" in shown and "期限写错" in shown and "文书作废" in shown
    db.refresh(document)
    assert document.void_reason == "期限写错"
