"""Input that used to reach PostgreSQL and fail there (a 500) is refused with a 4xx naming the field:
ids beyond their column's range, offsets beyond bigint, control characters and lone surrogates in
text, wherever the text comes from (path, query, JSON, forms, Open311, the CSV import)."""

from __future__ import annotations

import csv
from datetime import UTC, datetime
from pathlib import Path

import pytest

from ecogrid.accounts import service as user_service
from ecogrid.complaints import bulk_import as complaint_import
from ecogrid.complaints import intake
from ecogrid.core.errors import InvalidInput
from tests.casefactory import new_case

INT4_PAST = 2**31
BIGINT_PAST = 2**63


def _loc(response) -> list:
    assert response.status_code == 422, response.text
    [error] = response.json()["detail"]
    return error["loc"]


@pytest.mark.parametrize("path", [
    "/api/v1/cases/{big}", "/api/v1/cases/{big}/suspects", "/api/v1/sources/{big}",
    "/api/v1/inspections/{big}", "/api/v1/inspections/tasks/{big}", "/api/v1/photos/{big}",
    "/api/v1/patrols/draws/{big}", "/api/v1/patrols/routes/{big}", "/api/v1/patrols/routes/{big}.csv",
])
def test_an_id_beyond_int4_in_the_path_is_a_422_naming_it(client, auth, path):
    response = client.get(path.format(big=INT4_PAST), headers=auth("admin"))
    assert _loc(response)[0] == "path"


def test_a_complaint_id_is_a_bigint_and_beyond_it_is_refused(client, auth):
    admin = auth("admin")
    assert client.get(f"/api/v1/complaints/{INT4_PAST}", headers=admin).status_code == 404
    assert _loc(client.get(f"/api/v1/complaints/{BIGINT_PAST}", headers=admin)) == ["path", "complaint_id"]


def test_ids_beyond_int4_in_query_and_bodies_are_422_naming_them(db, client, auth):
    admin = auth("admin")
    assert _loc(client.get("/api/v1/cases", params={"zone_id": INT4_PAST}, headers=admin)) == ["query", "zone_id"]
    case = new_case(db)
    supervise = client.post(f"/api/v1/cases/{case.id}/supervise", json={"user_id": INT4_PAST}, headers=admin)
    assert _loc(supervise) == ["body", "user_id"]
    conflict = client.post("/api/v1/patrols/conflicts", json={"user_id": 1, "source_id": INT4_PAST}, headers=admin)
    assert _loc(conflict) == ["body", "source_id"]
    route = client.post("/api/v1/patrols/routes", json={"date": "2026-03-02", "source_ids": [1, INT4_PAST]},
                        headers=admin)
    assert _loc(route) == ["body", "source_ids", 1]
    assigned = client.get("/api/v1/cases", params={"assigned_to": str(INT4_PAST)}, headers=admin)
    assert _loc(assigned) == ["body", "assigned_to"]  # a domain check: FastAPI's shape, "body" by convention
    dispatch = client.post(f"/api/v1/cases/{case.id}/dispatch", json={"user_id": str(BIGINT_PAST)}, headers=admin)
    assert dispatch.status_code in (409, 422) and dispatch.status_code < 500


@pytest.mark.parametrize("path", ["/api/v1/complaints", "/api/v1/cases", "/api/v1/sources",
                                  "/api/v1/patrols/targets", "/api/v1/cases/ledger/supervision"])
def test_an_offset_beyond_bigint_is_a_422_naming_it(client, auth, path):
    assert _loc(client.get(path, params={"offset": BIGINT_PAST}, headers=auth("admin"))) == ["query", "offset"]


@pytest.mark.parametrize(("path", "name"), [
    ("/api/v1/complaints", "zone"), ("/api/v1/complaints", "category"), ("/api/v1/sources", "industry"),
    ("/api/v1/cases", "status"), ("/api/v1/zones", "parent"), ("/api/v1/users", "role"),
    ("/open311/v2/requests.json", "service_code"),
])
def test_a_nul_in_a_text_filter_is_a_422_naming_the_parameter(client, auth, path, name):
    response = client.get(f"{path}?{name}=a%00b", headers=auth("admin"))
    if path.startswith("/open311/"):  # GeoReport v2's own error shape
        assert response.status_code == 400 and name in response.json()[0]["description"]
    else:
        assert _loc(response) == ["query", name]


def test_a_nul_in_a_path_segment_is_a_422_naming_it(client, auth):
    assert _loc(client.get("/api/v1/zones/A%00B", headers=auth("admin"))) == ["path", "code"]


def _complaint(**fields) -> dict:
    return {"channel": "hotline_12345", "kind": "complaint", "category": "odour", "description": "异味",
            "address": "某路1号", **fields}


@pytest.mark.parametrize("escaped", ["\\u0000", "\\u0003", "\\u007f", "\\u009b", "\\ud800", "\\udfff"])
def test_control_characters_and_lone_surrogates_in_json_text_are_422_naming_the_field(client, auth, escaped):
    body = ('{"channel": "hotline_12345", "kind": "complaint", "category": "odour", "description": "异味",'
            f' "address": "某路1号", "complainant_name": "张{escaped}三"}}')
    response = client.post("/api/v1/complaints", content=body.encode(), headers={
        **auth("clerk"), "Content-Type": "application/json"})
    assert _loc(response) == ["body", "complainant_name"]


def test_a_lone_surrogate_in_a_choice_field_is_refused_not_echoed_into_a_broken_answer(client, auth):
    body = b'{"channel": "\\ud800", "kind": "complaint", "category": "odour", "description": "x", "address": "y"}'
    response = client.post("/api/v1/complaints", content=body, headers={**auth("clerk"),
                                                                         "Content-Type": "application/json"})
    assert _loc(response) == ["body", "channel"]


def test_nested_json_text_is_checked_too(client, auth, db):
    case = new_case(db)
    response = client.post(f"/api/v1/cases/{case.id}/accept", json={"note": "ok\x00"}, headers=auth("admin"))
    assert _loc(response) == ["body", "note"]


def test_tabs_newlines_emoji_and_chinese_are_plain_text(client, auth):
    response = client.post("/api/v1/complaints", json=_complaint(description="第一行\n第二行\t😀\r\n"),
                           headers=auth("clerk"))
    assert response.status_code == 201, response.text


def test_open311_refuses_a_nul_in_the_description_naming_it(db, client):
    _, key = user_service.create_api_key(db, name="311-nul")
    response = client.post("/open311/v2/requests.json", content=f"api_key={key}&service_code=odour&lat=36&long=120"
                           "&description=a%00b", headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert response.status_code == 400
    assert response.json() == [{"code": 400, "description": "description contains a control character (U+0000)"}]


def test_open311_request_ids_beyond_bigint_are_refused(client):
    response = client.get("/open311/v2/requests.json", params={"service_request_id": str(BIGINT_PAST)})
    assert response.status_code == 400 and "service_request_id" in response.json()[0]["description"]
    assert client.get(f"/open311/v2/requests/{BIGINT_PAST}.json").status_code in (400, 404)


def test_intake_refuses_control_characters_for_every_caller(db):
    data = intake.ComplaintIn(channel="hotline_12345", kind="complaint", category="odour", description="异味",
                              address="某路\x1b1号")
    with pytest.raises(InvalidInput) as refused:
        intake.register_complaint(db, data=data)
    assert refused.value.field == "address"


def test_the_csv_import_reports_a_row_with_a_control_character_naming_the_field(db, tmp_path: Path):
    path = tmp_path / "c.csv"
    at = datetime(2025, 3, 3, 9, 0, tzinfo=UTC).isoformat()
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["ref", "channel", "category", "description", "received_at", "address", "name"])
        writer.writerow(["C1", "hotline_12345", "odour", "异味", at, "某路1号", "张\x00三"])
        writer.writerow(["C2", "hotline_12345", "odour", "异味", at, "某路2号", "李四"])
    mapping = {"external_ref": "ref", "complainant_name": "name"}
    report, errors_path = complaint_import.import_csv(db, path=path, mapping=mapping)
    assert [(e.row, e.field) for e in report.errors] == [(2, "complainant_name")]
    assert "U+0000" in report.errors[0].reason
    assert report.stored == 1
    assert "\x00" not in errors_path.read_text(encoding="utf-8")


# Found by the schemathesis run: dates near year 1 made the period arithmetic overflow (a 500).
@pytest.mark.parametrize(("path", "params", "name"), [
    ("/api/v1/hotspots", {"from": "0001-01-01T00:00:00"}, "from"),
    ("/api/v1/reports/summary", {"from": "0001-01-01", "to": "2026-02-01"}, "from"),
    ("/api/v1/cases", {"opened_to": "9999-12-31"}, "opened_to"),
    ("/api/v1/complaints", {"to": "9999-12-31T23:59:59"}, "to"),
])
def test_dates_outside_the_years_the_service_handles_are_422_naming_them(client, auth, path, params, name):
    assert _loc(client.get(path, params=params, headers=auth("admin"))) == ["query", name]


def test_a_received_at_near_year_one_is_refused_by_intake(client, auth):
    response = client.post("/api/v1/complaints", json=_complaint(received_at="0001-01-01T00:00:00"),
                           headers=auth("clerk"))
    assert _loc(response) == ["body", "received_at"]
