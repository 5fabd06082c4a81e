from __future__ import annotations

import logging
import os
import socket
import threading
import time
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select, text

from ecogrid.core import migrate
from ecogrid.core.database import Database
from ecogrid.core.models import MonitorAlarm, MonitorReading
from ecogrid.core.settings import Settings
from ecogrid.core.time import BEIJING
from ecogrid.monitoring import hj212
from tests.conftest import TEST_SECRET
from tests.databases import scratch_database
from tests.monitoring.listener_support import closed_by_server, connect, read_frames, running
from tests.monitoring.support import ANNEX_2011, ANNEX_9014, ANNEX_MN, ANNEX_PW, add_source, add_station, data_packet

T0 = (datetime.now(BEIJING) - timedelta(days=2)).replace(hour=9, minute=0, second=0, microsecond=0)


@pytest.fixture(scope="module")
def monitored(cluster):
    """A committed database with the annex's air-quality station and a plant boundary monitor."""
    with scratch_database(cluster, "listener") as url:
        database = Database.from_url(url)
        migrate.upgrade(database.engine)
        with database.sessionmaker() as session:
            add_station(session, code="AQ-ANNEX", kind="air_quality", mn=ANNEX_MN, password=ANNEX_PW,
                        name="标准示例空气站", pollutants=[{"code": c} for c in (
                            "a21005", "a21004", "a21026", "a34004", "a34002", "a01001", "a01002", "a01006",
                            "a01007", "a01008", "a34001")])
            source = add_source(session)
            add_station(session, code="WS-B1", kind="boundary", mn="MNWSB1", password="pwB1", source_id=source.id)
            session.commit()
        yield database
        database.dispose()


@pytest.fixture
def listener(monitored):
    settings = Settings(secret_key=TEST_SECRET, database_url="postgresql+psycopg://unused/unused",
                        monitoring_max_connections=8, monitoring_max_garbage_bytes=4096,
                        monitoring_idle_timeout_s=5.0, monitoring_max_refusals=5)
    with running(monitored, settings) as server:
        yield server


def count(database: Database, **where) -> int:
    with database.sessionmaker() as session:
        query = select(func.count()).select_from(MonitorReading)
        for name, value in where.items():
            query = query.where(getattr(MonitorReading, name) == value)
        return session.scalar(query) or 0


def test_the_standards_example_is_stored_and_answered_as_the_standard_shows(listener, monitored):
    with connect(listener.port) as sock:
        sock.sendall(ANNEX_2011)
        assert read_frames(sock, 1) == [ANNEX_9014]
        # A station that missed the answer sends again: answered again, stored once.
        sock.sendall(ANNEX_2011)
        assert read_frames(sock, 1) == [ANNEX_9014]
    assert count(monitored, code="a21026", interval="rtd") == 1
    with monitored.sessionmaker() as session:
        so2 = session.scalars(select(MonitorReading).where(MonitorReading.code == "a21026")).one()
        assert so2.value == 58.0 and so2.parameter == "so2" and so2.unit == "ug/m3"
        assert so2.measured_at == datetime(2016, 8, 1, 8, 40, tzinfo=BEIJING)
    assert listener.listener.stats["readings_duplicate"] == 11


def test_a_packet_split_over_several_writes_is_read_whole(listener, monitored):
    packet = data_packet(mn="MNWSB1", pw="pwB1", cn="2051", at=T0, values={"a21028": 0.01, "a21001": 0.2})
    with connect(listener.port) as sock:
        for piece in (packet[:5], packet[5:40], packet[40:-1], packet[-1:]):
            sock.sendall(piece)
            time.sleep(0.05)
        answers = read_frames(sock, 1)
    assert len(answers) == 1 and b"CN=9014" in answers[0] and hj212.parse_frame(answers[0]).cn == "9014"
    assert count(monitored, code="a21028", interval="minute", measured_at=T0) == 1


def test_bad_crc_wrong_password_and_unknown_station_are_refused_and_logged(listener, monitored, caplog):
    caplog.set_level(logging.WARNING, logger="ecogrid.monitoring.listener")
    at = T0 + timedelta(minutes=30)
    good = data_packet(mn="MNWSB1", pw="pwB1", cn="2051", at=at, values={"a21028": 0.02})
    bad_crc = good[:-6] + (b"0000" if good[-6:-2] != b"0000" else b"1111") + b"\r\n"
    wrong_pw = data_packet(mn="MNWSB1", pw="guess1", cn="2051", at=at + timedelta(minutes=1), values={"a21028": 9.0})
    stranger = data_packet(mn="NOBODY01", pw="x", cn="2051", at=at, values={"a21028": 9.0})
    with connect(listener.port) as sock:
        sock.sendall(bad_crc + wrong_pw + stranger + good)
        answers = read_frames(sock, 1)
    assert len(answers) == 1 and hj212.parse_frame(answers[0]).qn == hj212.parse_frame(good).qn
    stats = listener.listener.stats
    assert stats["refused_bad_crc"] == 1 and stats["refused_bad_password"] == 1 and stats["refused_unknown_mn"] == 1
    assert count(monitored, code="a21028", measured_at=at + timedelta(minutes=1)) == 0
    messages = " ".join(r.getMessage() for r in caplog.records)
    assert "bad_password" in messages and "unknown_mn" in messages and "bad_crc" in messages
    assert "guess1" not in messages  # a password tried is never written to the log


def test_garbage_closes_that_connection_only(listener):
    with connect(listener.port) as noisy:
        noisy.sendall(os.urandom(20_000).replace(b"#", b"x"))
        assert closed_by_server(noisy)
    with connect(listener.port) as sock:
        sock.sendall(ANNEX_2011)
        assert read_frames(sock, 1) == [ANNEX_9014]


def test_too_many_refusals_close_the_connection(listener):
    wrong = data_packet(mn="MNWSB1", pw="nope", cn="2051", at=T0, values={"a21028": 1.0})
    with connect(listener.port) as sock:
        sock.sendall(wrong * 6)
        assert closed_by_server(sock)
    assert listener.listener.stats["refusals_closed"] >= 1


def test_a_flood_of_packets_is_stored_answered_and_bounded(listener, monitored):
    start = T0 + timedelta(hours=3)
    packets = [data_packet(mn="MNWSB1", pw="pwB1", cn="2051", at=start + timedelta(minutes=i),
                           values={"a21028": 0.01, "a21001": 0.1}) for i in range(300)]
    with connect(listener.port, timeout=60) as sock:
        sender = threading.Thread(target=sock.sendall, args=(b"".join(packets),))
        sender.start()
        answers = read_frames(sock, 300)
        sender.join()
    assert len(answers) == 300
    with monitored.sessionmaker() as session:
        stored = session.scalar(text("SELECT count(*) FROM monitor_readings WHERE station_id = "
                                     "(SELECT id FROM monitor_stations WHERE code = 'WS-B1') AND measured_at >= :s"),
                                {"s": start})
    assert stored == 600
    # More connections than allowed: the extra ones are closed at once; the server keeps serving.
    held = [connect(listener.port) for _ in range(8)]
    time.sleep(0.3)
    extra = connect(listener.port)
    assert closed_by_server(extra, timeout=5)
    extra.close()
    for sock in held:
        sock.close()
    time.sleep(0.3)
    with connect(listener.port) as sock:
        sock.sendall(ANNEX_2011)
        assert read_frames(sock, 1) == [ANNEX_9014]
    assert listener.listener.stats["connections_refused"] >= 1


def test_minute_data_over_the_limit_opens_an_alarm(listener, monitored):
    at = T0 + timedelta(hours=8)
    with connect(listener.port) as sock:
        sock.sendall(b"".join(data_packet(mn="MNWSB1", pw="pwB1", cn="2051", at=at + timedelta(minutes=i),
                                          values={"a21028": 0.09}) for i in range(3)))
        assert len(read_frames(sock, 3)) == 3
    with monitored.sessionmaker() as session:
        alarm = session.scalars(select(MonitorAlarm).where(MonitorAlarm.first_at == at)).one()
        assert alarm.readings == 3 and alarm.standard == "GB 14554-93" and alarm.status == "open"


def test_a_client_that_goes_silent_is_closed(listener):
    with connect(listener.port, timeout=15) as sock:
        sock.sendall(ANNEX_2011[:30])
        assert closed_by_server(sock, timeout=15)
    assert listener.listener.stats["idle_closed"] >= 1


def test_a_reset_connection_does_not_stop_the_server(listener):
    sock = connect(listener.port)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    sock.sendall(ANNEX_2011[:100])
    sock.close()  # RST
    with connect(listener.port) as again:
        again.sendall(ANNEX_2011)
        assert read_frames(again, 1) == [ANNEX_9014]
