"""The duty roster (值班) in the console (/duty): a chief sees who is on duty when and the urgent complaints
recorded for the person on duty out of hours, and adds a shift by form; bad input is the console's error page
naming the field; other roles neither see the link nor open the page."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from sqlalchemy import select

from ecogrid.core.models import DutyShift
from ecogrid.core.time import BEIJING, today
from tests.cases.test_duty import complaint
from tests.console.console_support import HOSTILE, form_token, sign_in
from tests.staffing import person


def test_a_chief_adds_a_shift_and_sees_the_roster_and_the_duty_cases(client, db, auth):
    chief = person(db, "chief", username="duty-chief")
    clerk = person(db, "clerk", username="duty-clerk")
    clerk.full_name = HOSTILE[0]
    db.flush()
    sign_in(client, "duty-chief")
    page = client.get("/duty")
    assert page.status_code == 200 and "值班表" in page.text and "无人值班" in page.text
    assert "default-src" in page.headers["content-security-policy"]
    assert 'href="/duty"' in page.text
    assert f'<option value="{clerk.id}">' in page.text

    token = form_token(page.text)
    yesterday, tomorrow = today() - timedelta(days=1), today() + timedelta(days=1)
    shift = {"csrf": token, "user_id": str(clerk.id), "starts_at": f"{yesterday.isoformat()}T17:30",
             "ends_at": f"{tomorrow.isoformat()}T08:30", "note": HOSTILE[2]}
    made = client.post("/duty", data=shift, follow_redirects=False)
    assert made.status_code == 303 and made.headers["location"] == "/duty?done=added"
    stored = db.scalars(select(DutyShift).where(DutyShift.user_id == clerk.id)).one()
    assert stored.created_by_id == chief.id and stored.note == HOSTILE[2]
    assert stored.starts_at == datetime.combine(yesterday, time(17, 30), tzinfo=BEIJING)  # a bare time is Beijing
    again = client.post("/duty", data=shift, follow_redirects=False)
    assert again.headers["location"] == "/duty?done=same"
    assert len(db.scalars(select(DutyShift).where(DutyShift.user_id == clerk.id)).all()) == 1

    # An urgent complaint late last night is recorded for the clerk on duty; the page lists it.
    late = datetime.combine(yesterday, time(23, 0), tzinfo=BEIJING).isoformat()
    case_id = complaint(client, auth("clerk"), received_at=late)["case_id"]
    listed = client.get("/duty", params={"done": "added"})
    assert "已排班" in listed.text and 'id="current-duty">' + "&lt;img" in listed.text
    assert f'data-shift="{stored.id}"' in listed.text
    assert f'<tr data-case="{case_id}">' in listed.text and f'href="/cases/{case_id}"' in listed.text
    assert HOSTILE[0] not in listed.text and HOSTILE[2] not in listed.text and "&lt;img" in listed.text
    english = client.get("/duty", params={"lang": "en"})
    assert "Duty roster" in english.text and "Add a shift" in english.text


def test_bad_input_on_the_duty_form_is_the_error_page_naming_the_field(client, db):
    person(db, "chief", username="duty-chief2")
    clerk, planner = person(db, "clerk"), person(db, "planner")
    db.flush()
    sign_in(client, "duty-chief2")
    token = form_token(client.get("/duty").text)
    base = {"csrf": token, "user_id": str(clerk.id), "starts_at": "2026-11-27T17:30", "ends_at": "2026-11-28T08:30"}
    for change, field, label in (
        ({"ends_at": "2026-11-27T08:00"}, "ends_at", "值班结束"),
        ({"ends_at": "2027-01-27T08:00"}, "ends_at", "值班结束"),
        ({"starts_at": "tomorrow"}, "starts_at", "值班开始"),
        ({"starts_at": ""}, "starts_at", "值班开始"),
        ({"user_id": ""}, "duty_user_id", "值班人员"),
        ({"user_id": str(planner.id)}, "duty_user_id", "值班人员"),
        ({"note": "长" * 3000}, "note", "备注"),
    ):
        r = client.post("/duty", data={**base, **change})
        assert r.status_code == 422, (change, r.text[:300])
        assert f'data-field="{field}"' in r.text and label in r.text and 'id="error"' in r.text, change
    assert db.scalars(select(DutyShift)).first() is None


def test_other_roles_do_not_keep_the_roster(client, db):
    for role in ("clerk", "planner", "inspector"):
        client.cookies.clear()
        person(db, role, username=f"duty-{role}")
        db.flush()
        sign_in(client, f"duty-{role}")
        home = client.get("/")
        assert 'href="/duty"' not in home.text
        refused = client.get("/duty")
        assert refused.status_code == 403 and 'id="error"' in refused.text
