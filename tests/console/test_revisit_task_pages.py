"""Revisit tasks (回访) in the console: the clerk's list at /revisit-tasks, a task marked done by a note, and the
workspace's count of tasks due, which is the same list's total (and the API's) under the same day."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from ecogrid.cases import revisit_tasks
from ecogrid.core.models import RevisitTask
from ecogrid.core.time import day_of
from tests.casefactory import new_case
from tests.console.console_support import HOSTILE, form_token, sign_in
from tests.staffing import person


def closed(db, days_ago: float):
    when = datetime.now(UTC) - timedelta(days=days_ago)
    return new_case(db, opened_at=when - timedelta(days=10), status="closed", closed_at=when)


def count_on_home(html: str) -> int:
    found = re.search(r'data-item="revisits_due" href="([^"]+)">\s*<span class="count">(\d+)</span>', html)
    assert found, html
    assert found.group(1) == f"/revisit-tasks?due_by={day_of(datetime.now(UTC)).isoformat()}"
    return int(found.group(2))


def test_the_clerk_sees_the_tasks_due_and_marks_one_done(client, db, auth):
    clerk = person(db, "clerk", username="revisit-clerk")
    due, later = closed(db, 9), closed(db, 1)
    revisit_tasks.generate_scheduled(db, days=7)
    db.flush()
    sign_in(client, "revisit-clerk")
    today = day_of(datetime.now(UTC)).isoformat()
    api_total = client.get("/api/v1/revisit-tasks", params={"due_by": today}, headers=auth(clerk)).json()["total"]

    home = client.get("/")
    assert "回访任务（已到期）" in home.text
    assert count_on_home(home.text) == api_total >= 1
    listed = client.get("/revisit-tasks", params={"due_by": today})
    assert listed.status_code == 200 and "回访任务" in listed.text
    assert "default-src" in listed.headers["content-security-policy"]
    assert f'data-case="{due.id}"' in listed.text and f'data-case="{later.id}"' not in listed.text
    assert f'data-case="{later.id}"' in client.get("/revisit-tasks").text  # not due yet, still on the list

    task = db.scalars(select(RevisitTask).where(RevisitTask.case_id == due.id)).one()
    token = form_token(listed.text)
    blank = client.post(f"/revisit-tasks/{task.id}/done", data={"csrf": token, "note": " "})
    assert blank.status_code == 422 and f'data-field="{task.id}:note"' in blank.text
    db.refresh(task)
    assert task.done_at is None
    done = client.post(f"/revisit-tasks/{task.id}/done", data={"csrf": token, "note": HOSTILE[0]},
                       follow_redirects=False)
    assert done.status_code == 303
    db.refresh(task)
    assert task.done_at is not None and task.note == HOSTILE[0]
    assert f'data-case="{due.id}"' not in client.get("/revisit-tasks", params={"due_by": today}).text
    with_done = client.get("/revisit-tasks", params={"done": "1"})
    assert HOSTILE[0] not in with_done.text and "&lt;img" in with_done.text
    assert count_on_home(client.get("/").text) == api_total - 1

    english = client.get("/revisit-tasks", params={"lang": "en"})
    assert "Revisit tasks" in english.text and "scheduled revisit" in english.text


def test_bad_filters_are_named_and_other_roles_are_refused(client, db):
    person(db, "clerk", username="revisit-clerk2")
    person(db, "inspector", username="revisit-inspector")
    sign_in(client, "revisit-clerk2")
    bad_day = client.get("/revisit-tasks", params={"due_by": "2026-13-40"})
    assert bad_day.status_code == 422 and 'data-field="due_by"' in bad_day.text
    bad_kind = client.get("/revisit-tasks", params={"kind": "visit"})
    assert bad_kind.status_code == 422 and 'data-field="kind"' in bad_kind.text
    client.cookies.clear()
    sign_in(client, "revisit-inspector")
    refused = client.get("/revisit-tasks")
    assert refused.status_code == 403 and "text/html" in refused.headers["content-type"]
    assert 'data-item="revisits_due"' not in client.get("/").text
