"""Answers kept under the data version: asked again with no write between, they are not computed again;
after any commit they are; a transaction that wrote keeps nothing."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from ecogrid.core import answer_cache
from tests.casefactory import new_case
from tests.console.console_support import sign_in
from tests.databases import scratch_database
from tests.security.committed_app import committed_app
from tests.staffing import zone


def _settle(engine) -> None:
    # Analysed now, autovacuum finds nothing to do here during the test (its ANALYZE would write).
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))


def _count(engine, calls: list[int]) -> int:
    with Session(engine) as session:
        def compute() -> int:
            calls.append(1)
            return session.execute(text("SELECT count(*) FROM things")).scalar_one()

        return answer_cache.kept(session, "things", compute)


def test_an_answer_is_computed_once_per_data_version_and_again_after_a_commit(cluster):
    with scratch_database(cluster, "cache") as url:
        engine = create_engine(url)
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE things (n int)"))
            conn.execute(text("INSERT INTO things VALUES (1)"))
        _settle(engine)
        answer_cache.clear()
        for _attempt in range(3):  # a write elsewhere in the cluster (autovacuum) may move the version once
            calls: list[int] = []
            first, second = _count(engine, calls), _count(engine, calls)
            if len(calls) == 1:
                break
        assert (first, second, len(calls)) == (1, 1, 1)
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO things VALUES (2)"))
        assert _count(engine, calls) == 2 and len(calls) == 2
        with Session(engine) as session:  # this transaction wrote: its answer is its own, and is not kept
            session.execute(text("INSERT INTO things VALUES (3)"))
            assert answer_cache.data_version(session) is None
            assert answer_cache.kept(session, "things", lambda: 99) == 99
            session.rollback()
        assert _count(engine, calls) == 2  # not the 99 of the transaction that wrote
        engine.dispose()


def _new_cases(html: str) -> int:
    found = re.search(r'id="new-cases">(\d+)<', html)
    assert found, html
    return int(found.group(1))


def test_the_reports_page_counts_again_after_a_case_is_registered(cluster, tmp_path):
    with committed_app(cluster, tmp_path, "cache_reports") as committed:
        committed.headers_of("chief", "cache-chief")
        yesterday = datetime.now(UTC) - timedelta(days=1)
        with committed.database.sessionmaker() as session:
            new_case(session, opened_at=yesterday)
            session.commit()
        _settle(committed.database.engine)
        answer_cache.clear()
        with TestClient(committed.app) as client:
            sign_in(client, "cache-chief")
            before = client.get("/reports")
            assert before.status_code == 200 and _new_cases(before.text) == 1
            misses = answer_cache.stats()["misses"]
            again = client.get("/reports")
            assert _new_cases(again.text) == 1 and answer_cache.stats()["misses"] == misses  # from memory
            with committed.database.sessionmaker() as session:
                new_case(session, opened_at=yesterday)
                session.commit()
            after = client.get("/reports")
            assert _new_cases(after.text) == 2


def _street_complaints(html: str, code: str) -> int:
    found = re.search(rf'<tr data-zone="{re.escape(code)}"><td>.*?</td><td>(\d+)</td>', html)
    assert found, html
    return int(found.group(1))


def test_the_map_counts_a_new_complaint_after_it_is_committed(cluster, tmp_path):
    with committed_app(cluster, tmp_path, "cache_map") as committed:
        committed.headers_of("chief", "cache-map-chief")
        with committed.database.sessionmaker() as session:
            street = zone(session, level="street", west=120.3, south=36.0, size=0.1)
            code = street.code
            _complaint(session, street.id)
            session.commit()
        _settle(committed.database.engine)
        answer_cache.clear()
        with TestClient(committed.app) as client:
            sign_in(client, "cache-map-chief")
            assert _street_complaints(client.get("/map").text, code) == 1
            misses = answer_cache.stats()["misses"]
            assert _street_complaints(client.get("/map").text, code) == 1
            assert answer_cache.stats()["misses"] == misses  # streets and hotspot statistics from memory
            with committed.database.sessionmaker() as session:
                _complaint(session, street.id)
                session.commit()
            assert _street_complaints(client.get("/map").text, code) == 2


def _complaint(session: Session, zone_id: int) -> None:
    row = new_case(session, zone_id=zone_id, geom="SRID=4326;POINT(120.35 36.05)")
    session.execute(text("UPDATE complaints SET geom = ST_SetSRID(ST_MakePoint(120.35, 36.05), 4326) "
                         "WHERE case_id = :id"), {"id": row.id})
