"""The OpenAPI document is the contract integrators code against: valid, every answer and body typed,
errors and security documented, operation ids stable, times written one way, zones filtered by code."""

from __future__ import annotations

import re
import types
import typing
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from fastapi import FastAPI, UploadFile
from fastapi.routing import APIRoute
from openapi_spec_validator import validate
from pydantic import BaseModel, TypeAdapter

from api.deps import get_principal
from api.page_auth import get_page_principal
from api.read_types import Timestamp
from ecogrid.cases import states
from ecogrid.cases.schemas import ACTION_BODIES, MAX_EXTENSION_DAYS
from ecogrid.core.models import Case
from tests.casefactory import new_case

try:
    from fastapi.routing import iter_route_contexts
except ImportError:  # FastAPI before lazily included routers: app.routes holds the routes themselves
    iter_route_contexts = None

# GeoReport v2 answers in the shapes its own specification gives, from the Open311 module.
GEOREPORT = "/open311/"
OPERATION_ID = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")
JSON = "application/json"
FORM_VALUES = (str, int, float, bool, bytes, UploadFile)


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    from api.factory import create_app
    from ecogrid.core.settings import Settings

    app = create_app(Settings(secret_key="contract-secret-long-enough-for-hs256-0123456789",
                              database_url="postgresql+psycopg://unused/unused"))
    return app.openapi()


def operations(doc: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in doc["paths"].items():
        for method, operation in item.items():
            yield path, method, operation


def api_routes(app: FastAPI) -> Iterator[tuple[str, APIRoute]]:
    if iter_route_contexts is None:
        yield from ((r.path, r) for r in app.routes if isinstance(r, APIRoute) and r.include_in_schema)
        return
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if isinstance(route, APIRoute) and route.include_in_schema:
            yield context.path or route.path, route


def _unwrap(annotation: Any) -> list[Any]:
    """The types a parameter may hold, with None, Annotated and unions taken apart."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _unwrap(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        return [t for arg in typing.get_args(annotation) for t in _unwrap(arg) if t is not type(None)]
    return [annotation]


def _reads_caller(route: APIRoute) -> bool:
    stack = [route.dependant]
    while stack:
        current = stack.pop()
        if current.call in (get_principal, get_page_principal):
            return True
        stack.extend(current.dependencies)
    return False


def test_the_document_is_valid_openapi(client) -> None:
    validate(client.get("/openapi.json").json())


def test_every_answer_has_a_model_and_every_body_is_typed(app) -> None:
    untyped, unmodelled = [], []
    routes = list(api_routes(app))
    assert len(routes) >= 60
    for path, route in routes:
        for field in route.dependant.body_params:
            for kind in _unwrap(field.field_info.annotation):
                if isinstance(kind, type) and (issubclass(kind, BaseModel) or issubclass(kind, FORM_VALUES)):
                    continue
                untyped.append(f"{path} {field.name}: {kind}")
        if path.startswith(GEOREPORT):
            continue
        answers_json = route.response_class is None or getattr(route.response_class, "media_type", JSON) in (
            JSON, "application/geo+json")
        if route.response_model is None and answers_json and route.status_code != 204:
            unmodelled.append(f"{sorted(route.methods)} {path}")
    assert not untyped, untyped
    assert not unmodelled, unmodelled


def test_no_schema_is_a_bag_of_anything(document) -> None:
    """No ``{"additionalProp1": {}}`` in Swagger: every request body and success answer names its fields."""
    bags = []
    for path, method, operation in operations(document):
        if path.startswith(GEOREPORT):
            continue
        bodies = [c.get("schema", {}) for c in operation.get("requestBody", {}).get("content", {}).values()]
        answers = [c.get("schema", {}) for status, r in operation["responses"].items() if status.startswith("2")
                   for media, c in r.get("content", {}).items() if "json" in media]
        for schema in bodies + answers:
            if not schema or (schema.get("type") == "object" and "properties" not in schema):
                bags.append(f"{method.upper()} {path}")
    assert not bags, bags


def test_operations_that_read_the_caller_carry_security_and_document_401_and_403(app, document) -> None:
    by_operation = {(path, method): op for path, method, op in operations(document)}
    missing = []
    for path, route in api_routes(app):
        if not _reads_caller(route):
            continue
        for method in route.methods:
            operation = by_operation[(path, method.lower())]
            schemes = {name for requirement in operation.get("security", []) for name in requirement}
            if not {"bearer", "apiKey"} <= schemes or not {"401", "403"} <= set(operation["responses"]):
                missing.append(f"{method} {path}")
    assert not missing, missing
    schemes = document["components"]["securitySchemes"]
    assert schemes["bearer"]["flows"]["password"]["tokenUrl"] == "/api/v1/auth/token"
    assert (schemes["apiKey"]["in"], schemes["apiKey"]["name"]) == ("header", "X-API-Key")
    public = by_operation[("/api/v1/patrols/draws/{draw_id}/publication", "get")]
    assert "security" not in public and "401" not in public["responses"]


def test_documented_error_bodies_are_the_ones_sent(client, document) -> None:
    unsigned = client.get("/api/v1/cases")
    assert unsigned.status_code == 401 and unsigned.headers["www-authenticate"] == "Bearer"
    schemas = document["components"]["schemas"]
    assert set(schemas["ErrorRead"]["required"]) == set(unsigned.json())
    refused = client.get("/api/v1/cases", headers={"X-API-Key": "not-a-key"})
    assert refused.status_code == 401
    operation = document["paths"]["/api/v1/cases"]["get"]
    assert operation["responses"]["422"]["content"][JSON]["schema"]["$ref"].endswith("/ValidationErrorRead")
    assert operation["responses"]["503"]["content"][JSON]["schema"]["$ref"].endswith("/UnavailableRead")


def test_operation_ids_are_unique_short_and_snake_case(document) -> None:
    ids = [op["operationId"] for _, _, op in operations(document)]
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)
    assert [i for i in ids if not OPERATION_ID.match(i) or len(i) > 40] == []
    assert {"list_cases", "read_case", "list_complaints", "create_complaint", "list_zones"} <= set(ids)
    assert {f"{action.value}_case" for action in states.Action} <= set(ids)


def _component(document: dict[str, Any], ref: str) -> dict[str, Any]:
    return document["components"]["schemas"][ref.rsplit("/", 1)[1]]


@pytest.mark.parametrize("action", list(states.Action), ids=lambda a: a.value)
def test_each_case_action_documents_its_fields_values_and_an_example(document, action: states.Action) -> None:
    operation = document["paths"][f"/api/v1/cases/{{case_id}}/{action.value}"]["post"]
    assert operation["operationId"] == f"{action.value}_case"
    schema = _component(document, operation["requestBody"]["content"][JSON]["schema"]["$ref"])
    fields = set(schema["properties"])
    # The body lists what the state machine reads from a payload (dispatch also takes the older "team"), and the
    # client id that makes a retry a no-op (it names the request, the state machine never sees it).
    assert "client_id" in fields
    assert fields - {"team", "client_id"} == states._PAYLOAD_FIELDS[action] | {"note"}
    assert schema["additionalProperties"] is False
    example = schema["example"]
    assert example and set(example) <= fields
    ACTION_BODIES[action].model_validate(example)
    assert {"409", "404", "422", "401", "403"} <= set(operation["responses"])


def test_case_action_bodies_state_allowed_values_and_limits(document) -> None:
    def body(action: str) -> dict[str, Any]:
        operation = document["paths"][f"/api/v1/cases/{{case_id}}/{action}"]["post"]
        return _component(document, operation["requestBody"]["content"][JSON]["schema"]["$ref"])

    def enum_of(prop: dict[str, Any]) -> list[str]:
        return _component(document, prop["$ref"])["enum"] if "$ref" in prop else prop["enum"]

    assert set(enum_of(body("reject")["properties"]["reason"])) == {r.value for r in states.RejectReason}
    assert set(enum_of(body("revisit")["properties"]["satisfaction"])) == {s.value for s in states.Satisfaction}
    days = body("extend")["properties"]["days"]
    assert (days["minimum"], days["maximum"]) == (1, MAX_EXTENSION_DAYS)
    assert set(body("extend")["required"]) == {"days", "reason"}
    assert body("rectify")["properties"]["due_at"]["format"] == "date-time"
    assert body("reply")["properties"]["summary"]["minLength"] == 1


def _field_named(response) -> list[Any]:
    return [problem["loc"] for problem in response.json()["detail"]]


@pytest.mark.parametrize(("action", "status", "payload", "field"), [
    ("reject", "registered", {"reason": "too_far"}, "reason"),
    ("reject", "registered", {}, "reason"),
    ("revisit", "replied", {"satisfaction": "thrilled"}, "satisfaction"),
    ("revisit", "replied", {"satisfaction": "satisfied", "mood": "good"}, "mood"),
    ("extend", "dispatched", {"days": MAX_EXTENSION_DAYS + 1, "reason": "检测"}, "days"),
    ("rectify", "in_progress", {"due_at": "next week"}, "due_at"),
    ("reply", "in_progress", {"summary": ""}, "summary"),
    ("dispatch", "accepted", {"user_id": 0}, "user_id"),
    ("accept", "registered", {"note": 5}, "note"),
], ids=lambda v: v if isinstance(v, str) else None)
def test_a_bad_value_in_an_action_body_is_a_422_naming_the_field(client, db, auth, action, status, payload,
                                                                  field) -> None:
    case = new_case(db, status=status, accepted_at=datetime.now(UTC) - timedelta(hours=1))
    r = client.post(f"/api/v1/cases/{case.id}/{action}", json=payload, headers=auth("admin"))
    assert r.status_code == 422, r.text
    assert ["body", field] in _field_named(r)
    db.expire_all()
    assert db.get(Case, case.id).status == status  # nothing was written


def test_dispatch_to_two_assignees_is_refused_by_the_workflow_naming_user_id(client, db, auth) -> None:
    case = new_case(db, status="accepted")
    r = client.post(f"/api/v1/cases/{case.id}/dispatch", json={"user_id": 5, "team_id": "一组"},
                    headers=auth("admin"))
    assert r.status_code == 422 and ["body", "user_id"] in _field_named(r)


def test_a_case_action_without_a_body_is_still_taken_where_nothing_is_required(client, db, auth) -> None:
    case = new_case(db)
    r = client.post(f"/api/v1/cases/{case.id}/accept", headers=auth("clerk"))
    assert r.status_code == 200 and r.json()["status"] == "accepted"


def test_a_bare_rectification_deadline_is_beijing_time(client, db, auth, make_user) -> None:
    inspector = make_user("inspector")
    case = new_case(db, status="in_progress", assigned_to_id=inspector.id, accepted_at=datetime.now(UTC))
    due = (datetime.now(UTC) + timedelta(days=3)).astimezone(timezone(timedelta(hours=8))).replace(
        microsecond=0, tzinfo=None)
    r = client.post(f"/api/v1/cases/{case.id}/rectify", json={"due_at": due.isoformat()}, headers=auth(inspector))
    assert r.status_code == 200, r.text
    history = client.get(f"/api/v1/cases/{case.id}", headers=auth("admin")).json()
    assert history["rectification_due_at"] == due.isoformat() + "+08:00"


@pytest.mark.parametrize("given", ["2026-05-01T01:30:00Z", "2026-05-01T01:30:00+00:00", "2026-05-01T09:30:00",
                                   datetime(2026, 5, 1, 1, 30, tzinfo=UTC)])
def test_a_time_in_an_answer_is_always_rfc3339_beijing(given) -> None:
    assert TypeAdapter(Timestamp).dump_python(TypeAdapter(Timestamp).validate_python(given)) == (
        "2026-05-01T09:30:00+08:00")


def _time_properties(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for name, schema in document["components"]["schemas"].items():
        for prop, spec in schema.get("properties", {}).items():
            if prop.endswith("_at") or prop in ("cut_off", "drawn_at"):
                yield name, prop, spec


def test_every_time_an_answer_carries_is_a_typed_date_time(document) -> None:
    """A response model writing a time as a plain string could send it with any offset."""
    def is_time(spec: dict[str, Any]) -> bool:
        kinds = spec.get("anyOf", [spec])
        return all(k.get("format") == "date-time" or k.get("type") == "null" for k in kinds)

    loose = [f"{name}.{prop}" for name, prop, spec in _time_properties(document) if not is_time(spec)]
    assert list(_time_properties(document)) and not loose, loose


def test_lists_filtered_by_zone_id_also_take_the_zone_code(document) -> None:
    for path, method, operation in operations(document):
        names = {p["name"] for p in operation.get("parameters", []) if p["in"] == "query"}
        if "zone_id" in names:
            assert "zone" in names, f"{method.upper()} {path}"


def test_the_case_list_takes_the_code_its_items_show(client, db, auth) -> None:
    from ecogrid.core.models import Zone

    zone = Zone(code="370299099", name="测试街道", level="street",
                geom="SRID=4326;MULTIPOLYGON(((120 36,120.01 36,120.01 36.01,120 36.01,120 36)))")
    db.add(zone)
    db.flush()
    inside, outside = new_case(db, zone_id=zone.id), new_case(db)
    headers = auth("clerk")
    items = client.get("/api/v1/cases", params={"zone": zone.code}, headers=headers).json()["items"]
    assert [(i["id"], i["zone_id"], i["zone_code"]) for i in items] == [(inside.id, zone.id, zone.code)]
    assert outside.id not in [i["id"] for i in items]
    zones = client.get("/api/v1/zones", headers=headers)
    assert zones.headers["content-type"] == "application/geo+json"
    assert {"id": zone.id, "code": zone.code} in [{k: f["properties"][k] for k in ("id", "code")}
                                                  for f in zones.json()["features"]]


@pytest.mark.parametrize(("path", "media"), [
    ("/api/v1/reports/ledger.csv", "text/csv"),
    ("/api/v1/reports/ledger.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ("/api/v1/patrols/routes/{route_id}.csv", "text/csv"),
    ("/api/v1/patrols/routes/{route_id}.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ("/api/v1/photos/{photo_id}", "image/jpeg"),
    ("/api/v1/photos/{photo_id}/thumb", "image/jpeg"),
    ("/tiles/complaints/{z}/{x}/{y}.mvt", "application/vnd.mapbox-vector-tile"),
    ("/maps/heatmap", "text/html"),
    ("/api/v1/reports/daily", "text/html"),
    ("/api/v1/zones", "application/geo+json"),
    ("/api/v1/aggregates/zones", "application/geo+json"),
    ("/api/v1/hotspots", "application/geo+json"),
    ("/api/v1/complaints", "application/geo+json"),
    ("/api/v1/sources", "application/geo+json"),
])
def test_file_and_page_answers_declare_their_media_type(document, path, media) -> None:
    assert media in document["paths"][path]["get"]["responses"]["200"]["content"]


def test_files_are_not_also_declared_as_json(document) -> None:
    for path in ("/api/v1/reports/ledger.csv", "/api/v1/photos/{photo_id}", "/tiles/complaints/{z}/{x}/{y}.mvt"):
        assert JSON not in document["paths"][path]["get"]["responses"]["200"]["content"]


def test_geojson_answers_are_sent_as_geojson(client, auth) -> None:
    headers = auth("clerk")
    listing = client.get("/api/v1/complaints", params={"format": "geojson"}, headers=headers)
    assert listing.headers["content-type"] == "application/geo+json"
    assert listing.json()["type"] == "FeatureCollection"
    assert client.get("/api/v1/complaints", headers=headers).headers["content-type"] == JSON
