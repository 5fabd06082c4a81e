"""Case documents (文书) through the API: a rectification notice after a rectify, a reply letter after a reply,
numbered per kind and year, stored once per client id, printed as the page issued, user text escaped."""

from __future__ import annotations

import re
import threading
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from ecogrid.accounts import service as user_service
from ecogrid.cases import documents
from ecogrid.cases import service as casework
from ecogrid.core.models import AuditEntry, CaseEvent, Complaint
from tests.casefactory import new_case
from tests.console.console_support import HOSTILE
from tests.staffing import actor, city_chief, dispatched, person

LATER = (datetime.now(UTC) + timedelta(days=10)).isoformat()


def started_case(db, *, name: str = "王小明"):
    chief, inspector = city_chief(db), person(db, "inspector")
    row = dispatched(db, chief=chief, to={"user_id": inspector.id})
    db.execute(Complaint.__table__.update().where(Complaint.case_id == row.id).values(complainant_name=name))
    casework.act(db, case_id=row.id, action="start", payload=None, actor=actor(inspector))
    return row, chief, inspector


def test_a_clerk_issues_a_numbered_rectification_notice_and_a_retry_is_stored_once(client, db, auth):
    row, chief, inspector = started_case(db)
    clerk = auth("clerk")
    url = f"/api/v1/cases/{row.id}/documents"
    none_yet = client.post(url, headers=clerk, json={"kind": "rectification_notice"})
    assert none_yet.status_code == 409 and "rectify event" in none_yet.json()["detail"][0]["msg"]
    casework.act(db, case_id=row.id, action="rectify", actor=actor(inspector),
                 payload={"due_at": LATER, "requirement": "停止露天焚烧，清运残渣"})

    made = client.post(url, headers=clerk, json={"kind": "rectification_notice", "client_id": "notice-1"})
    assert made.status_code == 201, made.text
    first = made.json()
    year = datetime.now(UTC).year
    assert first["number"] == f"〔{year}〕整改第 0001 号" and first["title"] == "整改提示函"
    again = client.post(url, headers=clerk, json={"kind": "rectification_notice", "client_id": "notice-1"})
    assert again.status_code == 200 and again.json()["id"] == first["id"]
    second = client.post(url, headers=auth(chief), json={"kind": "rectification_notice"}).json()
    assert second["number"] == f"〔{year}〕整改第 0002 号"
    assert client.post(url, headers=clerk, json={"kind": "reply_letter"}).status_code == 409

    listed = client.get(url, headers=clerk).json()
    assert [d["number"] for d in listed["items"]] == [first["number"], second["number"]]
    page = client.get(first["url"], headers=clerk)
    assert page.status_code == 200 and "Content-Security-Policy" in page.headers
    for text in ("生态环境局", "整改提示函", first["number"], "停止露天焚烧，清运残渣", "@media print"):
        assert text in page.text
    # The notice stays as issued whatever the case does next.
    db.execute(Complaint.__table__.update().where(Complaint.case_id == row.id).values(description="另行描述"))
    assert client.get(first["url"], headers=clerk).text == page.text


def test_numbers_run_per_kind_and_per_year(db):
    row, chief, inspector = started_case(db)
    casework.act(db, case_id=row.id, action="rectify", actor=actor(inspector), payload={"due_at": LATER})
    other = dispatched(db, chief=chief, to={"user_id": inspector.id})
    casework.act(db, case_id=other.id, action="start", payload=None, actor=actor(inspector))
    casework.act(db, case_id=other.id, action="reply", payload={"summary": "已处理完毕"}, actor=actor(inspector))

    def issue(kind: str, year: int) -> str:
        case_id = row.id if kind == "rectification_notice" else other.id
        item, _ = documents.issue_document(db, case_id=case_id, kind=kind, client_id=None, user_id=chief.id,
                                           role="chief", bureau="某市生态环境局",
                                           now=datetime(year, 6, 1, tzinfo=UTC))
        return item["number"]

    assert [issue("rectification_notice", 2031), issue("rectification_notice", 2031),
            issue("reply_letter", 2031), issue("rectification_notice", 2032)] == [
        "〔2031〕整改第 0001 号", "〔2031〕整改第 0002 号", "〔2031〕答复第 0001 号", "〔2032〕整改第 0001 号"]


def test_hostile_text_is_escaped_and_the_addressee_is_masked_by_role(client, db, auth):
    hostile = HOSTILE[0]
    row, chief, inspector = started_case(db, name=f"李{hostile}")
    casework.act(db, case_id=row.id, action="reply", payload={"summary": f"答复{HOSTILE[2]}"}, actor=actor(inspector))
    clerk_user = person(db, "clerk")
    made = client.post(f"/api/v1/cases/{row.id}/documents", headers=auth(clerk_user), json={"kind": "reply_letter"})
    assert made.status_code == 201, made.text
    letter = made.json()
    assert re.fullmatch(r"〔\d{4}〕答复第 0001 号", letter["number"])

    shown = client.get(letter["url"], headers=auth(clerk_user)).text
    assert "信访答复意见书" in shown and "<img" not in shown and "<script>" not in shown
    assert "&lt;img src=x onerror=alert(1)&gt;" in shown and "&lt;script&gt;" in shown
    audited = db.scalars(select(AuditEntry).where(AuditEntry.entity == "case_document",
                                                  AuditEntry.entity_id == str(letter["id"]))).all()
    assert [a.actor_id for a in audited] == [clerk_user.id]
    masked = client.get(letter["url"], headers=auth(inspector)).text
    assert "李*" in masked and "onerror" not in masked


def test_who_may_issue_and_read(client, db, auth):
    row, chief, inspector = started_case(db)
    casework.act(db, case_id=row.id, action="reply", payload={"summary": "已处理"}, actor=actor(inspector))
    url = f"/api/v1/cases/{row.id}/documents"
    assert client.post(url, headers=auth(inspector), json={"kind": "reply_letter"}).status_code == 403
    assert client.post(url, headers=auth("planner"), json={"kind": "reply_letter"}).status_code == 403
    bad = client.post(url, headers=auth("clerk"), json={"kind": "memo"})
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"][-1] == "kind"
    made = client.post(url, headers=auth("clerk"), json={"kind": "reply_letter"}).json()
    assert client.get(url).status_code == 401
    assert client.get(made["url"], follow_redirects=False).status_code in (303, 401)
    assert client.post("/api/v1/cases/999999/documents", headers=auth("clerk"),
                       json={"kind": "reply_letter"}).status_code == 404


def test_concurrent_issues_never_share_a_number(live_server):
    with live_server.session() as setup:
        clerk = user_service.create(setup, username="paper_clerk", role="clerk", password="correct-horse-9")
        case_ids = []
        for _ in range(4):
            row = new_case(setup, status="replied")
            setup.add(CaseEvent(case_id=row.id, at=row.opened_at, action="reply", from_status="in_progress",
                                to_status="replied", data={"text": "已处理"}))
            case_ids.append(row.id)
        setup.commit()
        clerk_id = clerk.id
    start = threading.Barrier(len(case_ids))
    numbers: list[str] = []

    def issue(case_id: int) -> None:
        with live_server.session() as session:
            start.wait()
            item, _ = documents.issue_document(session, case_id=case_id, kind="reply_letter", client_id=None,
                                               user_id=clerk_id, role="clerk", bureau="生态环境局",
                                               now=datetime(2040, 3, 1, tzinfo=UTC))
            session.commit()
            numbers.append(item["number"])

    workers = [threading.Thread(target=issue, args=(i,)) for i in case_ids]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=20)
    assert sorted(numbers) == [f"〔2040〕答复第 {n:04d} 号" for n in range(1, 5)]
