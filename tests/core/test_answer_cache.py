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
