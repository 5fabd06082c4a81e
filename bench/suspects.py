"""Benchmark of suspect ranking on the demo city: quality against the generator's truth, and speed.

Generates the demo city into a private, throw-away PostgreSQL cluster (a temp folder), then:
- quality: hit@1 / hit@3 (the true source ranked first / in the top three) over cases whose
  complaints have a true source, for the full score, for distance alone, and with each factor removed.
  The history factor only sees confirmations made before the case opened (no leaking of the answer);
- plan: EXPLAIN of the candidate query, which must use the spatial index ix_sources_geog;
- speed: time per case at the demo's ~300 sources and after adding synthetic sources up to 30,000.

Run: .venv/bin/python bench/suspects.py [--complaints 5000] [--cases 400]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from sqlalchemy import text

from ecogrid import demo
from ecogrid.core import migrate, sql
from ecogrid.core.database import Database
from ecogrid.core.embedded import EmbeddedCluster
from ecogrid.core.settings import Settings
from ecogrid.sources import suspects

FAST_UNSAFE = ("-c fsync=off", "-c synchronous_commit=off", "-c full_page_writes=off")


def variants(base: Settings) -> dict[str, Settings]:
    w = suspects.weights_of(base)
    out = {"full": base, "distance only": base.model_copy(update={
        "suspect_weight_distance": 1.0, "suspect_weight_category": 0.0, "suspect_weight_wind": 0.0,
        "suspect_weight_history": 0.0})}
    for name in w:
        out[f"without {name}"] = base.model_copy(update={f"suspect_weight_{name}": 0.0})
    return out


def truth_cases(session, max_cases: int) -> list[tuple[int, int]]:
    """(case id, true source id) of cases whose first complaint has a true source, spread over the set."""
    rows = session.execute(text("""
        SELECT DISTINCT ON (c.case_id) c.case_id, t.source_id
        FROM complaints c JOIN demo_truth t ON t.complaint_id = c.id
        WHERE t.source_id IS NOT NULL AND c.case_id IS NOT NULL
        ORDER BY c.case_id, c.received_at
    """)).all()
    step = max(1, len(rows) // max_cases) if max_cases else 1
    return [(r.case_id, r.source_id) for r in rows[::step]][:max_cases or None]


def quality(session, cases, settings_by_name) -> dict[str, tuple[float, float]]:
    results = {}
    for name, s in settings_by_name.items():
        h1 = h3 = 0
        for case_id, truth in cases:
            opened = session.execute(text("SELECT opened_at FROM cases WHERE id = :id"), {"id": case_id}).scalar()
            ranking = suspects.rank_suspects(session, case_id=case_id, limit=3, settings=s, history_before=opened)
            ids = [x.source_id for x in ranking.suspects]
            h1 += bool(ids[:1] == [truth])
            h3 += truth in ids
        results[name] = (h1 / len(cases), h3 / len(cases))
    return results


def explain(session, case_id: int, settings: Settings) -> str:
    case = session.execute(text("SELECT category FROM cases WHERE id = :id"), {"id": case_id}).one()
    radius = settings.suspect_radius_m.get(case.category, 1000.0)
    plan = session.execute(text("EXPLAIN " + sql.query(suspects.__file__, "suspect_candidates").text),
                           {"case_id": case_id, "radius": radius, "category": case.category, "before": None}).all()
    return "\n".join(r[0] for r in plan)


def timing(session, case_ids: list[int], settings: Settings) -> tuple[float, float]:
    for case_id in case_ids[:20]:  # warm the cache
        suspects.rank_suspects(session, case_id=case_id, settings=settings)
    times = []
    for case_id in case_ids:
        t0 = time.perf_counter()
        suspects.rank_suspects(session, case_id=case_id, settings=settings)
        times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.95) - 1]


def add_synthetic_sources(session, total: int) -> int:
    """Scatter sources over a 60 km x 60 km box around the district (about a prefecture city's density)."""
    have = session.execute(text("SELECT count(*) FROM sources")).scalar()
    n = total - have
    session.execute(text("""
        INSERT INTO sources (name, credit_code, industry, categories, key_discharger, geom)
        SELECT '合成企业' || g, 'BENCH' || lpad(g::text, 13, '0'),
               (ARRAY['chemical','printing','furniture','auto_repair','restaurant','construction_site',
                      'concrete_plant','waste_transfer','other'])[1 + g % 9],
               '{}', g % 17 = 0,
               ST_SetSRID(ST_MakePoint(120.42 + (random() - 0.5) * 0.67, 36.12 + (random() - 0.5) * 0.54), 4326)
        FROM generate_series(1, :n) g
    """), {"n": n})
    session.execute(text("ANALYZE sources"))
    return n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--complaints", type=int, default=5000)
    parser.add_argument("--cases", type=int, default=0, help="score at most this many cases (0: all)")
    parser.add_argument("--timing-cases", type=int, default=300)
    parser.add_argument("--keep", action="store_true", help="keep the temp cluster folder")
    args = parser.parse_args()

    data_dir = Path(tempfile.mkdtemp(prefix="ecogrid-bench-suspects-", dir="/tmp"))
    os.chmod(data_dir, 0o755)
    cluster = EmbeddedCluster(data_dir, extra_options=FAST_UNSAFE)
    try:
        cluster.ensure_running()
        database = Database.from_url(cluster.url())
        migrate.upgrade(database.engine)
        settings = Settings(database_url=cluster.url())
        with database.sessionmaker() as session:
            t0 = time.perf_counter()
            result = demo.generate(session, complaints=args.complaints)
            session.commit()
            session.execute(text("ANALYZE"))
            print(f"demo city: {result.summary} ({time.perf_counter() - t0:.1f} s)")

            cases = truth_cases(session, args.cases)
            print(f"\nquality over {len(cases)} cases with a true source (history only before each case opened)")
            print(f"{'scoring':<20} {'hit@1':>6} {'hit@3':>6}")
            for name, (h1, h3) in quality(session, cases, variants(settings)).items():
                print(f"{name:<20} {h1:6.3f} {h3:6.3f}")

            case_ids = [c for c, _ in cases][: args.timing_cases]
            plan = explain(session, case_ids[0], settings)
            print("\nEXPLAIN (candidate query):\n" + plan)
            print(f"uses ix_sources_geog: {'ix_sources_geog' in plan}")

            n_sources = session.execute(text("SELECT count(*) FROM sources")).scalar()
            med, p95 = timing(session, case_ids, settings)
            print(f"\n{n_sources} sources: {med:.2f} ms per case (median), p95 {p95:.2f} ms, {len(case_ids)} cases")
            added = add_synthetic_sources(session, 30_000)
            session.commit()
            n_sources = session.execute(text("SELECT count(*) FROM sources")).scalar()
            plan = explain(session, case_ids[0], settings)
            print(f"added {added} synthetic sources; uses ix_sources_geog: {'ix_sources_geog' in plan}")
            med, p95 = timing(session, case_ids, settings)
            avg = session.execute(text("""
                SELECT avg(n) FROM (SELECT count(s.id) n FROM cases c JOIN sources s
                ON ST_DWithin(s.geom::geography, c.geom::geography, 3000) WHERE c.id = ANY(:ids) GROUP BY c.id) x
            """), {"ids": case_ids}).scalar()
            print(f"{n_sources} sources: {med:.2f} ms per case (median), p95 {p95:.2f} ms "
                  f"(~{float(avg or 0):.0f} sources within 3 km of a case)")
        database.dispose()
    finally:
        cluster.stop()
        if not args.keep:
            shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
