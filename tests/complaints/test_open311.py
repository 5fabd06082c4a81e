from __future__ import annotations

from ecogrid.accounts import service as user_service
from ecogrid.zones import service as zone_service
from tests.zones.test_service import seed_zones


def test_services_list_the_categories(client):
    services = client.get("/open311/v2/services.json").json()
    odour = next(s for s in services if s["service_code"] == "odour")
    assert odour["service_name"] == "异味/恶臭" and odour["metadata"] is False and odour["type"] == "realtime"
    assert client.get("/open311/v2/services/odour.json").status_code == 200
    missing = client.get("/open311/v2/services/nope.json")
    assert missing.status_code == 404 and missing.json()[0]["code"] == 404


def test_round_trip_with_api_key_and_no_personal_data(db, client):
    seed_zones(db)
    zone_service.update_zone(db, code="A1", changes={"responsible_unit": "甲区生态环境分局"})
    _, key = user_service.create_api_key(db, name="311-client")
    form = {"api_key": key, "service_code": "noise_social", "lat": "36.002", "long": "120.002",
            "description": "广场舞噪声", "first_name": "张", "last_name": "三", "phone": "13700001234",
            "email": "zs@example.com", "address_id": "ignored"}
    r = client.post("/open311/v2/requests.json", data=form)
    assert r.status_code == 201, r.text
    [created] = r.json()
    assert created["account_id"] is None and created["service_request_id"]
    rid = created["service_request_id"]
    [one] = client.get(f"/open311/v2/requests/{rid}.json").json()
    assert one["status"] == "open" and one["service_code"] == "noise_social"
    assert one["agency_responsible"] == "甲区生态环境分局" and abs(one["lat"] - 36.002) < 1e-9
    listing = client.get("/open311/v2/requests.json", params={"service_code": "noise_social"}).text
    for body in (r.text, listing, client.get(f"/open311/v2/requests/{rid}.json").text):
        assert "13700001234" not in body and "张" not in body and "zs@example.com" not in body
    assert client.get("/open311/v2/requests.json", params={"status": "closed"}).json() == []


def test_bad_key_missing_location_and_unknown_request_use_the_spec_error_shape(db, client):
    seed_zones(db)
    bad = client.post("/open311/v2/requests.json", data={"api_key": "nope", "service_code": "odour",
                                                         "lat": "36", "long": "120", "description": "x"})
    assert bad.status_code == 403 and bad.json()[0]["code"] == 403
    _, key = user_service.create_api_key(db, name="311-b")
    nowhere = client.post("/open311/v2/requests.json", data={"api_key": key, "service_code": "odour",
                                                             "description": "x"})
    assert nowhere.status_code == 400 and "long" in nowhere.json()[0]["description"]
    assert client.get("/open311/v2/requests/999999.json").status_code == 404
