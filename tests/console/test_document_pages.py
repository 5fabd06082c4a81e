"""Case documents in the console: the case page's "文书" block issues a reply letter once and links its page."""

from __future__ import annotations

import re

from ecogrid.cases import service as casework
from tests.console.console_support import form_token, sign_in
from tests.staffing import actor, city_chief, dispatched, person


def test_a_clerk_issues_a_reply_letter_from_the_case_page_and_prints_it(client, db):
    person(db, "clerk", username="paper-clerk")
    inspector = person(db, "inspector", username="paper-inspector")
    row = dispatched(db, chief=city_chief(db), to={"user_id": inspector.id})
    casework.act(db, case_id=row.id, action="start", payload=None, actor=actor(inspector))
    sign_in(client, "paper-clerk")
    before = client.get(f"/cases/{row.id}").text
    assert 'id="documents"' in before and 'data-form="document-rectification_notice"' not in before
    assert 'data-form="document-reply_letter"' not in before

    casework.act(db, case_id=row.id, action="reply", payload={"summary": "已责令停产整改"}, actor=actor(inspector))
    page = client.get(f"/cases/{row.id}").text
    assert 'data-form="document-reply_letter"' in page
    client_id = re.search(r'name="client_id" value="([^"]+-reply_letter)"', page)
    assert client_id
    form = {"csrf": form_token(page), "kind": "reply_letter", "client_id": client_id.group(1)}
    for _ in range(2):  # a double click keeps one document
        sent = client.post(f"/cases/{row.id}/documents", data=form, follow_redirects=False)
        assert sent.status_code == 303, sent.text
    shown = client.get(sent.headers["location"]).text
    assert "已完成：签发文书" in shown
    links = re.findall(r'<tr data-document="(\d+)"><td><a href="(/documents/\d+)">([^<]+)</a>', shown)
    assert len(links) == 1 and re.fullmatch(r"〔\d{4}〕答复第 0001 号", links[0][2])
    letter = client.get(links[0][1])
    assert letter.status_code == 200 and "信访答复意见书" in letter.text and "王小明：" in letter.text
    assert "已责令停产整改" in letter.text and "Content-Security-Policy" in letter.headers

    client.cookies.clear()
    sign_in(client, "paper-inspector")
    assert 'data-form="document-reply_letter"' not in client.get(f"/cases/{row.id}").text
    assert "王*" in client.get(links[0][1]).text
