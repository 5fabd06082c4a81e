"""The official calendar: a year's schedule loaded by an admin is what the deadlines count; without one a
deadline is counted from the holidays package's festival dates and says it is an estimate.

The 2027 rows used here are EXAMPLES in the official format (tests/calendar/data/example_2027.json), not
the State Council's schedule."""

from __future__ import annotations

import copy
import json
from datetime import timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ecogrid.calendar import service as calendar_service
from ecogrid.cases import deadlines
from ecogrid.cases import service as casework
from ecogrid.cli import app
from ecogrid.core.settings import get_settings
from tests.casefactory import at, new_case
from tests.console.console_support import sign_in
from tests.databases import scratch_database
from tests.staffing import person

EXAMPLE = Path(__file__).parent / "data" / "example_2027.json"


def example() -> dict:
    return json.loads(EXAMPLE.read_text(encoding="utf-8"))


def accepted_12345_case(db, make_user, opened: str) -> int:
    """A 12345 work order (5 working days from receipt) received at ``opened``, accepted an hour later."""
    clerk = make_user("clerk")
    row = new_case(db, opened_at=at(opened), channel="hotline_12345")
    actor = casework.Actor(user_id=clerk.id, name=clerk.username, role="clerk")
    casework.act(db, case_id=row.id, action="accept", payload=None, actor=actor, now=at(opened) + timedelta(hours=1))
    return row.id


def case_read(client, auth, case_id: int) -> dict:
    r = client.get(f"/api/v1/cases/{case_id}", headers=auth("chief"))
    assert r.status_code == 200, r.text
    return r.json()


def test_a_2027_deadline_without_a_schedule_is_estimated_and_skips_the_rule_based_festivals(db, client, auth,
                                                                                              make_user):
    pytest.importorskip("holidays")
    # Thursday 4 Feb 2027, 10:00. The holidays package has 5-10 Feb as the Spring Festival (no make-up days):
    # 11, 12, 15, 16, 17 Feb are the five working days. Monday to Friday alone would give 11 Feb.
    case_id = accepted_12345_case(db, make_user, "2027-02-04 10:00")
    body = case_read(client, auth, case_id)
    assert body["due_at"] == "2027-02-17T10:00:00+08:00"
    assert body["due_estimated"] is True
    shown = client.get("/api/v1/admin/calendar/2027", headers=auth("admin")).json()
    assert shown["source_kind"] == "holidays" and shown["estimated"] is True and shown["days"] == []


def test_after_loading_a_schedule_its_make_up_saturday_counts_and_the_deadline_is_not_estimated(
        db, client, auth, make_user):
    case_id = accepted_12345_case(db, make_user, "2027-02-04 10:00")
    admin = auth("admin")
    r = client.post("/api/v1/admin/calendar/2027", headers=admin, json=example())
    assert r.status_code == 200, r.text
    loaded = r.json()
    assert loaded["source_kind"] == "official" and loaded["estimated"] is False
    assert (loaded["holidays"], loaded["workdays"], loaded["replaced"]) == (9, 2, 0)
    assert loaded["recomputed_cases"] == 1
    # Off 5-12 Feb; Saturday 13 Feb is worked (调休): 13, 15, 16, 17, 18 Feb are the five working days.
    body = case_read(client, auth, case_id)
    assert body["due_at"] == "2027-02-18T10:00:00+08:00"
    assert body["due_estimated"] is False
    [item] = [c for c in client.get("/api/v1/cases", headers=auth("chief")).json()["items"] if c["id"] == case_id]
    assert item["due_at"] == body["due_at"] and item["due_estimated"] is False
    # A case arriving now counts by the schedule straight away, through the same rule.
    calendar = calendar_service.current(db)
    # Received on a holiday: the make-up Saturday is day 1, due at its end.
    assert deadlines.add_working_days(at("2027-02-12 09:00"), 1, calendar=calendar) == at("2027-02-14 00:00")
    assert deadlines.is_working_day(at("2027-01-31 12:00").date(), calendar)
    [listed] = [d for d in client.get("/api/v1/admin/calendar/2027", headers=admin).json()["days"]
                if d["date"] == "2027-02-13"]
    assert listed == {"date": "2027-02-13", "kind": "workday", "name": "春节调休上班", "weekday": 6}


def test_reloading_a_year_replaces_it_whole(db, client, auth):
    admin = auth("admin")
    assert client.post("/api/v1/admin/calendar/2027", headers=admin, json=example()).status_code == 200
    smaller = example()
    smaller["days"] = [{"date": "2027-10-01", "kind": "holiday", "name": "国庆节"}]
    smaller["source"] = "EXAMPLE ONLY: a second version"
    r = client.post("/api/v1/admin/calendar/2027", headers=admin, json=smaller)
    assert r.status_code == 200, r.text
    assert r.json()["replaced"] == 11
    shown = client.get("/api/v1/admin/calendar/2027", headers=admin).json()
    assert [d["date"] for d in shown["days"]] == ["2027-10-01"] and shown["source"] == "EXAMPLE ONLY: a second version"
    # Nothing of the first version remains: 13 Feb is a Saturday off again.
    assert not deadlines.is_working_day(at("2027-02-13 12:00").date(), calendar_service.current(db))


@pytest.mark.parametrize(("row", "field", "value"), [
    (2, "kind", "holliday"),  # not a kind
    (3, "date", "2027-02-30"),  # not a date
    (4, "name", ""),  # no name
])
def test_a_bad_row_is_refused_naming_it_and_nothing_is_loaded(client, auth, row, field, value):
    admin = auth("admin")
    assert client.post("/api/v1/admin/calendar/2027", headers=admin, json=example()).status_code == 200
    bad = example()
    bad["days"][row][field] = value
    r = client.post("/api/v1/admin/calendar/2027", headers=admin, json=bad)
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"] == ["body", "days", row, field]
    assert len(client.get("/api/v1/admin/calendar/2027", headers=admin).json()["days"]) == 11


@pytest.mark.parametrize(("change", "row", "field", "said"), [
    (lambda d: d["days"][1].update(date="2027-02-01"), 1, "kind", "weekday"),  # a make-up day on a Monday
    (lambda d: d["days"][3].update(date="2026-02-06"), 3, "date", "not in 2027"),
    (lambda d: d["days"][4].update(date="2027-02-05"), 4, "date", "listed twice"),
])
def test_rows_that_contradict_the_year_are_refused_naming_the_row(client, auth, change, row, field, said):
    bad = example()
    change(bad)
    r = client.post("/api/v1/admin/calendar/2027", headers=auth("admin"), json=bad)
    assert r.status_code == 422, r.text
    [problem] = r.json()["detail"]
    assert problem["loc"] == ["body", "days", row, field]
    assert f"row {row + 1}" in problem["msg"] and said in problem["msg"]
    assert client.get("/api/v1/admin/calendar/2027", headers=auth("admin")).json()["days"] == []


def test_the_address_and_the_file_agree_on_the_year(client, auth):
    r = client.post("/api/v1/admin/calendar/2028", headers=auth("admin"), json=example())
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "year"]


def test_only_an_admin_loads_or_reads_the_calendar(client, auth):
    chief = auth("chief")
    assert client.post("/api/v1/admin/calendar/2027", headers=chief, json=example()).status_code == 403
    assert client.get("/api/v1/admin/calendar/2027", headers=chief).status_code == 403
    assert client.get("/api/v1/admin/calendar/2027").status_code == 401


def test_a_known_year_is_official_without_loading(client, auth):
    shown = client.get("/api/v1/admin/calendar/2026", headers=auth("admin")).json()
    assert shown["source_kind"] == "chinesecalendar" and shown["estimated"] is False


def test_a_calendar_day_deadline_across_the_year_is_not_an_estimate(db, make_user):
    # 12369 (信访) counts calendar days: no holiday schedule enters it.
    clerk = make_user("clerk")
    row = new_case(db, opened_at=at("2026-12-01 10:00"), channel="hotline_12369")
    actor = casework.Actor(user_id=clerk.id, name=clerk.username, role="clerk")
    body = casework.act(db, case_id=row.id, action="accept", payload=None, actor=actor, now=at("2026-12-01 11:00"))
    assert body["due_at"].startswith("2027-01-30") and body["due_estimated"] is False


def test_the_command_refuses_a_bad_file_naming_row_and_field(tmp_path):
    bad = copy.deepcopy(example())
    bad["days"][2]["kind"] = "holliday"
    path = tmp_path / "2027.json"
    path.write_text(json.dumps(bad, ensure_ascii=False), encoding="utf-8")
    result = CliRunner().invoke(app, ["calendar", "load", str(path)])
    assert result.exit_code == 2
    assert "row 3: kind:" in result.output and "nothing loaded" in result.output


def test_the_command_loads_a_year_shows_it_and_refuses_a_contradicting_file(cluster, tmp_path, monkeypatch):
    # The command commits: a database of its own.
    with scratch_database(cluster, "calendar") as url:
        monkeypatch.setenv("DATABASE_URL", url)
        get_settings.cache_clear()
        try:
            runner = CliRunner()
            loaded = runner.invoke(app, ["calendar", "load", str(EXAMPLE)])
            assert loaded.exit_code == 0, loaded.output
            assert "2027: working days from official (official)" in loaded.output
            assert "9 holidays, 2 make-up working days" in loaded.output
            shown = runner.invoke(app, ["calendar", "show", "2027"])
            assert shown.exit_code == 0 and "2027-02-13 Sat workday  春节调休上班" in shown.output
            bad = example()
            bad["days"][1]["date"] = "2027-02-01"  # a make-up working day on a Monday
            path = tmp_path / "bad.json"
            path.write_text(json.dumps(bad, ensure_ascii=False), encoding="utf-8")
            refused = runner.invoke(app, ["calendar", "load", str(path)])
            assert refused.exit_code == 2 and "row 2: kind:" in refused.output
            again = runner.invoke(app, ["calendar", "show", "2027"])
            assert again.output == shown.output  # nothing of the refused file was stored
            assert "ESTIMATED" in runner.invoke(app, ["calendar", "show", "2031"]).output
        finally:
            get_settings.cache_clear()
            calendar_service.invalidate()


def test_the_staff_console_case_page_says_the_deadline_is_estimated(db, client, make_user):
    case_id = accepted_12345_case(db, make_user, "2027-02-04 10:00")
    person(db, "chief", username="calendar-chief")
    sign_in(client, "calendar-chief")
    page = client.get(f"/cases/{case_id}")
    assert page.status_code == 200
    assert 'id="due-estimated"' in page.text and "预计" in page.text
    english = client.get(f"/cases/{case_id}?lang=en")
    assert "(estimated)" in english.text
    ledger = client.get("/cases?lang=zh")
    assert ledger.status_code == 200 and '<span class="estimated">(预计)</span>' in ledger.text
