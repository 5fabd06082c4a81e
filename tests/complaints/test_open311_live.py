"""A real Open311 client library (``georeport`` from PyPI) in JSON and XML mode against a live server.

``georeport`` reads (services, definitions, requests, one request) but cannot create a request, and
the older Python clients (``open311``, ``three``) run on Python 2 only: requests are created here with
httpx exactly as the spec's example POST does, then read back through the library.
"""

from __future__ import annotations

import os
import subprocess
import sys

import httpx
import pytest
from georeport import GeoReport

from ecogrid.accounts import service as user_service
from ecogrid.core import migrate
from ecogrid.core.database import Database
from ecogrid.core.models import Complaint
from tests.databases import scratch_database
from tests.security.test_access_log_redaction import ROOT, _free_port, _wait_until_listening
from tests.zones.test_service import seed_zones

FORM = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}


@pytest.fixture(scope="module")
def open311(live_server) -> tuple[str, str]:
    with live_server.session() as session:
        seed_zones(session)
        _, key = user_service.create_api_key(session, name="georeport-client", role="clerk")
        session.commit()
    return f"{live_server.url}/open311/v2", key


def _post(endpoint: str, key: str, fmt: str, **fields: str) -> httpx.Response:
    body = "&".join(f"{k}={v}" for k, v in {"api_key": key, **fields}.items())
    return httpx.post(f"{endpoint}/requests.{fmt}", content=body.encode("utf-8"), headers=FORM, timeout=30)


def _items(value: object) -> list:
    return value if isinstance(value, list) else [value]  # xmltodict gives one element as a dict


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_georeport_reads_services_definitions_and_requests(live_server, open311, fmt):
    endpoint, key = open311
    client = GeoReport(endpoint, jurisdiction="city.gov", output_format=fmt)
    services = {s["service_code"]: s for s in client.get_service_list()}
    assert services["odour"]["service_name"] == "异味/恶臭"
    assert services["odour"]["metadata"] in (True, "true") and services["soil"]["metadata"] in (False, "false")

    definition = client.get_service_definition("noise_social")
    attributes = definition["attributes"] if fmt == "json" else definition["attributes"]["attribute"]
    source = next(a for a in attributes if a["code"] == "noise_source")
    values = source["values"] if fmt == "json" else source["values"]["value"]
    assert "square_dance" in [v["key"] for v in values]

    lat = "36.002" if fmt == "json" else "36.0045"  # apart: the second would repeat the first's case
    created = _post(endpoint, key, fmt, service_code="noise_social", lat=lat, long="120.002",
                    description="广场舞音响", **{"attribute[noise_source]": "square_dance",
                                                  "attribute[noise_period][]": "night"})
    assert created.status_code == 201, created.text
    rid = created.json()[0]["service_request_id"] if fmt == "json" else \
        created.text.split("<service_request_id>")[1].split("<")[0]

    one = client.get_service_request(rid)
    assert one["service_request_id"] in (rid, int(rid)) and one["status"] == "open"
    assert one["description"] == "广场舞音响" and one["service_notice"] == "已登记，待受理"
    listed = _items(client.get_service_requests(service_code="noise_social", status="open,closed"))
    assert rid in [str(r["service_request_id"]) for r in listed]
    by_id = _items(client.get_service_requests(service_request_id=rid))
    assert [str(r["service_request_id"]) for r in by_id] == [rid]
    with live_server.session() as session:
        assert session.get(Complaint, int(rid)).description == "广场舞音响"


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_the_library_sees_a_spec_error_as_an_http_error(open311, fmt):
    endpoint, _ = open311
    client = GeoReport(endpoint, output_format=fmt)
    with pytest.raises(Exception, match="404") as caught:
        client.get_service_definition("033")
    assert caught.value.response.status_code == 404  # requests.HTTPError, from raise_for_status
    too_long = httpx.get(f"{endpoint}/requests.{fmt}", params={"start_date": "2026-01-01T00:00:00Z",
                                                                "end_date": "2026-06-01T00:00:00Z"})
    assert too_long.status_code == 400 and "90 days" in too_long.text


def test_a_raw_utf8_body_over_a_real_socket_is_stored_as_written(open311):
    endpoint, key = open311
    created = _post(endpoint, key, "json", service_code="noise_social", lat="36.002", long="120.002",
                    description="广场舞", address_string="人民广场")
    assert created.status_code == 201, created.text
    [request] = httpx.get(f"{endpoint}/requests/{created.json()[0]['service_request_id']}.json").json()
    assert (request["description"], request["address"]) == ("广场舞", "人民广场")


def test_an_api_key_in_the_query_string_works_and_stays_out_of_the_access_log(cluster, tmp_path):
    with scratch_database(cluster, "open311log") as url:
        database = Database.from_url(url)
        migrate.upgrade(database.engine)
        with database.sessionmaker() as session:
            _, key = user_service.create_api_key(session, name="hotline-311", role="clerk")
            session.commit()
        database.dispose()
        port = _free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("ECOGRID_")}
        env.update(PYTHONPATH=str(ROOT), DATABASE_URL=url, ECOGRID_DATA_DIR=str(tmp_path / "var"))
        log_path = tmp_path / "server.log"
        with log_path.open("w") as log:
            server = subprocess.Popen(
                [sys.executable, "-m", "uvicorn", "api.factory:create_app", "--factory", "--host", "127.0.0.1",
                 "--port", str(port), "--log-level", "info"],
                cwd=tmp_path, env=env, stdout=log, stderr=subprocess.STDOUT)
            try:
                _wait_until_listening(port, server)
                for fmt in ("json", "xml"):
                    created = httpx.post(f"http://127.0.0.1:{port}/open311/v2/requests.{fmt}",
                                         params={"api_key": key}, headers=FORM,
                                         content="service_code=odour&address_string=规则路3号".encode())
                    assert created.status_code == 201, created.text
            finally:
                server.terminate()
                server.wait(timeout=30)
        written = log_path.read_text()
    assert "POST /open311/v2/requests.json?api_key=[redacted]" in written
    assert "POST /open311/v2/requests.xml?api_key=[redacted]" in written and key not in written
