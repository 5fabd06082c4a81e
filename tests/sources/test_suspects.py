from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from ecogrid.core import sql
from ecogrid.core.errors import NotFound
from ecogrid.core.models import Case, Inspection, Reading, Source, WeatherRecord
from ecogrid.sources import credit_code
from ecogrid.sources import suspects as suspect_service

ORIGIN = (120.40, 36.10)
OPENED = datetime(2025, 7, 1, 9, 0, tzinfo=UTC)
_codes = itertools.count(1)


def point_at(db, metres: float, bearing: float, origin=ORIGIN) -> tuple[float, float]:
    """The point `metres` from `origin` at compass `bearing`, on the spheroid (exact for radius edges)."""
    row = db.execute(text("""SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_Project(ST_MakePoint(:lon, :lat)::geography,
                             :m, radians(:b))::geometry AS p) x"""),
                     {"lon": origin[0], "lat": origin[1], "m": metres, "b": bearing}).one()
    return row[0], row[1]


def add_source(db, lonlat, *, industry="chemical", categories=None, name=None, key=False) -> Source:
    n = next(_codes)
    src = Source(name=name or f"源{n}", credit_code=credit_code.make(org8=f"T{n:07d}"), industry=industry,
                 categories=categories if categories is not None else [], key_discharger=key,
                 geom=f"SRID=4326;POINT({lonlat[0]} {lonlat[1]})")
    db.add(src)
    db.flush()
    return src


def add_case(db, *, category="odour", lonlat=ORIGIN, opened=OPENED) -> Case:
    case = Case(kind="complaint", category=category, channel="hotline_12345", opened_at=opened,
                last_complaint_at=opened, geom=f"SRID=4326;POINT({lonlat[0]} {lonlat[1]})")
    db.add(case)
    db.flush()
    return case


def add_wind(db, wind_from: float, at=OPENED, speed=3.0) -> WeatherRecord:
    rec = WeatherRecord(station="测试站", observed_at=at, geom=f"SRID=4326;POINT({ORIGIN[0]} {ORIGIN[1]})",
                        wind_from_deg=wind_from, wind_speed_ms=speed)
    db.add(rec)
    db.flush()
    return rec


def ids(ranking) -> list[int]:
    return [s.source_id for s in ranking.suspects]


def test_radius_keeps_a_source_just_inside_and_drops_one_just_outside(db, settings):
    radius = settings.suspect_radius_m["cooking_fumes"]
    inside = add_source(db, point_at(db, radius - 1, 30), industry="restaurant")
    outside = add_source(db, point_at(db, radius + 1, 200), industry="restaurant")
    case = add_case(db, category="cooking_fumes")
    ranking = suspect_service.rank_suspects(db, case_id=case.id, settings=settings)
    assert ids(ranking) == [inside.id]
    assert outside.id not in ids(ranking)
    assert ranking.radius_m == radius
    assert ranking.suspects[0].distance_m == pytest.approx(radius - 1, abs=0.5)


def test_upwind_source_beats_downwind_one_at_equal_distance(db, settings):
    # Downwind is created first, so that without the wind the id tie-break would put it first.
    downwind = add_source(db, point_at(db, 600, 315))
    upwind = add_source(db, point_at(db, 600, 135))
    case = add_case(db)
    rec = add_wind(db, 135.0, at=OPENED - timedelta(minutes=20))
    ranking = suspect_service.rank_suspects(db, case_id=case.id, settings=settings)
    assert ids(ranking) == [upwind.id, downwind.id]
    assert ranking.wind_used and ranking.wind.id == rec.id
    first = ranking.suspects[0]
    assert first.parts["wind"] > 0.95 and ranking.suspects[1].parts["wind"] < 0.05
    assert any("upwind" in line and "wind from 135°" in line for line in first.explanation_en)
    assert any("上风向" in line for line in first.explanation)


def test_wind_is_ignored_for_noise_and_when_no_observation_is_near_in_time(db, settings):
    add_source(db, point_at(db, 100, 135), industry="construction_site")
    noise = add_case(db, category="noise_construction")
    add_wind(db, 135.0)
    assert suspect_service.rank_suspects(db, case_id=noise.id, settings=settings).wind_used is False
    later = add_case(db, opened=OPENED + timedelta(days=2))
    assert suspect_service.rank_suspects(db, case_id=later.id, settings=settings).wind_used is False


def test_a_source_confirmed_for_earlier_cases_nearby_rises(db, settings, make_user):
    near = add_source(db, point_at(db, 500, 90))
    farther = add_source(db, point_at(db, 560, 270))
    case = add_case(db)
    before = suspect_service.rank_suspects(db, case_id=case.id, settings=settings)
    assert ids(before)[0] == near.id
    inspector = make_user("inspector")
    for days in (30, 60):
        earlier = add_case(db, opened=OPENED - timedelta(days=days))
        suspect_service.confirm_source(db, case_id=earlier.id, source_id=farther.id, user_id=inspector.id)
    after = suspect_service.rank_suspects(db, case_id=case.id, settings=settings)
    assert ids(after)[0] == farther.id
    assert after.suspects[0].history["confirmed_same"] == 2
    assert any("confirmed as the source of 2 earlier" in line for line in after.suspects[0].explanation_en)


def test_history_cut_off_hides_confirmations_made_after_it(db, settings, make_user):
    src = add_source(db, point_at(db, 500, 90))
    case = add_case(db)
    earlier = add_case(db, opened=OPENED - timedelta(days=3))
    suspect_service.confirm_source(db, case_id=earlier.id, source_id=src.id, user_id=make_user("inspector").id)
    # The confirmation is stamped now, after the case opened: hidden with the cut-off, seen without.
    hidden = suspect_service.rank_suspects(db, case_id=case.id, settings=settings, history_before=OPENED)
    seen = suspect_service.rank_suspects(db, case_id=case.id, settings=settings)
    assert hidden.suspects[0].history["confirmed_same"] == 0
    assert seen.suspects[0].history["confirmed_same"] == 1


def test_the_case_own_confirmation_does_not_feed_its_history(db, settings, make_user):
    src = add_source(db, point_at(db, 500, 90))
    case = add_case(db)
    suspect_service.confirm_source(db, case_id=case.id, source_id=src.id, user_id=make_user("chief").id)
    ranking = suspect_service.rank_suspects(db, case_id=case.id, settings=settings)
    assert ranking.suspects[0].history["confirmed_same"] == 0
    assert ranking.confirmed_source["source_id"] == src.id


def test_earlier_exceedance_at_a_source_counts_in_its_history(db, settings, make_user):
    src = add_source(db, point_at(db, 500, 90))
    inspection = Inspection(client_id="insp-1", source_id=src.id, inspector_id=make_user("inspector").id)
    db.add(inspection)
    db.flush()
    db.add(Reading(inspection_id=inspection.id, parameter="odour_concentration", value=40, unit="dimensionless",
                   measured_at=OPENED - timedelta(days=10), exceeded=True))
    db.flush()
    case = add_case(db)
    suspect = suspect_service.rank_suspects(db, case_id=case.id, settings=settings).suspects[0]
    assert suspect.history["exceedances"] == 1
    assert any("exceedance" in line for line in suspect.explanation_en)


def test_category_match_beats_a_slightly_nearer_source_that_emits_something_else(db, settings):
    wrong = add_source(db, point_at(db, 300, 0), industry="hospital")
    right = add_source(db, point_at(db, 350, 180), industry="printing")
    case = add_case(db, category="voc")
    ranking = suspect_service.rank_suspects(db, case_id=case.id, settings=settings)
    assert ids(ranking) == [right.id, wrong.id]
    assert ranking.suspects[1].parts["category"] == 0


def test_related_category_gets_partial_credit():
    assert suspect_service.category_match("odour", ["voc"]) == pytest.approx(0.6)
    assert suspect_service.category_match("odour", ["odour", "voc"]) == 1.0
    assert suspect_service.category_match("odour", ["radiation"]) == 0.0


def test_source_categories_default_to_its_industry_row(db, settings):
    src = add_source(db, point_at(db, 200, 45), industry="printing", categories=[])
    case = add_case(db, category="voc")
    suspect = suspect_service.rank_suspects(db, case_id=case.id, settings=settings).suspects[0]
    assert suspect.source_id == src.id and suspect.parts["category"] == 1.0
    db.execute(text("UPDATE industries SET categories = '{noise_industrial}' WHERE code = 'printing'"))
    suspect = suspect_service.rank_suspects(db, case_id=case.id, settings=settings).suspects[0]
    assert suspect.parts["category"] == 0.0


def test_equal_scores_are_ordered_by_distance_then_id(db, settings):
    # Same industry, same distance, no wind: identical scores, so the lower id comes first, every time.
    a = add_source(db, point_at(db, 400, 10))
    b = add_source(db, point_at(db, 400, 10))
    c = add_source(db, point_at(db, 400, 10))
    case = add_case(db, category="wastewater")
    for _ in range(3):
        ranking = suspect_service.rank_suspects(db, case_id=case.id, settings=settings)
        assert ids(ranking) == [a.id, b.id, c.id]
    assert len({s.score for s in ranking.suspects}) == 1


def test_limit_cuts_the_list(db, settings):
    for bearing in range(0, 360, 30):
        add_source(db, point_at(db, 300, bearing))
    case = add_case(db)
    assert len(suspect_service.rank_suspects(db, case_id=case.id, limit=3, settings=settings).suspects) == 3


def test_unknown_case_is_not_found(db, settings):
    with pytest.raises(NotFound):
        suspect_service.rank_suspects(db, case_id=987654, settings=settings)


def test_candidate_query_uses_the_geography_index(db):
    for bearing in range(0, 360, 10):
        add_source(db, point_at(db, 5000, bearing))
    case = add_case(db)
    db.execute(text("SET LOCAL enable_seqscan = off"))  # a tiny table would otherwise be scanned
    candidates = sql.query(suspect_service.__file__, "suspect_candidates").text
    plan = "\n".join(r[0] for r in db.execute(text("EXPLAIN " + candidates), {
        "case_id": case.id, "radius": 3000.0, "category": "odour", "before": None}))
    assert "ix_sources_geog" in plan
