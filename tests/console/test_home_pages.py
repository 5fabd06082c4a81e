from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from ecogrid.cases import reports
from ecogrid.core.time import day_of
from tests.casefactory import new_case
from tests.console.console_support import form_token, sign_in
from tests.staffing import person


def _count(html: str, item: str) -> int:
    found = re.search(rf'data-item="{item}"[^>]*>\s*<span class="count">(\d+)</span>', html)
    assert found, item
    return int(found.group(1))


def test_the_root_is_the_sign_in_form_then_the_workspace(client, db):
    assert "工作人员登录" in client.get("/").text
    assert 'href="/docs"' in client.get("/").text
    person(db, "clerk", username="home-clerk")
    new_case(db)
    new_case(db, status="replied")
    sign_in(client, "home-clerk")
    home = client.get("/")
    assert "今天需要我处理的" in home.text
    assert _count(home.text, "to_accept") == 1 and _count(home.text, "to_revisit") == 1
    assert 'href="/cases?status=registered"' in home.text
    nav = re.findall(r'<nav id="nav">(.*?)</nav>', home.text, re.S)[0]
    assert "/intake" in nav and "/patrols" not in nav


def test_the_chiefs_counts_are_the_bulletins(client, db):
    person(db, "chief", username="home-chief")
    now = datetime.now(UTC)
    new_case(db, status="dispatched", accepted_at=now - timedelta(hours=2), due_at=now - timedelta(hours=1))
    new_case(db, status="accepted", accepted_at=now, due_at=now + timedelta(days=15))
    sign_in(client, "home-chief")
    home = client.get("/", params={"lang": "en"})
    assert "What needs me today" in home.text
    bulletin = reports.daily_bulletin(db, day=day_of(now))
    assert _count(home.text, "overdue") == bulletin["overdue"] == 1
    assert _count(home.text, "red") == 1 and _count(home.text, "to_dispatch") == 1
    shown = int(re.search(r'data-figure="overdue"><span class="count">(\d+)', home.text).group(1))
    in_stock = int(re.search(r'data-figure="open"><span class="count">(\d+)', home.text).group(1))
    assert shown == bulletin["overdue"] and in_stock == bulletin["in_stock"]


def test_signing_out_ends_the_session(client, db):
    person(db, "planner", username="home-planner")
    sign_in(client, "home-planner")
    home = client.get("/")
    cookie = client.cookies.get("ecogrid_token")
    r = client.post("/signout", data={"csrf": form_token(home.text)}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/"
    assert "工作人员登录" in client.get("/").text
    # The old cookie, copied before signing out, no longer opens anything.
    client.cookies.set("ecogrid_token", cookie)
    assert client.get("/cases", follow_redirects=False).status_code == 303
