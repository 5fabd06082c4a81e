"""Open311 GeoReport v2, every endpoint in JSON and XML, checked against the spec's own examples.

The spec's examples (wiki.open311.org/GeoReport_v2) give the element names and their order; the
XML answer must hold exactly the data of the JSON one (the Spark convention).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any
from urllib.parse import quote

import pytest
from sqlalchemy import func, select

from ecogrid.accounts import service as user_service
from ecogrid.cases import service as casework
from ecogrid.core.models import Complaint, Open311Detail
from ecogrid.zones import service as zone_service
from tests.zones.test_service import seed_zones

FORMATS = ("json", "xml")
LISTS = {"services": "service", "service_requests": "request", "attributes": "attribute", "values": "value",
         "errors": "error", "endpoints": "endpoint", "formats": "format"}
# The element order of the spec's example answers.
SPEC_SERVICE = ["service_code", "service_name", "description", "metadata", "type", "keywords", "group"]
SPEC_ATTRIBUTE = ["variable", "code", "datatype", "required", "datatype_description", "order", "description",
                  "values"]
SPEC_CREATED = ["service_request_id", "service_notice", "account_id"]
SPEC_REQUEST = ["service_request_id", "status", "status_notes", "service_name", "service_code", "description",
                "agency_responsible", "service_notice", "requested_datetime", "updated_datetime", "expected_datetime",
                "address", "address_id", "zipcode", "lat", "long", "media_url"]
# The spec's example POST body, with this bureau's service, a place in its zones and its attributes.
SPEC_POST = ("api_key={key}&jurisdiction_id=city.gov&service_code=odour&lat=36.002&long=120.002"
             "&address_string=1234+5th+street&email=smit333%40sfgov.edu&device_id=tt222111&account_id=123456"
             "&first_name=john&last_name=smith&phone=111111111&description=A+large+sinkhole+is+destroying+the+street"
             "&media_url=http%3A%2F%2Ffarm3.static.flickr.com%2F2002%2F2212426634_5ed477a060.jpg"
             "&attribute[odour_intensity]=4&attribute[time_of_day][]=night&attribute[time_of_day][]=evening")
FORM = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}


def as_data(element: ET.Element) -> Any:
    """An XML answer read back the Spark way: lists by their known names, every leaf as its text."""
    if element.tag in LISTS:
        return [as_data(child) for child in element]
    if len(element):
        return {child.tag: as_data(child) for child in element}
    return element.text


def as_text(value: Any) -> Any:
    """JSON data as the XML carries it: booleans true/false, numbers as text, null as an empty element."""
    if isinstance(value, dict):
        return {k: as_text(v) for k, v in value.items()}
    if isinstance(value, list):
        return [as_text(v) for v in value]
    if isinstance(value, bool):
        return "true" if value else "false"
    return None if value is None else str(value)


def xml_of(response) -> ET.Element:
    assert response.headers["content-type"] == "text/xml; charset=utf-8"
    assert response.content.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
    return ET.fromstring(response.content)


def both(client, method: str, path: str, **kwargs) -> tuple[Any, Any, int]:
    """The JSON answer, the XML answer read back as text data, and the (shared) status."""
    as_json = client.request(method, f"{path}.json", **kwargs)
    as_xml = client.request(method, f"{path}.xml", **kwargs)
    assert as_json.status_code == as_xml.status_code, (as_json.text, as_xml.text)
    return as_json.json(), as_data(xml_of(as_xml)), as_json.status_code


def errors_of(response, fmt: str) -> list[dict[str, Any]]:
    if fmt == "json":
        assert response.headers["content-type"].startswith("application/json")
        return response.json()
    root = xml_of(response)
    assert root.tag == "errors" and all(e.tag == "error" for e in root)
    return [{"code": int(e.findtext("code")), "description": e.findtext("description")} for e in root]


@pytest.fixture
def key(db) -> str:
    seed_zones(db)
    zone_service.update_zone(db, code="A1", changes={"responsible_unit": "甲区生态环境分局"})
    return user_service.create_api_key(db, name="311-client")[1]


def post(client, fmt: str, body: str, headers: dict[str, str] | None = None, **kwargs):
    return client.post(f"/open311/v2/requests.{fmt}", content=body.encode("utf-8"), headers={**FORM, **(headers or {})},
                       **kwargs)


def test_discovery_names_the_endpoint_its_formats_and_the_spec(client):
    as_json, as_xml, status = both(client, "GET", "/open311/discovery")
    assert status == 200 and as_xml == as_text(as_json)
    [endpoint] = as_json["endpoints"]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"].endswith("/open311/v2") and endpoint["type"] == "production"
    assert endpoint["formats"] == ["text/xml", "application/json"]
    assert as_json["contact"] and "api_key" in as_json["key_service"] and as_json["changeset"].endswith("+08:00")


def test_services_are_the_categories_odour_and_noise_with_metadata(client):
    as_json, as_xml, status = both(client, "GET", "/open311/v2/services", params={"jurisdiction_id": "city.gov"})
    assert status == 200 and as_xml == as_text(as_json)
    by_code = {s["service_code"]: s for s in as_json}
    assert list(by_code["odour"]) == SPEC_SERVICE
    assert by_code["odour"]["service_name"] == "异味/恶臭" and by_code["odour"]["type"] == "realtime"
    assert {c for c, s in by_code.items() if s["metadata"]} == {
        "odour", "noise_industrial", "noise_construction", "noise_social", "noise_traffic"}
    assert by_code["noise_social"]["group"] == "噪声" and by_code["wastewater"]["metadata"] is False


def test_service_definitions_have_the_spec_shape_and_an_unknown_code_is_a_404(client):
    as_json, as_xml, status = both(client, "GET", "/open311/v2/services/odour")
    assert status == 200 and as_xml == as_text(as_json)
    assert as_json["service_code"] == "odour"
    intensity, when = as_json["attributes"]
    assert list(intensity) == SPEC_ATTRIBUTE and intensity["code"] == "odour_intensity"
    assert intensity["datatype"] == "singlevaluelist" and [v["key"] for v in intensity["values"]] == list("12345")
    assert when["datatype"] == "multivaluelist" and when["order"] == 2
    noise = client.get("/open311/v2/services/noise_construction.json").json()
    assert [a["code"] for a in noise["attributes"]] == ["noise_source", "noise_period", "noise_hours"]
    assert "piling_breaking" in [v["key"] for v in noise["attributes"][0]["values"]]
    assert client.get("/open311/v2/services/wastewater.json").json() == {"service_code": "wastewater",
                                                                         "attributes": []}
    for fmt in FORMATS:  # the spec's sample URL, for a code this bureau does not have
        missing = client.get(f"/open311/v2/services/033.{fmt}", params={"jurisdiction_id": "city.gov"})
        assert missing.status_code == 404
        assert errors_of(missing, fmt) == [{"code": 404, "description": "service_code 033 not found"}]


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_spec_example_request_is_stored_whole_and_read_back_without_personal_data(db, client, key, fmt):
    created = post(client, fmt, SPEC_POST.format(key=key))
    assert created.status_code == 201, created.text
    if fmt == "json":
        [answer] = created.json()
        assert list(answer) == SPEC_CREATED
    else:
        root = xml_of(created)
        assert root.tag == "service_requests" and [e.tag for e in root[0]] == SPEC_CREATED
        answer = {e.tag: e.text for e in root[0]}
    assert answer["service_notice"] == "已登记，待受理" and answer["account_id"] == "123456"
    rid = answer["service_request_id"]

    as_json, as_xml, status = both(client, "GET", f"/open311/v2/requests/{rid}",
                                   params={"jurisdiction_id": "city.gov"})
    assert status == 200 and as_xml == as_text(as_json)
    [request] = as_json
    assert list(request) == SPEC_REQUEST
    assert request["status"] == "open" and request["status_notes"] == "已登记"
    assert request["service_notice"] == "已登记，待受理" and request["agency_responsible"] == "甲区生态环境分局"
    assert request["description"] == "A large sinkhole is destroying the street"
    assert request["address"] == "1234 5th street" and abs(request["lat"] - 36.002) < 1e-9
    assert request["media_url"] == "http://farm3.static.flickr.com/2002/2212426634_5ed477a060.jpg"
    assert request["requested_datetime"].endswith("+08:00") and request["expected_datetime"]
    listing = client.get(f"/open311/v2/requests.{fmt}", params={"service_code": "odour"}).text
    for body in (listing, str(as_json), str(as_xml)):
        for personal in ("john", "smith", "111111111", "smit333", "tt222111", "123456"):
            assert personal not in body

    complaint = db.get(Complaint, int(rid))
    assert (complaint.complainant_name, complaint.complainant_phone) == ("john smith", "111111111")
    assert complaint.complainant_email == "smit333@sfgov.edu" and complaint.channel == "open311"
    detail = db.get(Open311Detail, int(rid))
    assert (detail.device_id, detail.account_id, detail.address_id) == ("tt222111", "123456", None)
    assert detail.attributes == {"odour_intensity": "4", "time_of_day": ["evening", "night"]}


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_spec_example_attributes_are_refused_by_a_service_that_does_not_define_them(db, client, key, fmt):
    before = db.scalar(select(func.count()).select_from(Complaint))
    body = SPEC_POST.format(key=key).split("&attribute")[0] + "&attribute[WHISPAWN]=123456&attribute[WHISDORN]=COISL001"
    refused = post(client, fmt, body)
    assert refused.status_code == 400
    assert errors_of(refused, fmt) == [{"code": 400,
                                        "description": "attribute[WHISPAWN] is not an attribute of service odour"}]
    assert db.scalar(select(func.count()).select_from(Complaint)) == before


@pytest.mark.parametrize(("attributes", "problem"), [
    ("attribute[odour_intensity]=9", "attribute[odour_intensity]: unknown value '9'; expected one of 1, 2, 3, 4, 5"),
    ("attribute[odour_intensity][]=2&attribute[odour_intensity][]=3", "attribute[odour_intensity] takes one value"),
    ("attribute[time_of_day][]=night&attribute[time_of_day][]=noon",
     "attribute[time_of_day]: unknown value 'noon'; expected any of early_morning, daytime, evening, night"),
])
def test_attribute_answers_are_checked_against_the_definition(client, key, attributes, problem):
    refused = post(client, "json", f"api_key={key}&service_code=odour&lat=36.002&long=120.002&{attributes}")
    assert refused.status_code == 400 and refused.json() == [{"code": 400, "description": problem}]


def test_noise_attributes_are_stored_with_the_complaint(db, client, key):
    body = (f"api_key={key}&service_code=noise_construction&lat=36.002&long=120.002&description=夜间施工"
            "&attribute[noise_source]=piling_breaking&attribute[noise_period][]=night"
            f"&attribute[noise_hours]={quote('每晚 23:00-02:00')}")
    created = post(client, "json", body)
    assert created.status_code == 201, created.text
    detail = db.get(Open311Detail, int(created.json()[0]["service_request_id"]))
    assert detail.attributes == {"noise_source": "piling_breaking", "noise_period": ["night"],
                                 "noise_hours": "每晚 23:00-02:00"}
    two_lines = post(client, "json", body.replace(quote("每晚 23:00-02:00"), "a%0Ab"))
    assert two_lines.status_code == 400 and "noise_hours" in two_lines.json()[0]["description"]


def test_description_is_optional_and_at_most_4000_characters(db, client, key):
    created = post(client, "json", f"api_key={key}&service_code=dust&lat=36.002&long=120.002&description=")
    assert created.status_code == 201, created.text
    rid = created.json()[0]["service_request_id"]
    assert client.get(f"/open311/v2/requests/{rid}.json").json()[0]["description"] is None
    assert db.get(Complaint, int(rid)).description == ""
    long_one = post(client, "json", f"api_key={key}&service_code=dust&lat=36.002&long=120.002&description={'x' * 4001}")
    assert long_one.status_code == 400
    assert long_one.json() == [{"code": 400, "description": "description is longer than 4000 characters"}]
    assert post(client, "json", f"api_key={key}&service_code=dust&lat=36.002&long=120.002&description={'x' * 4000}"
                ).status_code == 201


def test_an_address_id_alone_is_a_location(client, key):
    created = post(client, "xml", f"api_key={key}&service_code=smoke&address_id=545483&description=黑烟")
    assert created.status_code == 201, created.text
    rid = xml_of(created).findtext("request/service_request_id")
    [request] = client.get(f"/open311/v2/requests/{rid}.json").json()
    assert request["address_id"] == "545483" and request["address"] == "地址编码 545483"
    assert request["lat"] is None and request["long"] is None
    nowhere = post(client, "xml", f"api_key={key}&service_code=smoke&description=黑烟")
    assert nowhere.status_code == 400
    assert errors_of(nowhere, "xml")[0]["description"] == (
        "a location is required: lat and long, address_string or address_id")


@pytest.mark.parametrize("fmt", FORMATS)
def test_api_key_in_the_query_string_is_read_and_a_bad_one_is_a_403(client, key, fmt):
    body = "service_code=odour&lat=36.002&long=120.002&description=臭"
    assert post(client, fmt, body, params={"api_key": key}).status_code == 201
    for params in ({"api_key": "egk_wrong"}, {}):
        refused = post(client, fmt, body, params=params)
        assert refused.status_code == 403
        [error] = errors_of(refused, fmt)
        assert error["code"] == 403 and "api" in error["description"].lower()


def test_a_raw_utf8_form_body_is_stored_as_written(db, client, key):
    body = (f"api_key={key}&service_code=noise_social&lat=36.002&long=120.002&description=广场舞 音响太吵"
            "&address_string=人民路1号")
    created = client.post("/open311/v2/requests.json", content=body.encode("utf-8"), headers=FORM)
    assert created.status_code == 201, created.text
    complaint = db.get(Complaint, int(created.json()[0]["service_request_id"]))
    assert (complaint.description, complaint.address) == ("广场舞 音响太吵", "人民路1号")
    declared_gbk = client.post("/open311/v2/requests.json", content=body.encode("gbk"),
                               headers={"Content-Type": "application/x-www-form-urlencoded; charset=GBK"})
    assert declared_gbk.status_code == 201, declared_gbk.text
    assert db.get(Complaint, int(declared_gbk.json()[0]["service_request_id"])).description == "广场舞 音响太吵"
    broken = client.post("/open311/v2/requests.xml", content=body.encode("utf-8")[:-3] + b"\xff\xfe", headers=FORM)
    assert broken.status_code == 400
    assert errors_of(broken, "xml") == [{"code": 400, "description": "address_string is not valid utf-8 text"}]


def test_user_text_is_escaped_in_xml(client, key):
    text = "<script>alert('x')</script> & \"quoted\" ]]>"
    created = post(client, "json",
                   f"api_key={key}&service_code=odour&lat=36.002&long=120.002&description={quote(text)}")
    rid = created.json()[0]["service_request_id"]
    root = xml_of(client.get(f"/open311/v2/requests/{rid}.xml"))
    assert root.findtext("request/description") == text and root.find("request/description/script") is None


def test_status_takes_a_comma_list_and_service_code_several_codes(db, client, key, make_user):
    ids = {}
    for code, lat in (("odour", "36.002"), ("dust", "36.003"), ("soil", "36.004")):
        r = post(client, "json", f"api_key={key}&service_code={code}&lat={lat}&long=120.002&description=x")
        ids[code] = r.json()[0]["service_request_id"]
    clerk = make_user("clerk")
    actor = casework.Actor(user_id=clerk.id, name=clerk.username, role="clerk")
    casework.act(db, case_id=db.get(Complaint, int(ids["dust"])).case_id, action="reject",
                 payload={"reason": "not_environmental"}, actor=actor)

    def found(**params: str) -> dict[str, str]:
        as_json, as_xml, status = both(client, "GET", "/open311/v2/requests", params=params)
        assert status == 200 and as_xml == as_text(as_json)
        return {r["service_code"]: r["status"] for r in as_json}

    assert found(status="open,closed") == {"odour": "open", "dust": "closed", "soil": "open"}
    assert found(status="closed") == {"dust": "closed"}
    assert found(status="open", service_code="odour,soil") == {"odour": "open", "soil": "open"}
    assert found(service_request_id=f"{ids['odour']},{ids['dust']}", status="closed") == {
        "odour": "open", "dust": "closed"}  # service_request_id overrides every other argument
    [rejected] = client.get(f"/open311/v2/requests/{ids['dust']}.json").json()
    assert rejected["service_notice"] == "不予受理" and rejected["expected_datetime"] is None
    for fmt in FORMATS:
        bad = client.get(f"/open311/v2/requests.{fmt}", params={"status": "open,pending"})
        assert bad.status_code == 400 and "status" in errors_of(bad, fmt)[0]["description"]


def test_a_span_over_90_days_is_a_400_and_the_spec_example_window_answers_empty(client):
    for fmt in FORMATS:
        too_long = client.get(f"/open311/v2/requests.{fmt}",
                              params={"start_date": "2026-01-01T00:00:00Z", "end_date": "2026-04-02T00:00:00Z"})
        assert too_long.status_code == 400
        assert errors_of(too_long, fmt) == [
            {"code": 400, "description": "start_date and end_date may not span more than 90 days"}]
    # The spec's sample URL: a month in 2010, open requests only.
    sample = {"start_date": "2010-05-24T00:00:00Z", "end_date": "2010-06-24T00:00:00Z", "status": "open",
              "jurisdiction_id": "city.gov"}
    assert client.get("/open311/v2/requests.json", params=sample).json() == []
    empty = xml_of(client.get("/open311/v2/requests.xml", params=sample))
    assert empty.tag == "service_requests" and len(empty) == 0
    exactly_90 = {"start_date": "2026-01-01T00:00:00+08:00", "end_date": "2026-04-01T00:00:00+08:00"}
    assert client.get("/open311/v2/requests.json", params=exactly_90).status_code == 200


def test_a_start_date_alone_opens_a_90_day_window(client, key):
    rid = post(client, "json", f"api_key={key}&service_code=odour&lat=36.002&long=120.002").json()[0][
        "service_request_id"]
    ids = [r["service_request_id"] for r in client.get(
        "/open311/v2/requests.json", params={"start_date": "2020-01-01T00:00:00Z"}).json()]
    assert rid not in ids  # 2020-01-01 + 90 days ends long before today
    recent = client.get("/open311/v2/requests.json", params={"end_date": "2100-01-01T00:00:00Z"}).json()
    assert rid not in [r["service_request_id"] for r in recent]


def test_service_notice_says_what_is_true_as_the_case_moves(db, client, key, make_user):
    first = post(client, "json", f"api_key={key}&service_code=odour&lat=36.002&long=120.002&description=臭")
    [answer] = first.json()
    assert answer["service_notice"] == "已登记，待受理"
    clerk = make_user("clerk")
    actor = casework.Actor(user_id=clerk.id, name=clerk.username, role="clerk")
    casework.act(db, case_id=db.get(Complaint, int(answer["service_request_id"])).case_id, action="accept",
                 payload=None, actor=actor)
    [request] = client.get(f"/open311/v2/requests/{answer['service_request_id']}.json").json()
    assert (request["status_notes"], request["service_notice"]) == ("已受理", "已受理，待派单")
    repeat = post(client, "json", f"api_key={key}&service_code=odour&lat=36.0021&long=120.0021&description=又臭")
    assert repeat.json()[0]["service_notice"] == "重复件，已并入同一问题（已受理，待派单）"


@pytest.mark.parametrize("fmt", FORMATS)
def test_requests_and_tokens_that_do_not_exist_are_404s(client, fmt):
    for path, description in ((f"/open311/v2/requests/123456.{fmt}", "request 123456 not found"),
                              (f"/open311/v2/requests/abc.{fmt}", "request abc not found")):
        missing = client.get(path, params={"jurisdiction_id": "city.gov"})
        assert missing.status_code == 404 and errors_of(missing, fmt) == [{"code": 404, "description": description}]
    token = client.get(f"/open311/v2/tokens/123456.{fmt}", params={"jurisdiction_id": "city.gov"})
    assert token.status_code == 404
    [error] = errors_of(token, fmt)
    assert error["code"] == 404 and error["description"].startswith("token 123456 not found")


@pytest.mark.parametrize("fmt", FORMATS)
def test_route_level_404_and_405_use_the_open311_error_format(client, fmt):
    unknown = client.get(f"/open311/v2/nothing.{fmt}")
    assert unknown.status_code == 404
    assert errors_of(unknown, fmt) == [{"code": 404, "description": f"/open311/v2/nothing.{fmt} is not an Open311 "
                                                                   "resource"}]
    wrong_method = client.delete(f"/open311/v2/requests.{fmt}")
    assert wrong_method.status_code == 405 and wrong_method.headers["allow"] == "GET, POST"
    assert errors_of(wrong_method, fmt)[0]["code"] == 405
    assert errors_of(client.get("/open311/v2/services.csv"), "json")[0]["code"] == 404


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_a_request_resent_with_its_idempotency_key_is_stored_once(db, client, key, fmt):
    body = f"api_key={key}&service_code=odour&lat=36.002&long=120.002&description=夜里刺鼻气味"
    first = post(client, fmt, body, headers={"Idempotency-Key": f"phone-7-{fmt}-0001"})
    again = post(client, fmt, body, headers={"Idempotency-Key": f"phone-7-{fmt}-0001"})
    assert first.status_code == again.status_code == 201, again.text
    assert again.content == first.content
    assert db.scalar(select(func.count()).select_from(Complaint).where(Complaint.description == "夜里刺鼻气味")) == 1
    # Without a key, or with another one, a second request is a second complaint, as the spec has it.
    other = post(client, fmt, body, headers={"Idempotency-Key": f"phone-7-{fmt}-0002"})
    assert other.status_code == 201 and other.content != first.content
    bad = post(client, fmt, body, headers={"Idempotency-Key": "x"})
    assert bad.status_code == 400 and "Idempotency-Key" in errors_of(bad, fmt)[0]["description"]


def test_two_clients_choosing_the_same_idempotency_key_do_not_meet(db, client, key):
    other_key = user_service.create_api_key(db, name="311-other-client")[1]
    sent = [post(client, "json", f"api_key={k}&service_code=dust&lat=36.002&long=120.002&description=工地扬尘",
                 headers={"Idempotency-Key": "same-key-2026"}) for k in (key, other_key)]
    assert [r.status_code for r in sent] == [201, 201]
    assert sent[0].json()[0]["service_request_id"] != sent[1].json()[0]["service_request_id"]
