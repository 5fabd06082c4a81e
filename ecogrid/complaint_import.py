"""Bulk complaint import (the hotline's CSV export), set-based, with the same rules as the API.

Rows are checked in Python (cheap per-row checks only), coordinates converted in one vectorised call
per coordinate system, then COPYed into a temporary staging table. Everything after that is SQL over
the whole batch: duplicates (channel + external_ref, in the batch and in the database) dropped, the
zone assigned with ``ecogrid_zone_at``, repeats linked, cases and complaints inserted, histories written.

Repeat linking follows time order. Each complaint first looks for an eligible case already in the
database (``intake.ELIGIBLE_CASE_SQL``, nearest first), in one set-based UPDATE. The rest are linked
in one sweep in time order over the batch (``_link_within_batch``): each joins the nearest earlier
case founded in the batch within its category's radius, or founds one, exactly as one-by-one intake
would. One difference remains: a complaint that can join an existing case does so even when a
complaint earlier in the same batch founded a nearer case. Distances in the sweep are haversine
(sphere), in SQL geography (spheroid): they differ by well under 1 % at the radius.
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import text
from sqlalchemy.orm import Session

from ecogrid import intake
from ecogrid import zones as zone_service
from ecogrid.errors import InvalidInput
from ecogrid.settings import Settings, get_settings
from ecogrid.vocabulary import Category, Channel, Kind
from ecogrid.workflow import deadlines
from geo import coords

FIELDS = ("channel", "kind", "category", "description", "received_at", "external_ref", "address",
          "complainant_name", "complainant_phone", "lon", "lat", "crs", "urgency")
_CHANNELS = {c.value for c in Channel}
_KINDS = {k.value for k in Kind}
_CATEGORIES = {c.value for c in Category}

Progress = Callable[[str, int, int], None]


@dataclass
class RowError:
    row: int
    field: str
    reason: str


@dataclass
class ImportReport:
    rows: int = 0
    stored: int = 0
    duplicates: int = 0
    repeats: int = 0
    new_cases: int = 0
    out_of_jurisdiction: int = 0
    errors: list[RowError] = field(default_factory=list)


def load_mapping(pairs: Iterable[str] = (), mapping_file: Path | None = None) -> dict[str, str]:
    """Field -> CSV column, from a JSON file and/or ``field=column`` pairs (pairs win)."""
    mapping: dict[str, str] = {}
    if mapping_file:
        mapping.update(json.loads(Path(mapping_file).read_text(encoding="utf-8")))
    for pair in pairs:
        name, sep, column = pair.partition("=")
        if not sep:
            raise InvalidInput(f"mapping {pair!r} is not field=column", field="map")
        mapping[name.strip()] = column.strip()
    unknown = set(mapping) - set(FIELDS)
    if unknown:
        raise InvalidInput(f"unknown field(s) in mapping: {', '.join(sorted(unknown))}", field="map")
    return mapping


class _DueAt:
    """First deadlines for many rows: the working-day count depends only on the local day (and on
    whether the clock starts at midnight), so it is computed once per channel, urgency and day."""

    def __init__(self) -> None:
        self._cache: dict[tuple[str, str, Any, bool], tuple[bool, datetime]] = {}

    def __call__(self, channel: str, urgency: str, received_at: datetime) -> datetime:
        local = received_at.astimezone(intake.SHANGHAI)
        midnight = local.time() == datetime.min.time()
        key = (channel, urgency, local.date(), midnight)
        hit = self._cache.get(key)
        if hit is None:
            noon = local.replace(hour=12, minute=0, second=0, microsecond=0)
            working = deadlines.is_working_day(local.date()) and not midnight
            probe = intake.first_due_at(channel=channel, urgency=urgency, received_at=noon if working else local)
            hit = (working, probe)
            self._cache[key] = hit
        shifts_with_time, probe = hit
        if not shifts_with_time:
            return probe
        # Same local time of day as received, on the computed day (calendar days and working days alike).
        return probe.replace(hour=local.hour, minute=local.minute, second=local.second,
                             microsecond=local.microsecond)


def _parse_time(value: str) -> datetime:
    value = value.strip().replace("/", "-")
    moment = datetime.fromisoformat(value)
    return intake.normalise_received_at(moment)


def _check_row(raw: dict[str, str], *, default_channel: str | None, default_crs: str) -> dict[str, Any]:
    """One row as typed values, or InvalidInput naming the field."""
    def get(name: str) -> str:
        return (raw.get(name) or "").strip()

    row: dict[str, Any] = {}
    row["channel"] = get("channel") or default_channel or ""
    if row["channel"] not in _CHANNELS:
        raise InvalidInput(f"unknown channel {row['channel']!r}", field="channel")
    row["kind"] = get("kind") or "complaint"
    if row["kind"] not in _KINDS:
        raise InvalidInput(f"unknown kind {row['kind']!r}", field="kind")
    row["category"] = get("category")
    if row["category"] not in _CATEGORIES:
        raise InvalidInput(f"unknown category {row['category']!r}", field="category")
    row["urgency"] = get("urgency") or "ordinary"
    if row["urgency"] not in intake.URGENCIES:
        raise InvalidInput(f"unknown urgency {row['urgency']!r}", field="urgency")
    row["description"] = get("description")
    if not row["description"]:
        raise InvalidInput("description is required", field="description")
    row["external_ref"] = get("external_ref")
    if not row["external_ref"]:
        raise InvalidInput("external_ref is required so that a re-run stores nothing twice", field="external_ref")
    for name in ("address", "complainant_name", "complainant_phone"):
        row[name] = get(name) or None
    for name, limit in intake.MAX_LENGTHS.items():
        if row.get(name) and len(row[name]) > limit:
            raise InvalidInput(f"longer than {limit} characters", field=name)
    crs = get("crs") or default_crs
    if crs not in coords.CRS_NAMES:
        raise InvalidInput(f"unknown coordinate system {crs!r}", field="crs")
    row["crs"] = crs
    lon_s, lat_s = get("lon"), get("lat")
    if lon_s or lat_s:
        for name, text_value, limit in (("lon", lon_s, 180.0), ("lat", lat_s, 90.0)):
            try:
                number = float(text_value)
            except ValueError:
                raise InvalidInput(f"not a number: {text_value!r}", field=name) from None
            if not math.isfinite(number) or not -limit <= number <= limit:
                raise InvalidInput(f"{text_value} is not a valid {name}", field=name)
            row[name] = number
    elif not row["address"]:
        raise InvalidInput("a location (lon, lat) or an address is required", field="lon")
    else:
        row["lon"] = row["lat"] = None
    received = get("received_at")
    if not received:
        raise InvalidInput("received_at is required", field="received_at")
    try:
        row["received_at"] = _parse_time(received)
    except ValueError:
        raise InvalidInput(f"not a date and time: {received!r}", field="received_at") from None
    return row


_STAGE_COLUMNS = ("seq", "channel", "kind", "category", "description", "received_at", "external_ref", "address",
                  "complainant_name", "complainant_phone", "urgency", "orig_lon", "orig_lat", "orig_crs", "lon",
                  "lat", "due_at")


def import_rows(session: Session, *, rows: Iterable[dict[str, str]], default_channel: str | None = None,
                default_crs: str = "wgs84", created_by_id: int | None = None, settings: Settings | None = None,
                progress: Progress | None = None, first_row_number: int = 2) -> ImportReport:
    """Import mapped rows (field -> text) in one transaction; bad rows are reported, not stored."""
    settings = settings or get_settings()
    default_crs = zone_service.normalise_crs(default_crs)
    report = ImportReport()
    good: list[dict[str, Any]] = []
    for number, raw in enumerate(rows, start=first_row_number):
        report.rows += 1
        try:
            row = _check_row(raw, default_channel=default_channel, default_crs=default_crs)
        except InvalidInput as exc:
            report.errors.append(RowError(number, exc.field or "", exc.message))
            continue
        row["seq"] = number
        good.append(row)
        if progress and report.rows % 5000 == 0:
            progress("checking rows", report.rows, 0)
    _convert(good)
    due = _DueAt()
    for row in good:
        row["due_at"] = due(row["channel"], row["urgency"], row["received_at"])
    if progress:
        progress("storing", report.rows, report.rows)
    if good:
        _store(session, rows=good, report=report, created_by_id=created_by_id, settings=settings)
    return report


def _convert(rows: list[dict[str, Any]]) -> None:
    """WGS-84 for every located row, one vectorised transform per coordinate system."""
    by_crs: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        row["orig_lon"], row["orig_lat"], row["orig_crs"] = row["lon"], row["lat"], row["crs"]
        if row["lon"] is not None:
            by_crs.setdefault(row["crs"], []).append(row)
    for crs, group in by_crs.items():
        lons, lats = coords.to_wgs84_many(np.array([r["lon"] for r in group]), np.array([r["lat"] for r in group]),
                                          crs)
        for row, lon, lat in zip(group, lons.tolist(), lats.tolist(), strict=True):
            row["lon"], row["lat"] = lon, lat


def _store(session: Session, *, rows: list[dict[str, Any]], report: ImportReport, created_by_id: int | None,
           settings: Settings) -> None:
    run = session.execute
    # Dropped explicitly as well: inside an outer transaction ON COMMIT never comes.
    run(text("DROP TABLE IF EXISTS pg_temp.stage_raw, pg_temp.stage, pg_temp.stored"))
    run(text("""
        CREATE TEMP TABLE stage_raw (seq int, channel text, kind text, category text, description text,
            received_at timestamptz, external_ref text, address text, complainant_name text,
            complainant_phone text, urgency text, orig_lon float8, orig_lat float8, orig_crs text,
            lon float8, lat float8, due_at timestamptz) ON COMMIT DROP
    """))
    cursor = session.connection().connection.driver_connection.cursor()  # type: ignore[union-attr]
    with cursor.copy(f"COPY stage_raw ({', '.join(_STAGE_COLUMNS)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row([row[c] for c in _STAGE_COLUMNS])
    radii = json.dumps(settings.repeat_radius_m)
    # Duplicates: the first row of a channel + external_ref in the file, and none already stored.
    run(text("""
        CREATE TEMP TABLE stage ON COMMIT DROP AS
        SELECT r.*, p.g AS geom, ecogrid_zone_at(p.g) AS zone_id,
               COALESCE((CAST(:radii AS jsonb) ->> r.category)::float8, 100) AS radius,
               row_number() OVER (ORDER BY r.received_at, r.seq) AS ord,
               NULL::int AS case_id, false AS founder, false AS is_repeat, false AS joined_existing,
               NULL::int AS nearest_zone_id, NULL::float8 AS nearest_zone_distance_m
        FROM (SELECT DISTINCT ON (channel, external_ref) * FROM stage_raw ORDER BY channel, external_ref, seq) r
        CROSS JOIN LATERAL (SELECT CASE WHEN r.lon IS NULL THEN NULL
                                   ELSE ST_SetSRID(ST_MakePoint(r.lon, r.lat), 4326) END AS g) p
        WHERE NOT EXISTS (SELECT 1 FROM complaints c WHERE c.channel = r.channel AND c.external_ref = r.external_ref)
    """), {"radii": radii})
    run(text("CREATE INDEX ON stage USING gist ((geom::geography))"))
    run(text("CREATE UNIQUE INDEX ON stage (ord)"))
    run(text("ANALYZE stage"))
    staged = session.scalar(text("SELECT count(*) FROM stage")) or 0
    report.duplicates = len(rows) - staged

    run(text("""
        UPDATE stage s SET nearest_zone_id = n.id, nearest_zone_distance_m = n.d
        FROM stage t CROSS JOIN LATERAL (
            SELECT near.id, ST_Distance(near.geom::geography, t.geom::geography) AS d
            FROM (SELECT z.id, z.geom, z.code FROM zones z ORDER BY z.geom <-> t.geom LIMIT 8) near
            ORDER BY d, near.code LIMIT 1) n
        WHERE s.ord = t.ord AND t.zone_id IS NULL AND t.geom IS NOT NULL
    """))
    # Repeats of cases already in the database.
    eligible = intake.ELIGIBLE_CASE_SQL.format(k="k", cat="s.category", pt="s.geom", r="s.radius", at="s.received_at")
    run(text(f"""
        UPDATE stage s SET case_id = (
            SELECT k.id FROM cases k WHERE {eligible}
            ORDER BY ST_Distance(k.geom::geography, s.geom::geography), k.id LIMIT 1)
        WHERE s.kind = 'complaint' AND s.geom IS NOT NULL
          AND EXISTS (SELECT 1 FROM cases k WHERE {eligible})
    """), {"window_days": settings.repeat_closed_window_days})
    run(text("UPDATE stage SET is_repeat = true, joined_existing = true WHERE case_id IS NOT NULL"))
    run(text("""UPDATE stage SET founder = true, case_id = nextval('cases_id_seq')
                WHERE case_id IS NULL AND (kind <> 'complaint' OR geom IS NULL)"""))
    _link_within_batch(session)

    run(text("""
        INSERT INTO cases (id, kind, category, status, urgency, channel, zone_id, geom, opened_at, due_at,
                           last_complaint_at, repeat_count)
        SELECT f.case_id, f.kind, f.category, 'registered', f.urgency, f.channel, f.zone_id, f.geom, f.received_at,
               f.due_at, COALESCE(j.last_at, f.received_at), COALESCE(j.n, 0)
        FROM stage f LEFT JOIN (SELECT case_id, count(*) AS n, max(received_at) AS last_at FROM stage
                                WHERE is_repeat GROUP BY case_id) j ON j.case_id = f.case_id
        WHERE f.founder ORDER BY f.ord
    """))
    run(text("""
        UPDATE cases k SET repeat_count = k.repeat_count + j.n,
                           last_complaint_at = GREATEST(k.last_complaint_at, j.last_at)
        FROM (SELECT case_id, count(*) AS n, max(received_at) AS last_at FROM stage s
              WHERE joined_existing GROUP BY case_id) j
        WHERE k.id = j.case_id
    """))
    run(text("""
        CREATE TEMP TABLE stored ON COMMIT DROP AS WITH ins AS (
            INSERT INTO complaints (case_id, channel, kind, category, description, received_at, external_ref, address,
                complainant_name, complainant_phone, geom, orig_lon, orig_lat, orig_crs, zone_id, out_of_jurisdiction,
                nearest_zone_id, nearest_zone_distance_m, is_repeat, urgency, created_by_id)
            SELECT case_id, channel, kind, category, description, received_at, external_ref, address,
                   complainant_name, complainant_phone, geom, orig_lon, orig_lat, orig_crs, zone_id,
                   nearest_zone_id IS NOT NULL, nearest_zone_id, nearest_zone_distance_m, is_repeat, urgency, :by
            FROM stage ORDER BY ord
            ON CONFLICT (channel, external_ref) DO NOTHING
            RETURNING id, case_id, is_repeat, channel, out_of_jurisdiction)
        SELECT * FROM ins
    """), {"by": created_by_id})
    run(text("""
        INSERT INTO case_events (case_id, actor_id, action, from_status, to_status, note, data)
        SELECT s.case_id, :by, CASE WHEN s.is_repeat THEN 'repeat' ELSE 'register' END,
               CASE WHEN s.is_repeat THEN k.status END, k.status,
               CASE WHEN s.is_repeat THEN 'repeat complaint via ' ELSE 'registered from ' END
                   || s.channel || ' (import)',
               jsonb_build_object('complaint_id', s.id)
        FROM stored s JOIN cases k ON k.id = s.case_id ORDER BY s.id
    """), {"by": created_by_id})
    totals = session.execute(text("""
        SELECT count(*) AS stored, count(*) FILTER (WHERE is_repeat) AS repeats,
               count(*) FILTER (WHERE NOT is_repeat) AS new_cases,
               count(*) FILTER (WHERE out_of_jurisdiction) AS outside FROM stored
    """)).one()
    report.stored, report.repeats, report.new_cases = totals.stored, totals.repeats, totals.new_cases
    report.out_of_jurisdiction = totals.outside
    run(text("DROP TABLE IF EXISTS pg_temp.stage_raw, pg_temp.stage, pg_temp.stored"))


def _link_within_batch(session: Session) -> None:
    """One pass in time order over the batch's unresolved complaints (those that joined no existing
    case): each joins the nearest earlier founder of its category within its radius, or founds a case.
    Founders are kept in a per-category hash of cells at least one radius wide, so each complaint
    compares itself only with the founders of the 3 x 3 cells around it."""
    rows = session.execute(text("""SELECT ord, category, ST_X(geom) AS lon, ST_Y(geom) AS lat, radius FROM stage
                                   WHERE case_id IS NULL ORDER BY ord""")).all()
    if not rows:
        return
    max_lat = min(89.0, max(abs(r.lat) for r in rows))
    lon_scale = 111_320.0 * math.cos(math.radians(max_lat))
    cells: dict[tuple[str, int, int], list[tuple[int, float, float]]] = {}
    links: list[tuple[int, int | None]] = []
    for r in rows:
        size_lat, size_lon = r.radius / 111_320.0, r.radius / lon_scale
        cx, cy = int(math.floor(r.lon / size_lon)), int(math.floor(r.lat / size_lat))
        best: tuple[float, int] | None = None
        for dx in (-1, 0, 1):
            for dy in (-1, 0, 1):
                for f_ord, f_lon, f_lat in cells.get((r.category, cx + dx, cy + dy), ()):
                    d = coords.haversine_m(r.lon, r.lat, f_lon, f_lat)
                    if d <= r.radius and (best is None or (d, f_ord) < best):
                        best = (d, f_ord)
        if best is None:
            cells.setdefault((r.category, cx, cy), []).append((r.ord, r.lon, r.lat))
            links.append((r.ord, None))
        else:
            links.append((r.ord, best[1]))
    session.execute(text("CREATE TEMP TABLE stage_link (ord bigint, founder_ord bigint) ON COMMIT DROP"))
    cursor = session.connection().connection.driver_connection.cursor()  # type: ignore[union-attr]
    with cursor.copy("COPY stage_link (ord, founder_ord) FROM STDIN") as copy:
        for link in links:
            copy.write_row(link)
    session.execute(text("""UPDATE stage s SET founder = true, case_id = nextval('cases_id_seq') FROM stage_link l
                            WHERE l.ord = s.ord AND l.founder_ord IS NULL"""))
    session.execute(text("""UPDATE stage u SET is_repeat = true, case_id = f.case_id
                            FROM stage_link l JOIN stage f ON f.ord = l.founder_ord WHERE u.ord = l.ord"""))
    session.execute(text("DROP TABLE stage_link"))


def read_csv(path: Path, mapping: dict[str, str]) -> Iterable[dict[str, str]]:
    """Rows of a CSV (UTF-8, with or without BOM) as field -> text using the column mapping."""
    with open(path, newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        columns = {name: mapping.get(name, name) for name in FIELDS}
        for raw in reader:
            yield {name: raw.get(column) or "" for name, column in columns.items()}


def write_errors(path: Path, errors: list[RowError]) -> Path:
    target = path.with_name(path.name.removesuffix(".csv") + ".errors.csv")
    with open(target, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["row", "field", "reason"])
        for e in errors:
            writer.writerow([e.row, e.field, e.reason])
    return target


def import_csv(session: Session, *, path: Path, mapping: dict[str, str], default_channel: str | None = None,
               default_crs: str = "wgs84", created_by_id: int | None = None, settings: Settings | None = None,
               progress: Progress | None = None) -> tuple[ImportReport, Path]:
    """Import a CSV file; the per-row error report is written beside it as ``NAME.errors.csv``."""
    report = import_rows(session, rows=read_csv(path, mapping), default_channel=default_channel,
                         default_crs=default_crs, created_by_id=created_by_id, settings=settings, progress=progress)
    return report, write_errors(path, report.errors)
