"""Packets in, alarm, case, the suspects' explanation with the reading, the chart pages in Chromium."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urlparse

import httpx
from sqlalchemy import select

from ecogrid.accounts import service as user_service
from ecogrid.core import security
from ecogrid.core.models import MonitorAlarm
from ecogrid.core.time import BEIJING
from maps import assets
from tests.browser_support import CHROMIUM, CHROMIUM_ARGS, playwright_started
from tests.monitoring.listener_support import connect, read_frames, running
from tests.monitoring.support import add_source, add_station, data_packet

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def _token(live_server, user) -> dict[str, str]:
    token = security.issue_token(settings=live_server.settings, user_id=user.id, role=user.role)
    return {"Authorization": f"Bearer {token}"}


def test_packets_to_alarm_to_case_to_suspects_to_chart(live_server):
    with live_server.session() as session:
        plant = add_source(session, name="城东污水处理厂")
        station = add_station(session, code="WS-EAST-B", mn="MNEASTB01", password="east01", source_id=plant.id,
                              name="污水厂东厂界")
        weather = add_station(session, code="WX-EAST", kind="weather", mn="MNWXEAST", password="wx0001",
                              lon=120.405, lat=36.105, name="城东气象站",
                              pollutants=[{"code": "a01008"}, {"code": "a01007"}])
        clerk = user_service.create(session, username="e2e-clerk", role="clerk", password="correct-horse-9")
        chief = user_service.create(session, username="e2e-chief", role="chief", password="correct-horse-9")
        session.commit()
        station_id, weather_id = station.id, weather.id
        clerk_headers, chief_headers = _token(live_server, clerk), _token(live_server, chief)

    # 1. A night of minute data from the plant's boundary monitor and hourly wind, over HJ 212.
    start = (datetime.now(BEIJING) - timedelta(hours=3)).replace(second=0, microsecond=0)
    packets = [data_packet(mn="MNEASTB01", pw="east01", cn="2051", at=start + timedelta(minutes=i),
                           values={"a21028": 0.02 if i < 30 else 0.11, "a21001": 0.3}) for i in range(60)]
    packets.append(data_packet(mn="MNWXEAST", pw="wx0001", cn="2061", at=start.replace(minute=0) + timedelta(hours=1),
                               values={"a01008": 95.0, "a01007": 2.8}))
    with running(live_server.database, live_server.settings) as server, connect(server.port) as sock:
        sock.sendall(b"".join(packets))
        assert len(read_frames(sock, len(packets))) == len(packets)
    with live_server.session() as session:
        alarm = session.scalars(select(MonitorAlarm).where(MonitorAlarm.station_id == station_id)).one()
        assert alarm.readings == 30 and alarm.peak_value == 0.11 and alarm.standard == "GB 14554-93"
        alarm_id = alarm.id

    with httpx.Client(base_url=live_server.url, timeout=30) as http:
        # 2. The alarm becomes a case, with the reading as its first evidence.
        made = http.post(f"/api/v1/monitoring/alarms/{alarm_id}/case", headers=clerk_headers)
        assert made.status_code == 200, made.text
        alarm_case = made.json()["case_id"]
        # 3. A resident complains of the smell a little later, nearby: a repeat of the alarm's case.
        complaint = http.post("/api/v1/complaints", headers=clerk_headers, json={
            "channel": "hotline_12345", "kind": "complaint", "category": "odour", "description": "臭鸡蛋味很重",
            "lon": 120.4012, "lat": 36.1009, "received_at": (start + timedelta(minutes=50)).isoformat()})
        assert complaint.status_code == 201, complaint.text
        case_id = complaint.json()["case_id"]
        assert case_id == alarm_case
        # 4. The suspects' explanation names the monitor's reading.
        suspects = http.get(f"/api/v1/cases/{case_id}/suspects", headers=chief_headers).json()
        top = suspects["items"][0]
        assert top["source_id"] == plant.id
        assert top["monitor"]["alarm_id"] == alarm_id and top["monitor"]["value"] == 0.11
        assert any("在线监测" in line and "0.11" in line for line in top["explanation"])
        assert suspects["wind"]["station"] == "WX-EAST"
        nearby = http.get(f"/api/v1/cases/{case_id}/monitoring", headers=chief_headers).json()
        assert nearby["stations"][0]["station_id"] == station_id
        assert nearby["winds"][-1]["wind_from_deg"] == 95.0

    # 5. The charts, in headless Chromium: the station page and the case's monitors page.
    failed: list[str] = []
    outside: list[str] = []
    console_errors: list[str] = []
    ARTIFACTS.mkdir(exist_ok=True)
    with playwright_started() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1100, "height": 900})
            page.on("request", lambda r: outside.append(r.url) if r.url.startswith(("http:", "https:"))
                    and urlparse(r.url).hostname != "127.0.0.1" else None)
            page.on("requestfailed", lambda r: failed.append(r.url))
            # A refused inline style or script would show here (CSP); the browser's own favicon probe would not.
            page.on("console", lambda m: console_errors.append(m.text) if m.type == "error"
                    and not m.text.startswith("Failed to load resource") else None)
            page.on("response", lambda r: failed.append(f"{r.status} {r.url}") if r.status >= 400
                    and not r.url.endswith("/favicon.ico") else None)
            page.goto(f"{live_server.url}/monitoring/stations/{station_id}?lang=en")
            assert urlparse(page.url).path == "/signin"
            page.fill("#username", "e2e-chief")
            page.fill("#password", "correct-horse-9")
            with page.expect_navigation():
                page.click("#signin-form button[type=submit]")
            assert urlparse(page.url).path == f"/monitoring/stations/{station_id}"
            assert "污水厂东厂界" in page.inner_text("#station-name")
            h2s = page.locator("figure.chart", has_text="a21028")
            points = h2s.locator("polyline.line").get_attribute("points")
            assert len(points.split()) == 60
            assert h2s.locator("line.limit").count() == 1
            assert "GB 14554-93" in h2s.locator("text.limit-label").text_content()
            box = h2s.locator("svg.series").bounding_box()
            assert box is not None and box["width"] > 400 and box["height"] > 100
            assert page.locator("#alarms tr").count() == 2
            page.screenshot(path=str(ARTIFACTS / "monitoring-station.png"), full_page=True)
            page.goto(f"{live_server.url}/monitoring/cases/{case_id}")
            assert "案件周边在线监测" in page.inner_text("#case-title")  # Chinese by default
            section = page.locator("section.station").first
            assert section.locator("line.marker").count() >= 1
            assert section.locator("polyline.line").count() >= 1
            assert "95°" in page.inner_text("#winds")
            page.screenshot(path=str(ARTIFACTS / "monitoring-case.png"), full_page=True)
            page.goto(f"{live_server.url}/monitoring/stations/{weather_id}?lang=en")
            assert page.locator("figure.chart").count() == 2
            html = page.content()
        finally:
            browser.close()
    assert outside == [] and failed == [] and console_errors == []
    assert assets.external_urls(html) == []
    assert re.search(r"<script", html) is None  # the chart is SVG drawn on the server
