"""Revisit tasks (回访) through the API and the command: scheduled revisits after closing, a quarter's seeded
sample, progress notices (通报进展) on long rectifications, all in the clerk's task list and done by a contact."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete, select
from typer.testing import CliRunner

from ecogrid.cases import revisit_tasks
from ecogrid.cli import app
from ecogrid.core.models import CaseEvent, RevisitTask
from ecogrid.core.settings import get_settings
from ecogrid.core.time import day_of
from tests.casefactory import at, new_case
from tests.staffing import city_chief


def closed(db, when):
    return new_case(db, opened_at=when - timedelta(days=10), status="closed", closed_at=when)


def tasks(client, headers, **params):
    answer = client.get("/api/v1/revisit-tasks", headers=headers, params={"limit": 1000, **params})
    assert answer.status_code == 200, answer.text
    return answer.json()


def contact(client, headers, case_id):
    made = client.post(f"/api/v1/cases/{case_id}/contacts", headers=headers,
                       json={"method": "phone", "summary": "电话回访，投诉人表示满意"})
    assert made.status_code == 201, made.text
    return made.json()


def test_a_closing_gets_one_scheduled_revisit_and_a_contact_does_it(client, db, auth):
    chief, clerk = auth(city_chief(db)), auth("clerk")
    when = datetime.now(UTC) - timedelta(days=3)
    row = closed(db, when)
    first = client.post("/api/v1/revisit-tasks/generate", headers=chief, json={})
    assert first.status_code == 200, first.text
    assert first.json()["scheduled_created"] >= 1
    again = client.post("/api/v1/revisit-tasks/generate", headers=chief, json={}).json()
    assert again["scheduled_created"] == 0
    mine = [t for t in tasks(client, clerk)["items"] if t["case_id"] == row.id]
    assert [(t["kind"], t["kind_label"], t["due_on"]) for t in mine] == [
        ("scheduled", "定期回访", (day_of(when) + timedelta(days=30)).isoformat())]

    made = contact(client, clerk, row.id)
    assert [t for t in tasks(client, clerk)["items"] if t["case_id"] == row.id] == []
    done = [t for t in tasks(client, clerk, open=False)["items"] if t["case_id"] == row.id]
    assert done[0]["done"] is True and done[0]["contact_id"] == made["id"]


def test_a_task_is_done_with_a_note_and_bad_input_names_the_field(client, db, auth):
    chief, clerk = auth(city_chief(db)), auth("clerk")
    row, other = closed(db, datetime.now(UTC) - timedelta(days=2)), closed(db, datetime.now(UTC) - timedelta(days=2))
    client.post("/api/v1/revisit-tasks/generate", headers=chief, json={"days": 7})
    task = next(t for t in tasks(client, clerk)["items"] if t["case_id"] == row.id)
    empty = client.post(f"/api/v1/revisit-tasks/{task['id']}/done", headers=clerk, json={})
    assert empty.status_code == 422 and empty.json()["detail"][0]["loc"][-1] == "note"
    elsewhere = contact(client, clerk, other.id)
    wrong = client.post(f"/api/v1/revisit-tasks/{task['id']}/done", headers=clerk,
                        json={"contact_id": elsewhere["id"]})
    assert wrong.status_code == 422 and wrong.json()["detail"][0]["loc"][-1] == "contact_id"
    done = client.post(f"/api/v1/revisit-tasks/{task['id']}/done", headers=clerk,
                       json={"note": "投诉人已搬离，无法回访"})
    assert done.status_code == 200 and done.json()["done"] is True
    assert client.post(f"/api/v1/revisit-tasks/{task['id']}/done", headers=clerk,
                       json={"note": "投诉人已搬离，无法回访"}).status_code == 200
    assert client.post(f"/api/v1/revisit-tasks/{task['id']}/done", headers=clerk,
                       json={"note": "另一说法"}).status_code == 409
    assert client.post("/api/v1/revisit-tasks/999999/done", headers=clerk, json={"note": "x"}).status_code == 404
    bad_days = client.post("/api/v1/revisit-tasks/generate", headers=chief, json={"days": 0})
    assert bad_days.status_code == 422 and bad_days.json()["detail"][0]["loc"][-1] == "days"
    bad_quarter = client.post("/api/v1/revisit-tasks/generate", headers=chief, json={"quarter": "2026Q5"})
    assert bad_quarter.status_code == 422 and bad_quarter.json()["detail"][0]["loc"][-1] == "quarter"
    bad_kind = client.get("/api/v1/revisit-tasks", headers=clerk, params={"kind": "visit"})
    assert bad_kind.status_code == 422 and bad_kind.json()["detail"][0]["loc"][-1] == "kind"


def test_only_staff_who_revisit_see_the_tasks_and_only_chiefs_generate(client, auth):
    assert client.get("/api/v1/revisit-tasks", headers=auth("inspector")).status_code == 403
    assert client.get("/api/v1/revisit-tasks").status_code == 401
    assert client.post("/api/v1/revisit-tasks/generate", headers=auth("clerk"), json={}).status_code == 403
    assert client.post("/api/v1/revisit-tasks/generate", headers=auth("admin"), json={}).status_code == 200


def test_a_quarter_sample_is_sized_by_the_rate_reproducible_with_the_seed_and_drawn_once(client, db, auth):
    chief, clerk = auth(city_chief(db)), auth("clerk")
    ids = [closed(db, at(f"2025-08-{day:02d} 10:00")).id for day in range(1, 21)]
    closed(db, at("2025-10-02 10:00"))  # the next quarter
    body = {"quarter": "2025Q3", "seed": 42, "rate": 0.1}
    drawn = client.post("/api/v1/revisit-tasks/generate", headers=chief, json=body)
    assert drawn.status_code == 200, drawn.text
    assert (drawn.json()["sample_created"], drawn.json()["seed"]) == (2, 42)
    sampled = sorted(t["case_id"] for t in tasks(client, clerk, kind="sample")["items"])
    assert len(sampled) == 2 and set(sampled) <= set(ids)
    assert sampled == revisit_tasks.draw_sample(ids, quarter="2025Q3", seed=42, rate=0.1)
    again = client.post("/api/v1/revisit-tasks/generate", headers=chief, json={**body, "seed": 7}).json()
    assert (again["sample_created"], again["sample_stored"], again["seed"]) == (0, 2, 42)

    db.execute(delete(RevisitTask).where(RevisitTask.quarter == "2025Q3"))
    replayed = client.post("/api/v1/revisit-tasks/generate", headers=chief, json=body).json()
    assert replayed["sample_created"] == 2
    assert sorted(t["case_id"] for t in tasks(client, clerk, kind="sample")["items"]) == sampled
    db.execute(delete(RevisitTask).where(RevisitTask.quarter == "2025Q3"))
    half = client.post("/api/v1/revisit-tasks/generate", headers=chief, json={**body, "rate": 0.25}).json()
    assert half["sample_created"] == 5
    unfinished = client.post("/api/v1/revisit-tasks/generate", headers=chief,
                             json={"quarter": f"{datetime.now(UTC).year + 1}Q1"})
    assert unfinished.status_code == 422 and unfinished.json()["detail"][0]["loc"][-1] == "quarter"


def test_a_long_rectification_without_contact_is_due_a_progress_notice_until_one_is_recorded(client, db, auth):
    clerk = auth("clerk")
    now = datetime.now(UTC)
    long_row = new_case(db, opened_at=now - timedelta(days=40), status="rectification")
    short_row = new_case(db, opened_at=now - timedelta(days=40), status="rectification")
    for row, days in ((long_row, 20), (short_row, 5)):
        db.add(CaseEvent(case_id=row.id, at=now - timedelta(days=days), action="rectify",
                         from_status="in_progress", to_status="rectification"))
    db.flush()
    mine = (long_row.id, short_row.id)
    due = [t for t in tasks(client, clerk, kind="progress_notice")["items"] if t["case_id"] in mine]
    assert [(t["case_id"], t["kind_label"], t["id"]) for t in due] == [(long_row.id, "通报进展", None)]
    assert due[0]["due_on"] == (day_of(now - timedelta(days=20)) + timedelta(days=15)).isoformat()
    contact(client, clerk, long_row.id)
    assert [t for t in tasks(client, clerk)["items"] if t["case_id"] == long_row.id] == []


def test_the_page_of_tasks_and_the_total(client, db, auth):
    chief, clerk = auth(city_chief(db)), auth("clerk")
    for day in range(1, 4):
        closed(db, datetime.now(UTC) - timedelta(days=day))
    client.post("/api/v1/revisit-tasks/generate", headers=chief, json={})
    whole = tasks(client, clerk)
    page = client.get("/api/v1/revisit-tasks", headers=clerk, params={"limit": 2, "offset": 1}).json()
    assert page["total"] == whole["total"] >= 3 and page["items"] == whole["items"][1:3]


@pytest.fixture
def cli_env(engine, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.mark.usefixtures("cli_env")
def test_the_command_schedules_idempotently_and_names_a_bad_quarter(engine):
    runner = CliRunner()
    first = runner.invoke(app, ["revisits", "schedule", "--days", "30"])
    assert first.exit_code == 0, first.output
    second = runner.invoke(app, ["revisits", "schedule", "--days", "30"])
    assert second.exit_code == 0 and "scheduled revisits: 0 created" in second.output
    bad = runner.invoke(app, ["revisits", "schedule", "--quarter", "2026-4"])
    assert bad.exit_code == 2 and "quarter" in bad.output
    with engine.begin() as connection:
        connection.execute(delete(RevisitTask))
        assert connection.execute(select(RevisitTask.id)).first() is None
