"""The backlog ledger (/backlog), leader ownership on the case page and the case ledger, as a chief and a clerk
see them: decisions by form with the reason, refusals next to the field, Chinese first with an English switch."""

from __future__ import annotations

from sqlalchemy import select

from ecogrid.core.models import Case, CaseEvent
from tests.casefactory import new_case
from tests.console.console_support import HOSTILE, form_token, sign_in
from tests.staffing import city_chief, person


def actions(db, case_id: int) -> list[str]:
    return list(db.scalars(select(CaseEvent.action).where(CaseEvent.case_id == case_id).order_by(CaseEvent.id)))


def test_a_chief_puts_a_case_on_the_backlog_and_takes_it_off_with_a_reason(client, db):
    chief = city_chief(db)
    chief.username = "backlog-chief"
    leader = person(db, "chief", username="backlog-leader")
    chronic = new_case(db, repeats=6)
    row = new_case(db)
    db.flush()
    sign_in(client, "backlog-chief")
    page = client.get("/backlog")
    assert page.status_code == 200 and "信访积案台账" in page.text
    assert "default-src" in page.headers["content-security-policy"]
    assert f'data-case="{chronic.id}"' in page.text and f'data-case="{row.id}"' not in page.text
    assert "按规则列入" in page.text

    token = form_token(page.text)
    put = client.post("/backlog", data={"csrf": token, "case_id": str(row.id), "reason": HOSTILE[0],
                                        "owner_id": str(leader.id), "focused": "1"}, follow_redirects=False)
    assert put.status_code == 303
    listed = client.get("/backlog", params={"focused": "1"})
    assert f'data-case="{row.id}"' in listed.text and f'data-case="{chronic.id}"' not in listed.text
    assert HOSTILE[0] not in listed.text and "&lt;img" in listed.text  # the reason is text, not markup
    assert "backlog-leader" in listed.text
    assert actions(db, row.id)[-2:] == ["own", "backlog"]

    # Taking it off needs the reason; without one nothing changes.
    blank = client.post("/backlog/leave", data={"csrf": token, "case_id": str(row.id), "reason": " "})
    assert blank.status_code == 422 and 'data-field="leave:reason"' in blank.text
    assert actions(db, row.id)[-1] == "backlog"
    left = client.post("/backlog/leave", data={"csrf": token, "case_id": str(row.id), "reason": "已解决"},
                       follow_redirects=False)
    assert left.status_code == 303
    assert f'data-case="{row.id}"' not in client.get("/backlog").text
    assert actions(db, row.id)[-1] == "backlog_leave"

    english = client.get("/backlog", params={"lang": "en"})
    assert "Backlog ledger" in english.text and "Take off" in english.text


def test_bad_input_on_the_backlog_page_is_shown_next_to_its_field(client, db):
    city_chief(db).username = "backlog-chief2"
    clerk = person(db, "clerk", username="backlog-clerk")
    row = new_case(db)
    db.flush()
    sign_in(client, "backlog-chief2")
    token = form_token(client.get("/backlog").text)
    wrong = client.post("/backlog", data={"csrf": token, "case_id": str(row.id), "reason": "x",
                                          "owner_id": str(clerk.id)})
    assert wrong.status_code == 422 and 'data-field="owner_id"' in wrong.text and "包案领导" in wrong.text
    unknown = client.post("/backlog", data={"csrf": token, "case_id": "abc", "reason": "x"})
    assert unknown.status_code == 422 and 'data-field="case_id"' in unknown.text
    forged = client.post("/backlog", data={"csrf": "guess", "case_id": str(row.id), "reason": "x"})
    assert forged.status_code in (400, 403)
    assert client.get("/backlog", params={"owner": "boss"}).status_code == 422
    db.refresh(row)
    assert row.backlog is None and row.owner_id is None


def test_a_clerk_reads_the_backlog_but_has_no_decision_forms(client, db):
    person(db, "clerk", username="backlog-reader")
    row = new_case(db, repeats=4)
    db.flush()
    sign_in(client, "backlog-reader")
    page = client.get("/backlog")
    assert page.status_code == 200 and f'data-case="{row.id}"' in page.text
    assert 'action="/backlog/leave"' not in page.text and 'id="put-on-backlog"' not in page.text
    refused = client.post("/backlog/leave", data={"csrf": form_token(page.text), "case_id": str(row.id),
                                                  "reason": "x"})
    assert refused.status_code == 403
    assert row.id not in [c for c, in db.execute(select(Case.id).where(Case.backlog.is_not(None)))]


def test_the_owner_is_named_on_the_case_page_and_shown_on_the_ledger(client, db):
    chief = city_chief(db)
    chief.username = "owner-chief"
    leader = person(db, "chief", username="owner-leader")
    row, other = new_case(db), new_case(db)
    db.flush()
    sign_in(client, "owner-chief")
    page = client.get(f"/cases/{row.id}")
    assert 'id="action-owner"' in page.text
    token = form_token(page.text)
    empty = client.post(f"/cases/{row.id}/owner", data={"csrf": token, "user_id": ""})
    assert empty.status_code == 422 and 'data-field="owner"' in empty.text
    named = client.post(f"/cases/{row.id}/owner", data={"csrf": token, "user_id": str(leader.id)},
                        follow_redirects=False)
    assert named.status_code == 303
    shown = client.get(f"/cases/{row.id}")
    assert 'id="owner"' in shown.text and "owner-leader" in shown.text and "领导包案" in shown.text

    owned = client.get("/cases", params={"owned": "1", "limit": "200"})
    assert f'data-case="{row.id}"' in owned.text and f'data-case="{other.id}"' not in owned.text
    assert "owner-leader" in owned.text
    by_owner = client.get("/cases", params={"owner": str(leader.id)})
    assert f'data-case="{row.id}"' in by_owner.text and f'data-case="{other.id}"' not in by_owner.text
    bad = client.get("/cases", params={"owner": "boss"})
    assert bad.status_code == 422 and 'data-field="owner"' in bad.text


def test_the_case_page_names_the_person_on_duty_who_received_an_urgent_case(client, db, auth):
    clerk = person(db, "clerk", username="duty-clerk")
    clerk.full_name = HOSTILE[2]
    shift = {"user_id": clerk.id, "starts_at": "2026-11-27T17:30:00+08:00", "ends_at": "2026-11-30T08:30:00+08:00"}
    assert client.post("/api/v1/duty-roster", json=shift, headers=auth("chief")).status_code == 201
    made = client.post("/api/v1/complaints", headers=auth("clerk"), json={
        "channel": "hotline_12369", "kind": "complaint", "category": "odour", "description": "周六刺鼻气味",
        "address": "化工路 1 号", "received_at": "2026-11-28T10:00:00+08:00", "urgency": "urgent"})
    assert made.status_code == 201, made.text
    sign_in(client, "duty-clerk")
    page = client.get(f"/cases/{made.json()['case_id']}")
    assert 'id="duty-user"' in page.text and HOSTILE[2] not in page.text and "值班人员" in page.text
