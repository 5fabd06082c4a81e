from __future__ import annotations

import pytest
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.exc import DBAPIError

from ecogrid.core import migrate
from ecogrid.core.models import CaseEvent
from tests.databases import scratch_database

SCHEMA_V1_TABLES = {
    "users", "zones", "sources", "complaints", "cases", "case_events", "inspections", "photos", "readings",
    "revisits", "patrol_plans", "audit_log",
}


@pytest.fixture
def empty_database(cluster):
    with scratch_database(cluster, "migration_check") as url:
        engine = create_engine(url)
        yield engine
        engine.dispose()


def test_up_to_head_down_one_step_and_up_again(empty_database):
    migrate.upgrade(empty_database)
    tables = set(inspect(empty_database).get_table_names())
    assert SCHEMA_V1_TABLES <= tables
    with empty_database.connect() as conn:
        assert migrate.current_revision(conn) == migrate.head_revision()
    migrate.downgrade(empty_database, "-1")
    migrate.upgrade(empty_database)
    with empty_database.connect() as conn:
        assert migrate.current_revision(conn) == migrate.head_revision()


def test_every_geometry_column_has_a_gist_index(engine):
    with engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT f_table_name, f_geometry_column, srid FROM geometry_columns WHERE f_table_schema = 'public'"
        )).all()
        assert rows
        for table, column, srid in rows:
            assert srid == 4326, (table, column)
            indexed = conn.execute(text(
                "SELECT count(*) FROM pg_indexes WHERE tablename = :t AND indexdef ILIKE '%USING gist%' "
                "AND indexdef ILIKE :c"), {"t": table, "c": f"%({column})%"}).scalar_one()
            assert indexed, f"{table}.{column} has no GiST index"


def test_case_history_cannot_be_rewritten(db, make_user):
    from ecogrid.core.models import Case

    user = make_user("clerk")
    from datetime import UTC, datetime

    now = datetime.now(UTC)
    case = Case(kind="complaint", category="odour", channel="web", opened_at=now, last_complaint_at=now)
    db.add(case)
    db.flush()
    event = CaseEvent(case_id=case.id, actor_id=user.id, action="register", to_status="registered")
    db.add(event)
    db.flush()
    with pytest.raises(DBAPIError, match="append-only"), db.begin_nested():
        db.execute(text("UPDATE case_events SET note = 'rewritten' WHERE id = :id"), {"id": event.id})
    with pytest.raises(DBAPIError, match="append-only"), db.begin_nested():
        db.execute(text("DELETE FROM case_events WHERE id = :id"), {"id": event.id})
