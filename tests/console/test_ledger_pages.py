from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

from openpyxl import load_workbook
from sqlalchemy import select

from ecogrid.core.models import AuditEntry, Case
from tests.casefactory import new_case
from tests.console.console_support import HOSTILE, form_token, sign_in
from tests.staffing import person, zone


def _city(db):
    district = zone(db, level="district", west=120.0, south=36.0, size=0.2)
    east = zone(db, level="street", parent=district, west=120.1, south=36.0, size=0.1)
    west = zone(db, level="street", parent=district, west=120.0, south=36.0, size=0.1)
    return district, east, west


def test_the_ledger_filters_in_the_address_and_sorts(client, db):
    district, east, west = _city(db)
    chief = person(db, "chief", username="ledger-chief")
    district.officer_id = chief.id
    now = datetime.now(UTC)
    late = new_case(db, zone_id=east.id, category="dust", status="accepted", accepted_at=now - timedelta(days=20),
                    opened_at=now - timedelta(days=21), due_at=now - timedelta(days=1))
    fresh = new_case(db, zone_id=west.id, category="odour", status="accepted", accepted_at=now,
                     opened_at=now - timedelta(hours=1), due_at=now + timedelta(days=10))
    sign_in(client, "ledger-chief")
    page = client.get("/cases")
    assert page.status_code == 200
    assert f'data-case="{late.id}"' in page.text and f'data-case="{fresh.id}"' in page.text
    assert "案件台账" in page.text
    red = client.get("/cases", params={"colour": "red"})
    assert f'data-case="{late.id}"' in red.text and f'data-case="{fresh.id}"' not in red.text
    street = client.get("/cases", params={"zone": east.code, "overdue": "true"})
    assert f'data-case="{late.id}"' in street.text and f'data-case="{fresh.id}"' not in street.text
    city = client.get("/cases", params={"zone": district.code, "sort": "due"})
    assert city.text.index(f'data-case="{late.id}"') < city.text.index(f'data-case="{fresh.id}"')
    reverse = client.get("/cases", params={"zone": district.code, "sort": "-due"})
    assert reverse.text.index(f'data-case="{fresh.id}"') < reverse.text.index(f'data-case="{late.id}"')


def test_a_bad_filter_is_shown_next_to_its_field_in_chinese(client, db):
    person(db, "clerk", username="ledger-clerk")
    sign_in(client, "ledger-clerk")
    r = client.get("/cases", params={"opened_from": "yesterday", "zone": "NO-SUCH"})
    assert r.status_code == 422
    assert 'data-field="opened_from"' in r.text and 'data-field="zone"' in r.text
    assert "输入有误" in r.text and "起始日期" in r.text
    english = client.get("/cases", params={"opened_from": "yesterday", "lang": "en"})
    assert "Invalid input" in english.text
    # The language is kept for the next page without ?lang.
    assert "Case ledger" in client.get("/cases").text


def test_the_export_holds_exactly_the_rows_shown(client, db):
    _, east, _ = _city(db)
    person(db, "clerk", username="export-clerk")
    for n in range(5):
        new_case(db, zone_id=east.id, name=HOSTILE[0] if n == 0 else "=HYPERLINK(1)")
    sign_in(client, "export-clerk")
    params = {"zone": east.code, "limit": "2", "offset": "2", "sort": "id"}
    page = client.get("/cases", params=params)
    shown = [int(part.split('"')[0]) for part in page.text.split('data-case="')[1:]]
    assert len(shown) == 2
    exported = list(csv.reader(io.StringIO(client.get("/cases.csv", params=params).text.lstrip("\ufeff"))))
    assert [int(row[0]) for row in exported[1:]] == shown
    assert all(row[-2].startswith("'=") for row in exported[1:])  # the export cell rule
    book = load_workbook(io.BytesIO(client.get("/cases.xlsx", params=params).content))
    assert [row[0] for row in book.active.iter_rows(min_row=2, values_only=True)] == shown
    everything = client.get("/cases.csv", params={**params, "all": "1"}).text
    assert len(list(csv.reader(io.StringIO(everything)))) == 6
    assert db.scalars(select(AuditEntry).where(AuditEntry.action == "personal_data.export")).first() is not None


def test_a_chief_dispatches_the_ticked_cases_and_a_bad_target_changes_nothing(client, db):
    district, east, _ = _city(db)
    chief = person(db, "chief", username="bulk-chief")
    district.officer_id = chief.id
    inspector = person(db, "inspector", team="一中队")
    first = new_case(db, zone_id=east.id, status="accepted", accepted_at=datetime.now(UTC))
    second = new_case(db, zone_id=east.id, status="accepted", accepted_at=datetime.now(UTC))
    sign_in(client, "bulk-chief")
    page = client.get("/cases", params={"status": "accepted"})
    token = form_token(page.text)
    assert f'value="user:{inspector.id}"' in page.text and 'value="team:一中队"' in page.text
    wrong = client.post("/cases/dispatch", data={"csrf": token, "case_ids": [first.id, second.id],
                                                  "target": f"user:{chief.id}"})
    assert wrong.status_code == 422 and 'data-field="target"' in wrong.text
    db.expire_all()
    assert db.get(Case, first.id).status == "accepted"
    forged = client.post("/cases/dispatch", data={"csrf": "x", "case_ids": [first.id], "target": "team:一中队"})
    assert forged.status_code == 403
    r = client.post("/cases/dispatch", data={"csrf": token, "case_ids": [first.id, second.id],
                                              "target": f"user:{inspector.id}"}, follow_redirects=False)
    assert r.status_code == 303
    db.expire_all()
    assert [db.get(Case, i).assigned_to_id for i in (first.id, second.id)] == [inspector.id, inspector.id]
    assert {db.get(Case, i).status for i in (first.id, second.id)} == {"dispatched"}


def test_an_inspector_sees_only_their_cases_and_no_dispatch(client, db):
    _, east, _ = _city(db)
    mine = person(db, "inspector", username="ledger-inspector")
    theirs = new_case(db, zone_id=east.id, status="dispatched", assigned_to_id=None)
    own = new_case(db, zone_id=east.id, status="dispatched", assigned_to_id=mine.id)
    sign_in(client, "ledger-inspector")
    page = client.get("/cases")
    assert f'data-case="{own.id}"' in page.text and f'data-case="{theirs.id}"' not in page.text
    assert "bulk-dispatch" not in page.text
    assert client.get("/cases.csv").status_code == 403
