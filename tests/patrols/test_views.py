from __future__ import annotations

import io
import random
from datetime import UTC, date, datetime, timedelta

import openpyxl
import pytest
from sqlalchemy import select

from ecogrid.core.models import Case, Complaint, Inspection, PatrolTarget, Reading, Source, Zone
from ecogrid.sources import credit_code
from geo.routing import brute_force_route

OFFICE = (120.3826, 36.0671)
_counter = {"n": 0}


def add_source(db, *, unit_class: str = "ordinary", lon: float = 120.40, lat: float = 36.07,
               categories: tuple[str, ...] = ("odour",), name: str | None = None) -> Source:
    _counter["n"] += 1
    n = _counter["n"]
    source = Source(name=name or f"Unit {n}", credit_code=credit_code.make(org8=f"{n:08d}"), industry="chemical",
                    categories=list(categories), key_discharger=unit_class == "key", unit_class=unit_class,
                    geom=f"SRID=4326;POINT({lon} {lat})")
    db.add(source)
    db.flush()
    return source


def add_units(db, *, key: int = 0, special: int = 0, ordinary: int = 0) -> list[Source]:
    rng = random.Random(7)
    out = []
    for cls, count in (("key", key), ("special", special), ("ordinary", ordinary)):
        for _ in range(count):
            out.append(add_source(db, unit_class=cls, lon=120.35 + rng.random() * 0.1, lat=36.03 + rng.random() * 0.08))
    return out


def add_complaint(db, *, lon: float, lat: float, days_ago: float = 1.0, category: str = "odour",
                  case: Case | None = None, name: str | None = None, phone: str | None = None) -> Complaint:
    complaint = Complaint(channel="hotline_12345", kind="complaint", category=category,
                          description="刺鼻气味 strong smell at night", complainant_name=name,
                          complainant_phone=phone, case_id=case.id if case else None,
                          received_at=datetime.now(UTC) - timedelta(days=days_ago),
                          geom=f"SRID=4326;POINT({lon} {lat})")
    db.add(complaint)
    db.flush()
    return complaint


def add_inspection(db, *, inspector_id: int, source_id: int, at: datetime, conclusion: str = "compliant",
                   target_id: int | None = None) -> Inspection:
    _counter["n"] += 1
    inspection = Inspection(client_id=f"insp-{_counter['n']}", inspector_id=inspector_id, source_id=source_id,
                            started_at=at, conclusion=conclusion, patrol_target_id=target_id)
    db.add(inspection)
    db.flush()
    return inspection


def draw(client, headers, **body):
    return client.post("/api/v1/patrols/draws", json=body, headers=headers)


# --- the draw ---------------------------------------------------------------------------------

def test_same_seed_on_same_data_gives_the_same_draw_and_verify_says_match(db, client, auth, make_user):
    add_units(db, key=8, ordinary=20)
    for _ in range(4):
        make_user("inspector")
    planner = auth("planner")
    first = draw(client, planner, seed=20260101, quarter="2026Q1")
    second = draw(client, planner, seed=20260101, quarter="2026Q1")
    assert first.status_code == 201, first.text
    a, b = first.json(), second.json()
    assert a["id"] != b["id"]
    assert [(t["source_id"], t["inspector_ids"]) for t in a["targets"]] == \
           [(t["source_id"], t["inspector_ids"]) for t in b["targets"]]
    assert a["inputs_digest"] == b["inputs_digest"] and a["seed"] == 20260101
    verify = client.get(f"/api/v1/patrols/draws/{a['id']}/verify", headers=planner).json()
    assert verify["match"] is True and verify["digest_match"] and verify["targets_match"]
    third = draw(client, planner, seed=7).json()
    assert third["inputs_digest"] == a["inputs_digest"]


def test_verify_notices_a_tampered_result(db, client, auth, make_user):
    add_units(db, key=4, ordinary=4)
    for _ in range(3):
        make_user("inspector")
    planner = auth("planner")
    drawn = draw(client, planner, seed=5).json()
    target = db.get(PatrolTarget, drawn["targets"][0]["target_id"])
    target.inspector_ids = list(reversed(target.inspector_ids)) + [999999]
    db.flush()
    verify = client.get(f"/api/v1/patrols/draws/{drawn['id']}/verify", headers=planner).json()
    assert verify["match"] is False and verify["targets_match"] is False and verify["digest_match"] is True


def test_rates_are_respected_per_class(db, client, auth, make_user):
    units = add_units(db, key=8, ordinary=20)
    for _ in range(3):
        make_user("inspector")
    body = draw(client, auth("planner"), seed=11).json()
    classes = {u.id: u.unit_class for u in units}
    drawn = [classes[t["source_id"]] for t in body["targets"]]
    assert drawn.count("key") == 2 and drawn.count("ordinary") == 1
    assert body["counts"]["key"] == {"population": 8, "drawn": 2, "rate": 0.25}
    assert all(len(t["inspector_ids"]) >= 2 for t in body["targets"])


def test_rate_override_and_class_filter(db, client, auth, make_user):
    add_units(db, key=8, ordinary=20)
    for _ in range(3):
        make_user("inspector")
    body = draw(client, auth("planner"), seed=3, rates={"key": 0.5}, unit_classes=["key"]).json()
    assert body["counts"]["key"]["drawn"] == 4 and body["counts"]["ordinary"]["drawn"] == 0
    bad = draw(client, auth("planner"), seed=3, rates={"key": 1.5})
    assert bad.status_code == 422 and "rates.key" in str(bad.json()["detail"])


def test_inspectors_with_a_declared_conflict_are_never_drawn(db, client, auth, make_user):
    units = add_units(db, key=4, ordinary=6)
    inspectors = [make_user("inspector") for _ in range(4)]
    chief = auth("chief")
    conflicted = {(inspectors[0].id, units[0].id), (inspectors[1].id, units[0].id), (inspectors[0].id, units[1].id)}
    for user_id, source_id in conflicted:
        r = client.post("/api/v1/patrols/conflicts", json={"user_id": user_id, "source_id": source_id,
                                                            "reason": "relative works there"}, headers=chief)
        assert r.status_code == 201, r.text
    planner = auth("planner")
    seen_units = set()
    for seed in range(12):
        body = draw(client, planner, seed=seed, rates={"key": 1.0, "ordinary": 0.5}).json()
        for target in body["targets"]:
            seen_units.add(target["source_id"])
            for inspector_id in target["inspector_ids"]:
                assert (inspector_id, target["source_id"]) not in conflicted
    assert {units[0].id, units[1].id} <= seen_units


def test_inspector_declares_own_conflict_but_not_someone_elses(db, client, auth, make_user):
    source = add_source(db)
    me, other = make_user("inspector"), make_user("inspector")
    mine = client.post("/api/v1/patrols/conflicts", json={"user_id": me.id, "source_id": source.id},
                       headers=auth(me))
    assert mine.status_code == 201
    assert mine.json()["declared_at"].endswith("+08:00")  # every API time is Beijing time
    theirs = client.post("/api/v1/patrols/conflicts", json={"user_id": other.id, "source_id": source.id},
                         headers=auth(me))
    assert theirs.status_code == 403


def test_fewer_than_two_eligible_inspectors_is_a_clear_error_naming_the_unit(db, client, auth, make_user):
    add_units(db, ordinary=3)
    stuck = add_source(db, unit_class="key", name="Qingdao Dye Works")
    a, _b = make_user("inspector"), make_user("inspector")
    client.post("/api/v1/patrols/conflicts", json={"user_id": a.id, "source_id": stuck.id}, headers=auth("chief"))
    r = draw(client, auth("planner"), seed=1)
    assert r.status_code == 409
    detail = r.json()["detail"][0]
    assert detail["loc"] == ["body", "inspectors"]
    assert str(stuck.id) in detail["msg"] and "Qingdao Dye Works" in detail["msg"]


def test_unqualified_or_inactive_inspectors_are_not_in_the_pool(db, client, auth, make_user):
    add_units(db, key=2)
    make_user("inspector")
    make_user("inspector").qualified = False
    make_user("inspector").active = False
    db.flush()
    r = draw(client, auth("planner"), seed=1)
    assert r.status_code == 409


def test_role_checks_on_draw_and_approval(db, client, auth, make_user):
    add_units(db, key=2)
    for _ in range(2):
        make_user("inspector")
    assert draw(client, {}, seed=1).status_code == 401
    assert draw(client, auth("inspector"), seed=1).status_code == 403
    drawn = draw(client, auth("planner"), seed=1)
    assert drawn.status_code == 201
    draw_id = drawn.json()["id"]
    assert client.post(f"/api/v1/patrols/draws/{draw_id}/approve", headers=auth("planner")).status_code == 403
    chief = make_user("chief")
    approved = client.post(f"/api/v1/patrols/draws/{draw_id}/approve", headers=auth(chief))
    assert approved.status_code == 200
    assert approved.json()["status"] == "approved" and approved.json()["approved_by_id"] == chief.id
    again = client.post(f"/api/v1/patrols/draws/{draw_id}/approve", headers=auth(chief))
    assert again.status_code == 409
    assert draw(client, auth("admin"), seed=1).status_code == 201


def test_publication_only_for_approved_draws_and_without_complainant_data(db, client, auth, make_user):
    units = add_units(db, key=2)
    inspectors = [make_user("inspector") for _ in range(2)]
    lon, lat = db.execute(select(Source.geom.ST_X(), Source.geom.ST_Y()).where(Source.id == units[0].id)).one()
    add_complaint(db, lon=lon, lat=lat, name="张三丰", phone="13912345678")
    drawn = draw(client, auth("planner"), seed=9, rates={"key": 1.0}).json()
    url = f"/api/v1/patrols/draws/{drawn['id']}/publication"
    assert client.get(url).status_code == 409
    assert client.get("/api/v1/patrols/draws/987654/publication").status_code == 404
    client.post(f"/api/v1/patrols/draws/{drawn['id']}/approve", headers=auth("chief"))
    target = drawn["targets"][0]
    add_inspection(db, inspector_id=target["inspector_ids"][0], source_id=target["source_id"],
                   at=datetime.now(UTC) + timedelta(minutes=5), conclusion="violation")
    published = client.get(url)
    assert published.status_code == 200
    body = published.json()
    text = published.text
    assert "张三丰" not in text and "13912345678" not in text and "刺鼻" not in text
    assert body["total"] == len(drawn["targets"]) and body["complete"] is False
    done = [i for i in body["items"] if i["status"] == "done"]
    assert len(done) == 1 and done[0]["conclusion"] == "violation" and done[0]["checked_on"]
    assert {u.full_name for u in inspectors} >= set(done[0]["inspectors"])
    assert set(done[0]) == {"unit_name", "credit_code", "unit_class", "inspectors", "status", "checked_on",
                            "conclusion", "publish_by"}
    assert body["drawn_at"].endswith("+08:00") and body["approved_at"].endswith("+08:00")


def test_weighted_draw_stores_risk_weights_and_replays(db, client, auth, make_user):
    units = add_units(db, ordinary=10)
    for _ in range(2):
        make_user("inspector")
    lon, lat = db.execute(select(Source.geom.ST_X(), Source.geom.ST_Y()).where(Source.id == units[3].id)).one()
    for k in range(5):
        add_complaint(db, lon=lon, lat=lat, days_ago=k)
    planner = auth("planner")
    body = draw(client, planner, seed=2, weighted_by_risk=True).json()
    verify = client.get(f"/api/v1/patrols/draws/{body['id']}/verify", headers=planner).json()
    assert verify["match"] is True


# --- risk ranking -----------------------------------------------------------------------------

def test_risk_ranking_puts_complained_about_key_discharger_first_with_parts(db, client, auth, make_user):
    quiet = add_source(db, lon=120.30, lat=36.00)
    busy = add_source(db, unit_class="key", lon=120.45, lat=36.10)
    inspector = make_user("inspector")
    add_inspection(db, inspector_id=inspector.id, source_id=quiet.id, at=datetime.now(UTC) - timedelta(days=2))
    inspected = add_inspection(db, inspector_id=inspector.id, source_id=busy.id,
                               at=datetime.now(UTC) - timedelta(days=200))
    db.add(Reading(inspection_id=inspected.id, parameter="h2s", value=1.0, unit="mg/m3",
                   measured_at=datetime.now(UTC) - timedelta(days=200), exceeded=True))
    case = Case(kind="complaint", category="odour", channel="hotline_12345", status="registered",
                opened_at=datetime.now(UTC), last_complaint_at=datetime.now(UTC), repeat_count=2,
                geom="SRID=4326;POINT(120.4505 36.1003)")
    db.add(case)
    db.flush()
    for k in range(4):
        add_complaint(db, lon=120.4505, lat=36.1003 + k * 0.0001, days_ago=k, case=case)
    far = add_complaint(db, lon=120.60, lat=36.30)
    assert far.id
    # Hotspot cells cover the jurisdiction: the zones.
    db.add(Zone(code="JUR", name="Jurisdiction", level="district",
                geom="SRID=4326;MULTIPOLYGON(((120.25 35.95,120.65 35.95,120.65 36.35,120.25 36.35,120.25 35.95)))"))
    db.flush()
    r = client.get("/api/v1/patrols/targets", headers=auth("planner"))
    assert r.status_code == 200, r.text
    body = r.json()
    ranked = {i["source_id"]: i for i in body["items"]}
    assert body["items"][0]["source_id"] == busy.id
    top = ranked[busy.id]
    assert top["factors"]["complaints"] > 3 and top["factors"]["unresolved_cases"] == 1
    assert top["factors"]["repeat_cases"] == 1 and top["factors"]["exceedances"] == 1
    assert top["factors"]["key_discharger"] == 1.0 and 199 < top["factors"]["days_since_inspection"] < 201
    assert abs(sum(top["parts"].values()) - top["score"]) < 1e-4
    assert ranked[quiet.id]["factors"]["complaints"] == 0
    cells = body["cells"]
    assert cells and cells[0]["complaints"] >= 4 and cells[0]["geometry"]["type"] == "Polygon"
    assert client.get("/api/v1/patrols/targets", headers=auth("inspector")).status_code == 403
    assert client.get("/api/v1/patrols/targets?zone=nowhere", headers=auth("planner")).status_code == 422


# --- routes -----------------------------------------------------------------------------------

@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_route_is_within_ten_percent_of_brute_force_optimum(db, client, auth, seed):
    rng = random.Random(seed)
    sources = [add_source(db, lon=OFFICE[0] + rng.uniform(-0.08, 0.08), lat=OFFICE[1] + rng.uniform(-0.06, 0.06))
               for _ in range(7)]
    r = client.post("/api/v1/patrols/routes", json={"date": "2026-03-02", "source_ids": [s.id for s in sources]},
                    headers=auth("planner"))
    assert r.status_code == 201, r.text
    route = r.json()
    points = {s["source_id"]: tuple(s["geometry"]["coordinates"]) for s in route["stops"]}
    best = brute_force_route(office=OFFICE, stops=[points[s.id] for s in sources])
    assert route["total_m"] <= best.total_m * 1.10 + 1
    assert route["path"]["coordinates"][0] == list(OFFICE) == route["path"]["coordinates"][-1]
    assert [s["seq"] for s in route["stops"]] == list(range(1, 8))


def test_route_stops_are_done_by_link_or_by_matching_inspection(db, client, auth, make_user):
    a, b, c = (add_source(db, lon=120.39 + k * 0.01, lat=36.07) for k in range(3))
    inspector, other = make_user("inspector"), make_user("inspector")
    planner = auth("planner")
    route = client.post("/api/v1/patrols/routes", json={"date": "2026-03-02", "source_ids": [a.id, b.id, c.id],
                                                        "inspector_ids": [inspector.id]}, headers=planner).json()
    stops = {s["source_id"]: s for s in route["stops"]}
    on_day = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
    add_inspection(db, inspector_id=inspector.id, source_id=a.id, at=on_day)            # matched
    add_inspection(db, inspector_id=other.id, source_id=b.id, at=on_day)                # not on the team
    add_inspection(db, inspector_id=inspector.id, source_id=c.id, at=on_day + timedelta(days=3))  # other day
    linked = add_inspection(db, inspector_id=inspector.id, source_id=b.id, at=on_day + timedelta(days=1))
    read = client.get(f"/api/v1/patrols/routes/{route['id']}", headers=auth(inspector)).json()
    state = {s["source_id"]: (s["done"], s["done_by"]) for s in read["stops"]}
    assert state == {a.id: (True, "matched"), b.id: (False, None), c.id: (False, None)}
    r = client.post(f"/api/v1/patrols/routes/{route['id']}/stops/{stops[b.id]['target_id']}/done",
                    json={"inspection_id": linked.id}, headers=auth(inspector))
    assert r.status_code == 200, r.text
    state = {s["source_id"]: (s["done"], s["done_by"]) for s in r.json()["stops"]}
    assert state[b.id] == (True, "linked") and r.json()["done"] == 2
    wrong = client.post(f"/api/v1/patrols/routes/{route['id']}/stops/{stops[c.id]['target_id']}/done",
                        json={"inspection_id": linked.id}, headers=auth(inspector))
    assert wrong.status_code == 422


def test_route_from_a_draw_and_bad_inputs(db, client, auth, make_user):
    add_units(db, key=4)
    for _ in range(2):
        make_user("inspector")
    planner = auth("planner")
    drawn = draw(client, planner, seed=4).json()
    r = client.post("/api/v1/patrols/routes", json={"date": "2026-03-03", "draw_id": drawn["id"]}, headers=planner)
    assert r.status_code == 201
    assert {s["source_id"] for s in r.json()["stops"]} == {t["source_id"] for t in drawn["targets"]}
    assert all(len(s["inspector_ids"]) == 2 for s in r.json()["stops"])
    missing = client.post("/api/v1/patrols/routes", json={"date": "2026-03-03", "source_ids": [987654]},
                          headers=planner)
    assert missing.status_code == 422 and missing.json()["detail"][0]["loc"] == ["body", "source_ids"]
    assert client.post("/api/v1/patrols/routes", json={"date": "2026-03-03"}, headers=planner).status_code == 422
    assert client.post("/api/v1/patrols/routes", json={"date": "2026-03-03", "source_ids": [1]},
                       headers=auth("inspector")).status_code == 403


def test_route_exports_open_as_csv_and_xlsx(db, client, auth):
    sources = [add_source(db, lon=120.39 + k * 0.01, lat=36.07, name=f"厂{k}") for k in range(3)]
    planner = auth("planner")
    route = client.post("/api/v1/patrols/routes", json={"date": "2026-03-02", "source_ids": [s.id for s in sources]},
                        headers=planner).json()
    xlsx = client.get(f"/api/v1/patrols/routes/{route['id']}.xlsx", headers=planner)
    assert xlsx.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[1][:3] == ("seq", "name", "credit_code")
    assert [r[1] for r in rows[2:5]] == [s["name"] for s in route["stops"]]
    assert rows[-1][0] == "return" and abs(rows[-1][7] - route["total_m"]) < 0.5
    csv_text = client.get(f"/api/v1/patrols/routes/{route['id']}.csv", headers=planner).text
    assert csv_text.lstrip("\ufeff").splitlines()[0].startswith("seq,name,credit_code")
    assert "厂0" in csv_text
    assert client.get(f"/api/v1/patrols/routes/{route['id']}.csv").status_code == 401


def test_route_dates_are_days_not_timestamps(db, client, auth):
    source = add_source(db)
    r = client.post("/api/v1/patrols/routes", json={"date": "not-a-day", "source_ids": [source.id]},
                    headers=auth("planner"))
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "date"]
    assert date(2026, 3, 2)
