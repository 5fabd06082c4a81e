from __future__ import annotations

from sqlalchemy import func, select

from ecogrid.core.models import Complaint, Source
from geo import coords
from tests.console.console_support import HOSTILE, form_token, sign_in
from tests.staffing import person, zone


def _fields(token: str, **extra) -> dict[str, str]:
    return {"csrf": token, "submission": "s-" + extra.pop("key", "one"), "channel": "hotline_12345",
            "kind": "complaint", "category": "odour", "urgency": "ordinary", "description": HOSTILE[0],
            "address": "{{7*7}}", "complainant_name": HOSTILE[2], "complainant_phone": "13800001111",
            "crs": "wgs84", **extra}


def test_a_clerk_registers_a_phone_complaint_and_sees_its_case(client, db):
    street = zone(db, level="street", west=120.3, south=36.0, size=0.1)
    db.add(Source(name="化工厂", credit_code="91370200MA3C00001X", industry="chemical", categories=["odour"],
                  geom="SRID=4326;POINT(120.351 36.051)"))
    person(db, "clerk", username="intake-clerk")
    sign_in(client, "intake-clerk")
    page = client.get("/intake")
    assert page.status_code == 200 and "登记投诉" in page.text
    token = form_token(page.text)
    check = client.post("/intake", data=_fields(token, lon="120.35", lat="36.05", step="check"))
    assert check.status_code == 200 and 'id="no-nearby"' in check.text
    saved = client.post("/intake", data=_fields(token, lon="120.35", lat="36.05", step="save"))
    assert saved.status_code == 201
    assert street.name in saved.text and "化工厂" in saved.text and 'id="deadline"' in saved.text
    # Sent twice (a reload, a double click): stored once.
    again = client.post("/intake", data=_fields(token, lon="120.35", lat="36.05", step="save"))
    assert again.status_code == 200 and "已登记过" in again.text
    assert db.scalar(select(func.count()).select_from(Complaint)) == 1
    stored = db.scalars(select(Complaint)).one()
    assert stored.description == HOSTILE[0] and stored.complainant_name == HOSTILE[2]
    # A second call nearby: the check lists the open case, the clerk joins it.
    nearby = client.post("/intake", data=_fields(token, key="two", lon="120.3501", lat="36.0501", step="check"))
    assert f'data-nearby="{stored.case_id}"' in nearby.text
    joined = client.post("/intake", data=_fields(token, key="two", lon="120.3501", lat="36.0501", step="save",
                                                 join_case_id=str(stored.case_id)))
    assert joined.status_code == 201 and "并入已有案件" in joined.text
    assert db.scalar(select(func.count()).select_from(Complaint).where(Complaint.case_id == stored.case_id)) == 2


def test_pasted_gcj02_coordinates_are_converted(client, db):
    zone(db, level="street", west=120.3, south=36.0, size=0.1)
    person(db, "clerk", username="paste-clerk")
    sign_in(client, "paste-clerk")
    token = form_token(client.get("/intake").text)
    gcj = coords.from_wgs84(120.35, 36.05, "gcj02")
    r = client.post("/intake", data=_fields(token, coords=f"{gcj[0]:.6f}, {gcj[1]:.6f}", coords_crs="gcj02",
                                            step="save"))
    assert r.status_code == 201
    lon, lat = db.execute(select(func.ST_X(Complaint.geom), func.ST_Y(Complaint.geom))).one()
    assert abs(lon - 120.35) < 1e-5 and abs(lat - 36.05) < 1e-5
    assert db.scalars(select(Complaint.orig_crs)).one() == "gcj02"


def test_bad_fields_are_refused_next_to_the_field_and_nothing_is_stored(client, db):
    person(db, "clerk", username="bad-clerk")
    sign_in(client, "bad-clerk")
    token = form_token(client.get("/intake").text)
    for extra, field in (({"category": "smell"}, "category"), ({"description": ""}, "description"),
                         ({"coords": "somewhere"}, "coords"), ({"lon": "200", "lat": "36"}, "lon")):
        r = client.post("/intake", data={**_fields(token, step="save"), **extra})
        assert r.status_code == 422, field
        assert f'data-field="{field}"' in r.text
    assert db.scalar(select(func.count()).select_from(Complaint)) == 0
    assert client.post("/intake", data=_fields(token, step="save", address="")).status_code == 422  # nowhere


def test_the_import_page_reports_and_offers_the_error_report(client, db):
    person(db, "clerk", username="import-clerk")
    sign_in(client, "import-clerk")
    token = form_token(client.get("/intake/import").text)
    body = ("external_ref,channel,kind,category,description,received_at,lon,lat\n"
            "A1,hotline_12345,complaint,odour,气味,2026-01-05 10:00,120.35,36.05\n"
            "A2,hotline_12345,complaint,smell,气味,2026-01-05 10:00,120.35,36.05\n").encode()
    r = client.post("/intake/import", data={"csrf": token}, files={"file": ("x.csv", body, "text/csv")})
    assert r.status_code == 200
    assert 'data-figure="stored">1<' in r.text and 'data-figure="refused">1<' in r.text
    link = r.text.split('id="error-report" href="')[1].split('"')[0]
    report = client.get(link)
    assert report.status_code == 200 and "smell" in report.text
    person(db, "clerk", username="other-clerk")
    client.cookies.clear()
    sign_in(client, "other-clerk")
    assert client.get(link).status_code == 404
