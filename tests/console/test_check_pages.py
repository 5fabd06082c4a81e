"""Post-enforcement checks (执法后督察) on the console's case page: a chief schedules one by form on a dealt-with
case and sees it listed; the inspector sent records what was found; bad input is the console's error page naming
the field; a clerk sees no form and is refused the address."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from ecogrid.core.models import CaseCheck
from ecogrid.core.time import today
from tests.cases.test_checks import replied_case
from tests.console.console_support import HOSTILE, form_token, sign_in
from tests.staffing import city_chief, dispatched, person


def test_a_chief_schedules_a_check_and_the_inspector_records_the_finding(client, db):
    chief, inspector = city_chief(db), person(db, "inspector")
    inspector.full_name = HOSTILE[0]
    row = replied_case(db, chief, inspector)
    sign_in(client, chief.username)
    page = client.get(f"/cases/{row.id}")
    assert page.status_code == 200 and 'id="action-check"' in page.text and "尚未安排执法后督察" in page.text
    day = (today() + timedelta(days=7)).isoformat()
    made = client.post(f"/cases/{row.id}/checks", data={"csrf": form_token(page.text), "due_on": day,
                                                        "assignee_id": str(inspector.id), "note": HOSTILE[2]},
                       follow_redirects=False)
    assert made.status_code == 303 and made.headers["location"].startswith(f"/cases/{row.id}?done=schedule_check")
    check = db.scalars(select(CaseCheck).where(CaseCheck.case_id == row.id)).one()
    assert (check.due_on.isoformat(), check.assignee_id, check.scheduled_by_id) == (day, inspector.id, chief.id)
    shown = client.get(f"/cases/{row.id}", params={"done": "schedule_check"})
    assert f'data-check="{check.id}"' in shown.text and day in shown.text and "待督察" in shown.text
    assert HOSTILE[0] not in shown.text and HOSTILE[2] not in shown.text and "&lt;script&gt;" in shown.text
    assert f'action="/checks/{check.id}/done"' not in shown.text  # the chief schedules; the inspector records

    client.cookies.clear()
    sign_in(client, inspector.username)
    theirs = client.get(f"/cases/{row.id}")
    assert f'action="/checks/{check.id}/done"' in theirs.text and 'id="action-check"' not in theirs.text
    blank = client.post(f"/checks/{check.id}/done", data={"csrf": form_token(theirs.text), "finding": "  "})
    assert blank.status_code == 422 and 'data-field="finding"' in blank.text and "督察结果" in blank.text
    done = client.post(f"/checks/{check.id}/done", data={"csrf": form_token(theirs.text), "finding": "设施正常运行"},
                       follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"].startswith(f"/cases/{row.id}?done=check")
    after = client.get(f"/cases/{row.id}")
    assert "设施正常运行" in after.text and f'action="/checks/{check.id}/done"' not in after.text
    db.refresh(check)
    assert check.done_by_id == inspector.id and check.finding == "设施正常运行"


def test_bad_input_on_the_check_form_is_the_error_page_naming_the_field(client, db):
    chief, inspector, clerk = city_chief(db), person(db, "inspector"), person(db, "clerk")
    row = replied_case(db, chief, inspector)
    open_case = dispatched(db, chief=chief, to={"user_id": inspector.id})
    sign_in(client, chief.username)
    token = form_token(client.get(f"/cases/{row.id}").text)
    tomorrow = (today() + timedelta(days=1)).isoformat()
    base = {"csrf": token, "due_on": tomorrow, "assignee_id": str(inspector.id)}
    for change, field, label in (
        ({"due_on": (today() - timedelta(days=1)).isoformat()}, "due_on", "督察日期"),
        ({"due_on": ""}, "due_on", "督察日期"),
        ({"due_on": "soon"}, "due_on", "督察日期"),
        ({"assignee_id": str(clerk.id)}, "assignee_id", "督察人员"),
        ({"assignee_id": ""}, "assignee_id", "督察人员"),
    ):
        r = client.post(f"/cases/{row.id}/checks", data={**base, **change})
        assert r.status_code == 422, (change, r.text[:300])
        assert f'data-field="{field}"' in r.text and label in r.text and 'id="error"' in r.text, change
    not_yet = client.post(f"/cases/{open_case.id}/checks", data=base)
    assert not_yet.status_code == 409 and 'id="error"' in not_yet.text
    assert 'id="action-check"' not in client.get(f"/cases/{open_case.id}").text
    assert db.scalars(select(CaseCheck)).first() is None

    client.cookies.clear()
    person(db, "clerk", username="check-clerk")
    db.flush()
    sign_in(client, "check-clerk")
    page = client.get(f"/cases/{row.id}")
    assert 'id="action-check"' not in page.text
    refused = client.post(f"/cases/{row.id}/checks", data={**base, "csrf": form_token(page.text)})
    assert refused.status_code == 403 and 'id="error"' in refused.text
