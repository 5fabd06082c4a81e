"""Bulk complaint import (a hotline platform's export), set-based, with the same rules as the API.

The file is read by ``import_readers`` (CSV in UTF-8 or GBK, .xlsx) and its columns are turned into
ecogrid's fields by an ``import_mapping.ImportMapping`` (columns, value maps, defaults); ``received_at``
is read by ``import_dates``. Every problem of a refused row is reported with the file's own value.
With ``check`` everything below runs inside a savepoint that is rolled back (a dry run).

Rows are checked a column at a time in Python and coordinates converted in one vectorised call per
coordinate system; the first row of each channel + external_ref in the file is kept and the rows are
put in time order, then COPYed into a temporary staging table. In one psycopg pipeline the server then
drops rows stored before, finds the nearest eligible case already in the database
(``intake.eligible_case_sql``, geography GiST index on cases; skipped when no case could be eligible)
and assigns zones by the rules of ``ecogrid_zone_at`` and ``ecogrid_nearest_zone``, while the repeat
sweep runs here.

Repeat linking follows time order. A complaint that can join a case already in the database does so.
The rest are linked in one sweep in time order over the batch (``_sweep``): each joins the nearest
earlier case founded in the batch within its category's radius, or founds one, exactly as one-by-one
intake would. One difference remains: a complaint that can join an existing case does so even when a
complaint earlier in the same batch founded a nearer case. Distances in the sweep are haversine
(sphere), in SQL geography (spheroid): they differ by well under 1 % at the radius. Cases, complaints
and their history are then written by INSERT ... SELECT from the staging tables, keyed by the row's
place in time order. A repeat that joins a case closed within the window reopens it as rework, by the
same function as one-by-one intake (``casework.reopen_on_repeats``).
"""

from __future__ import annotations

import csv
import gc
import io
import math
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
from psycopg import sql as psql
from sqlalchemy import Exists, and_, any_, cast, column, exists, func, select, table, text, update
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session

from ecogrid.calendar import service as calendar_service
from ecogrid.cases import deadlines
from ecogrid.cases import service as casework
from ecogrid.cases.states import Status
from ecogrid.complaints import import_mapping as mappings
from ecogrid.complaints import import_readers as readers
from ecogrid.complaints import intake, limits
from ecogrid.complaints.import_dates import DateColumn
from ecogrid.complaints.import_mapping import ImportMapping
from ecogrid.core import sql, text_rules
from ecogrid.core.errors import InvalidInput, RowError
from ecogrid.core.export_cells import export_row
from ecogrid.core.models import Case, Complaint
from ecogrid.core.settings import Settings, get_settings
from ecogrid.core.time import BEIJING
from ecogrid.core.vocabulary import Category, Channel, Kind
from ecogrid.zones import service as zone_service
from geo import coords

FIELDS = mappings.FIELDS
_CHANNELS = {c.value for c in Channel}
_KINDS = {k.value for k in Kind}
_CATEGORIES = {c.value for c in Category}

Progress = Callable[[str, int, int], None]


@dataclass
class ImportReport:
    rows: int = 0
    stored: int = 0
    duplicates: int = 0
    repeats: int = 0
    new_cases: int = 0
    reopened: int = 0  # closed cases a repeat in the file reopened (返工)
    out_of_jurisdiction: int = 0
    errors: list[RowError] = field(default_factory=list)  # every problem of every refused row
    # Values of coded fields that are neither codes nor in the value map: field -> value -> rows.
    unmapped: dict[str, dict[str, int]] = field(default_factory=dict)
    checked: bool = False  # a dry run: everything was done and then rolled back
    skipped: int = 0  # rows whose value a value map sends to null (not the bureau's business)

    @property
    def refused(self) -> int:
        """Rows refused (a row with several problems counts once)."""
        return len({e.row for e in self.errors})

    def refused_by_reason(self) -> list[tuple[str, str, int]]:
        """(field, reason, rows) for every kind of problem, most frequent first."""
        counts = Counter((e.field, e.reason) for e in self.errors)
        return [(f, r, n) for (f, r), n in sorted(counts.items(), key=lambda item: (-item[1], item[0]))]


def load_mapping(pairs: Iterable[str] = (), mapping_file: Path | None = None) -> ImportMapping:
    """Field -> column(s) from a mapping file and/or ``field=column`` pairs (pairs win)."""
    return mappings.load(mapping_file=mapping_file, pairs=pairs)


class _DueAt:
    """First deadlines for many rows: the working-day count depends only on the local day (and on
    whether the clock starts at midnight), so it is computed once per channel, urgency and day."""

    def __init__(self, calendar: deadlines.WorkCalendar) -> None:
        self._calendar = calendar
        self._cache: dict[tuple[str, str, Any, bool], tuple[bool, datetime]] = {}

    def __call__(self, channel: str, urgency: str, received_at: datetime) -> datetime:
        local = received_at.astimezone(BEIJING)
        midnight = local.time() == datetime.min.time()
        key = (channel, urgency, local.date(), midnight)
        hit = self._cache.get(key)
        if hit is None:
            noon = local.replace(hour=12, minute=0, second=0, microsecond=0)
            working = deadlines.is_working_day(local.date(), self._calendar) and not midnight
            probe = intake.first_due_at(channel=channel, urgency=urgency, received_at=noon if working else local,
                                        calendar=self._calendar)
            hit = (working, probe)
            self._cache[key] = hit
        shifts_with_time, probe = hit
        if not shifts_with_time:
            return probe
        # Same local time of day as received, on the computed day (calendar days and working days alike).
        return probe.replace(hour=local.hour, minute=local.minute, second=local.second,
                             microsecond=local.microsecond)


Batch = dict[str, list[Any]]


def _check_columns(fields: dict[str, list[str]], n: int, *, default_channel: str | None,
                   default_crs: str, dates: DateColumn | None = None,
                   ) -> tuple[Batch, dict[int, list[tuple[str, str]]]]:
    """The good rows as typed values, a list per field (``index`` holds each one's place in the
    input), and every problem of each bad row (index -> [(field, reason)], in the order of the checks).
    ``fields`` holds the text of each field, a list per field (absent fields may be missing). Checks run
    a column at a time in a fixed order; the value itself is reported beside the reason."""
    errors: dict[int, list[tuple[str, str]]] = {}
    blank = [""] * n
    dates = dates or DateColumn(received_at_format=None, zone=BEIJING)

    def fail(i: int, name: str, reason: str) -> None:
        errors.setdefault(i, []).append((name, reason))

    def column(name: str) -> list[str]:
        return [v.strip() for v in fields.get(name, blank)]

    # Control characters first, as in ``intake.validate``: the other reasons quote the value.
    for name in FIELDS:
        for i, v in enumerate(fields.get(name, ())):
            bad = text_rules.unsafe_character(v)
            if bad:
                fail(i, name, f"contains a control character ({bad})")
    cols: dict[str, list[Any]] = {}
    cols["channel"] = [v or default_channel or "" for v in column("channel")]
    cols["kind"] = [v or "complaint" for v in column("kind")]
    cols["category"] = column("category")
    cols["urgency"] = [v or "ordinary" for v in column("urgency")]
    for name, allowed, what in (("channel", _CHANNELS, "channel"), ("kind", _KINDS, "kind"),
                                ("category", _CATEGORIES, "category"), ("urgency", intake.URGENCIES, "urgency")):
        for i, v in enumerate(cols[name]):
            if v not in allowed:
                fail(i, name, f"unknown {what}" if v else f"{what} is required")
    cols["description"] = column("description")
    for i, v in enumerate(cols["description"]):
        if not v:
            fail(i, "description", "description is required")
    cols["external_ref"] = column("external_ref")
    for i, v in enumerate(cols["external_ref"]):
        if not v:
            fail(i, "external_ref", "external_ref is required so that a re-run stores nothing twice")
    for name in ("address", "complainant_name", "complainant_phone"):
        cols[name] = [v or None for v in column(name)]
    for name, limit in limits.MAX_LENGTHS.items():
        for i, v in enumerate(cols.get(name, ())):
            if v and len(v) > limit:
                fail(i, name, f"longer than {limit} characters")
    cols["crs"] = [v or default_crs for v in column("crs")]
    for i, v in enumerate(cols["crs"]):
        if v not in coords.CRS_NAMES:
            fail(i, "crs", "unknown coordinate system")
    lon_s, lat_s = column("lon"), column("lat")
    located = [bool(a or b) for a, b in zip(lon_s, lat_s, strict=True)]
    numbers: dict[str, np.ndarray] = {}
    for name, texts in (("lon", lon_s), ("lat", lat_s)):
        values = np.full(n, np.nan)
        number = list(located)  # rows where this coordinate is a number (each coordinate reports its own fault)
        for i, value in enumerate(texts):
            if located[i]:
                try:
                    values[i] = float(value)
                except ValueError:
                    fail(i, name, "not a number")
                    number[i] = False
        numbers[name] = values
        # Out of range or not finite (nan, inf): refused like any other bad value.
        bound = 180.0 if name == "lon" else 90.0
        with np.errstate(invalid="ignore"):
            bad = ~np.isfinite(values) | (np.abs(values) > bound)
        for i in np.flatnonzero(bad).tolist():
            if number[i]:
                fail(i, name, f"not a valid {name}")
    for i in range(n):
        if not (lon_s[i] or lat_s[i]) and not cols["address"][i]:
            fail(i, "lon", "a location (lon, lat) or an address is required")
    cols["lon"], cols["lat"] = numbers["lon"].tolist(), numbers["lat"].tolist()
    received = column("received_at")
    cols["received_at"], refused = dates.parse(received)
    for i, value in enumerate(received):
        if not value:
            fail(i, "received_at", "received_at is required")
        elif i in refused:
            fail(i, "received_at", refused[i])
    keep = [i for i in range(n) if i not in errors]
    batch: Batch = {name: [values[i] for i in keep] for name, values in cols.items()}
    # Rows with an address only have no coordinates (their parsed values are NaN).
    located_kept = [bool(lon_s[i] or lat_s[i]) for i in keep]
    for name in ("lon", "lat"):
        batch[name] = [v if ok else None for v, ok in zip(batch[name], located_kept, strict=True)]
    batch["index"] = keep
    return batch, errors


# The staging table's columns after ``ord`` (place in time order), with their types: one list for the
# table and for the binary COPY, which must match it exactly.
_STAGE = (("pos", "int4"), ("channel", "text"), ("kind", "text"), ("category", "text"), ("description", "text"),
          ("received_at", "timestamptz"), ("external_ref", "text"), ("address", "text"),
          ("complainant_name", "text"), ("complainant_phone", "text"), ("urgency", "text"),
          ("orig_lon", "float8"), ("orig_lat", "float8"), ("orig_crs", "text"), ("lon", "float8"),
          ("lat", "float8"))


@contextmanager
def _cycle_collector_paused() -> Iterator[None]:
    """An import holds a few hundred thousand small objects until it ends and makes no cycles worth
    collecting; left on, the cycle collector walks them all again and again (a tenth of the import)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _import_columns(session: Session, *, texts: dict[str, list[str]], n: int, mapping: ImportMapping,
                    default_crs: str, created_by_id: int | None, settings: Settings | None,
                    progress: Progress | None, row_numbers: list[int], check: bool = False) -> ImportReport:
    settings = settings or get_settings()
    default_crs = zone_service.normalise_crs(mapping.defaults.get("crs") or default_crs)
    report = ImportReport(checked=check)
    report.rows = n
    if progress:
        progress("checking rows", 0, report.rows)
    originals = texts
    texts, report.unmapped, skip = _mapped(texts, n, mapping)
    if skip:
        keep = [i for i in range(n) if i not in skip]
        report.skipped = len(skip)
        originals = {name: [values[i] for i in keep] for name, values in originals.items()}
        texts = {name: [values[i] for i in keep] for name, values in texts.items()}
        row_numbers = [row_numbers[i] for i in keep]
        n = len(keep)
    dates = DateColumn(received_at_format=mapping.received_at_format, zone=mapping.zone)
    batch, errors = _check_columns(texts, n, default_channel=mapping.defaults.get("channel"),
                                   default_crs=default_crs, dates=dates)
    blank = [""] * n
    report.errors = [RowError(row_numbers[i], name, reason, originals.get(name, blank)[i])
                     for i, problems in sorted(errors.items()) for name, reason in problems]
    _convert(batch)
    if progress:
        progress("checking" if check else "storing", report.rows, report.rows)
    if batch["index"]:
        if check:
            # Everything a real import does (zones, repeats, rows stored before), then undone. Sequence
            # numbers drawn for new cases are not given back: a dry run leaves gaps in case ids.
            savepoint = session.begin_nested()
            try:
                _store(session, batch=batch, report=report, created_by_id=created_by_id, settings=settings)
            finally:
                savepoint.rollback()
        else:
            _store(session, batch=batch, report=report, created_by_id=created_by_id, settings=settings)
    return report


def _mapped(texts: dict[str, list[str]], n: int,
            mapping: ImportMapping) -> tuple[dict[str, list[str]], dict[str, dict[str, int]], set[int]]:
    """The texts with blank cells given the mapping's defaults and coded fields translated by its value
    maps, and the values of coded fields that are neither codes nor in a value map (with their rows).

    Each distinct value is looked up once: in the value map as written, then ignoring case and repeated
    spaces, then as one of ecogrid's own codes, then the map's ``*`` entry. An unmapped value is left as
    it is, so that the row is refused as an unknown code with the file's own value beside it. Rows whose
    value is mapped to None are returned by place, to be skipped."""
    out = dict(texts)
    skip: set[int] = set()
    for name, default in mapping.defaults.items():
        column = out.get(name)
        out[name] = [default] * n if column is None else [v if v.strip() else default for v in column]
    unmapped: dict[str, dict[str, int]] = {}
    for name, codes in mappings.CODES.items():
        column = out.get(name)
        if column is None:
            continue
        table = mapping.values.get(name, {})
        folded = {" ".join(k.split()).casefold(): v for k, v in table.items()}
        fallback = table.get(mappings.FALLBACK)
        translated: dict[str, str] = {}
        missing: set[str] = set()
        skipped: set[str] = set()
        for v in column:
            if v in translated:
                continue
            key = v.strip()
            folded_key = " ".join(key.split()).casefold()
            if key in table or folded_key in folded:
                code = table[key] if key in table else folded[folded_key]
            elif key in codes or not key:
                code = key
            elif mappings.FALLBACK in table:
                code = fallback
            else:
                missing.add(v)
                code = v
            if code is None:
                skipped.add(v)
            translated[v] = v if code is None else code
        result = [translated[v] for v in column]
        if skipped:
            skip.update(i for i, v in enumerate(column) if v in skipped)
        if missing:
            unmapped[name] = dict(Counter(v.strip() for v in column if v in missing).most_common())
        out[name] = result
    return out, unmapped, skip


def _convert(batch: Batch) -> None:
    """WGS-84 for every located row, one vectorised transform per coordinate system; the input is
    kept as ``orig_lon``, ``orig_lat`` and ``orig_crs``."""
    batch["orig_lon"], batch["orig_lat"], batch["orig_crs"] = batch["lon"], batch["lat"], batch["crs"]
    lons, lats = list(batch["lon"]), list(batch["lat"])
    by_crs: dict[str, list[int]] = {}
    for p, (lon, crs) in enumerate(zip(lons, batch["crs"], strict=True)):
        if lon is not None and crs != "wgs84":
            by_crs.setdefault(crs, []).append(p)
    for crs, group in by_crs.items():
        x, y = coords.to_wgs84_many(np.array([lons[p] for p in group]), np.array([lats[p] for p in group]), crs)
        for p, lon, lat in zip(group, x.tolist(), y.tolist(), strict=True):
            lons[p], lats[p] = lon, lat
    batch["lon"], batch["lat"] = lons, lats


def _store(session: Session, *, batch: Batch, report: ImportReport, created_by_id: int | None,
           settings: Settings) -> None:
    run = session.execute
    # Sorts of a whole batch fit in memory; JIT compilation costs more than it saves on these statements.
    run(text("SELECT set_config('work_mem', '64MB', true), set_config('jit', 'off', true)"))
    # Dropped explicitly as well: inside an outer transaction ON COMMIT never comes.
    run(text("DROP TABLE IF EXISTS pg_temp.stage, pg_temp.stage_zone, pg_temp.stage_link"))
    # Time order and the first row of each channel + external_ref in the file are settled here; the
    # server then only drops rows stored before and finds eligible cases already in the database.
    kept = _first_of_each_reference(batch)
    report.duplicates = len(batch["index"]) - len(kept)
    received = batch["received_at"]
    kept.sort(key=lambda p: (received[p], p))
    run(sql.query(__file__, "create_stage"))
    cursor = _cursor(session)
    radius_of = _radius_by_category(settings)
    columns = [[batch[name][p] for p in kept] for name, _ in _STAGE[1:]]
    radii = [radius_of[batch["category"][p]] for p in kept]
    # Binary COPY: the values need no text formatting here (a third of the time of text COPY).
    names = [psql.Identifier(name) for name in ("ord", *(name for name, _ in _STAGE), "radius")]
    with cursor.copy(psql.SQL("COPY stage ({}) FROM STDIN (FORMAT BINARY)").format(psql.SQL(", ").join(names))) as copy:
        copy.set_types(["int4", *(kind for _, kind in _STAGE), "float8"])
        for values in zip(range(1, len(kept) + 1), kept, *columns, radii, strict=True):
            copy.write_row(values)
    window_days = settings.repeat_closed_window_days
    # Only when some case could be eligible for some row (a cheap test on the looser conditions) is the
    # per-row search run: a first import into an empty or unrelated area then skips it altogether.
    any_eligible = session.scalar(select(_any_eligible_case(window_days=window_days)))
    calendar = calendar_service.current(session)
    # In one pipeline: rows stored before are dropped, the nearest eligible case already in the database
    # is found (geography GiST index on cases), then the zones. Zones are found zone by zone: each zone's
    # polygon probes a GiST index on the batch's points, so PostGIS reuses its prepared polygon across
    # that zone's points (several times faster than one probe of the zone index per point). Meanwhile the
    # repeat sweep runs here on the guess that no row was stored before or joins a case in the database
    # (true of a new export into a new area); when the server says otherwise, it runs again on the real rows.
    staged = [_Staged(ord_, p, None) for ord_, p in enumerate(kept, start=1)]
    points = list(zip(batch["kind"], batch["category"], batch["lon"], batch["lat"], strict=True))
    connection = cursor.connection
    with connection.pipeline():
        dropped = connection.execute("""
            DELETE FROM stage s USING complaints c WHERE c.channel = s.channel AND c.external_ref = s.external_ref
            RETURNING s.ord
        """)
        joined = connection.execute(_existing_case_sql(window_days=window_days)) if any_eligible else None
        connection.execute("CREATE INDEX ON stage USING gist (geom)")
        connection.execute(sql.query(__file__, "stage_zones").text)
        founder_of, founders = _sweep(staged=staged, points=points, settings=settings)
        due_at = _first_deadlines(staged=staged, batch=batch, founders=founders, calendar=calendar)
        stored_before = {o for (o,) in dropped.fetchall()}
        joins = dict(joined.fetchall()) if joined is not None else {}
        if stored_before or joins:
            staged = [_Staged(s.ord, s.pos, joins.get(s.ord)) for s in staged if s.ord not in stored_before]
            report.duplicates += len(stored_before)
            founder_of, founders = _sweep(staged=staged, points=points, settings=settings)
            due_at = _first_deadlines(staged=staged, batch=batch, founders=founders, calendar=calendar)
    if not staged:
        return
    links = _link(session, staged=staged, batch=batch, founder_of=founder_of, founders=founders, due_at=due_at)
    run(text("""CREATE TEMP TABLE stage_link (ord bigint PRIMARY KEY, case_id int, is_repeat bool, founder bool,
                                                repeats int, last_at timestamptz, due_at timestamptz)
                ON COMMIT DROP"""))
    with cursor.copy("COPY stage_link (ord, case_id, is_repeat, founder, repeats, last_at, due_at) FROM STDIN"
                     " (FORMAT BINARY)") as copy:
        copy.set_types(["int8", "int4", "bool", "bool", "int4", "timestamptz", "timestamptz"])
        for link in links:
            copy.write_row(link)
    run(text("ANALYZE stage_link"))
    run(sql.query(__file__, "insert_founded_cases"))
    run(sql.query(__file__, "count_existing_repeats"))
    totals = session.execute(sql.query(__file__, "store_staged"), {"by": created_by_id}).one()
    report.stored, report.repeats, report.new_cases = totals.stored, totals.repeats, totals.new_cases
    report.out_of_jurisdiction = totals.outside
    report.reopened = len(_reopen_joined_cases(session, created_by_id=created_by_id))
    run(text("DROP TABLE IF EXISTS pg_temp.stage, pg_temp.stage_zone, pg_temp.stage_link"))


_stage = table("stage", column("ord"), column("kind"), column("category"), column("lon"), column("geom"),
               column("radius"), column("received_at"), column("existing_case_id"))


def _reopen_joined_cases(session: Session, *, created_by_id: int | None) -> list[int]:
    """The closed cases this batch's repeats joined, reopened by the one rule of every intake
    (``casework.reopen_on_repeats``)."""
    staged = table("stage", column("channel"), column("external_ref"), column("existing_case_id"))
    rows = session.execute(
        select(Complaint.case_id, Complaint.id, Complaint.received_at)
        .join(staged, and_(staged.c.channel == Complaint.channel, staged.c.external_ref == Complaint.external_ref))
        .join(Case, Case.id == Complaint.case_id)
        .where(staged.c.existing_case_id.is_not(None), Case.status == Status.closed.value)).all()
    joins = [casework.RepeatJoin(case_id=case_id, complaint_id=ident, received_at=at)
             for case_id, ident, at in rows if case_id is not None]
    return casework.reopen_on_repeats(session, joins=joins, actor_id=created_by_id)


def _any_eligible_case(*, window_days: int) -> Exists:
    """Whether any case could be eligible for some staged row: the eligibility rule with the batch's
    categories and time span in place of each row's (no distance test)."""
    k = Case.__table__.alias("k")
    located = (select(func.array_agg(_stage.c.category.distinct()).label("cats"),
                      func.min(_stage.c.received_at).label("lo"), func.max(_stage.c.received_at).label("hi"))
               .where(_stage.c.kind == Kind.complaint.value, _stage.c.lon.is_not(None)).subquery("b"))
    return exists().select_from(k).select_from(located).where(
        k.c.kind == Kind.complaint.value, k.c.category == any_(located.c.cats), k.c.geom.is_not(None),
        k.c.opened_at <= located.c.hi, intake.still_joinable_sql(k, at=located.c.lo, window_days=window_days))


def _existing_case_sql(*, window_days: int) -> str:
    """The nearest eligible case already in the database of each located complaint that has one, by
    ``intake.eligible_case_sql``; rendered for the driver's connection, where it runs in pipeline mode
    (every value in it is a fixed constant or a setting's number)."""
    k = Case.__table__.alias("k")
    r = _stage.alias("r")
    nearest = (select(k.c.id)
               .where(intake.eligible_case_sql(k, category=r.c.category, point=r.c.geom, radius=r.c.radius,
                                               at=r.c.received_at, window_days=window_days))
               .order_by(func.ST_Distance(cast(k.c.geom, intake.GEOGRAPHY), cast(r.c.geom, intake.GEOGRAPHY)), k.c.id)
               .limit(1).scalar_subquery())
    e = (select(r.c.ord, nearest.label("case_id"))
         .where(r.c.kind == Kind.complaint.value, r.c.geom.is_not(None)).subquery("e"))
    statement = (update(_stage).values(existing_case_id=e.c.case_id)
                 .where(e.c.case_id.is_not(None), _stage.c.ord == e.c.ord)
                 .returning(_stage.c.ord, e.c.case_id))
    return str(statement.compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True}))


def _radius_by_category(settings: Settings) -> dict[str, float]:
    return {category: intake.repeat_radius_m(settings, category) for category in _CATEGORIES}


def _first_of_each_reference(batch: Batch) -> list[int]:
    """Places of the rows kept: the first in the file of each channel + external_ref."""
    seen: set[tuple[str, str]] = set()
    kept = []
    for p, key in enumerate(zip(batch["channel"], batch["external_ref"], strict=True)):
        if key not in seen:
            seen.add(key)
            kept.append(p)
    return kept


class _Staged(NamedTuple):
    ord: int  # place in time order
    pos: int  # place in the batch
    existing_case_id: int | None


def _cursor(session: Session) -> Any:
    return session.connection().connection.driver_connection.cursor()  # type: ignore[union-attr]


def _sweep(*, staged: list[_Staged], points: list[tuple[str, str, float | None, float | None]],
           settings: Settings) -> tuple[dict[int, int], list[int]]:
    """Founder of every row of the sweep that joins one (ord -> founder's ord), and the founders.

    Rows that found an eligible case in the database join it. The other located complaints are swept
    once in time order: each joins the nearest earlier founder of its category within its radius, or
    founds a case. Founders sit in a per-category hash of cells at least one radius wide, so each
    complaint compares itself only with the founders of the 3 x 3 cells around it (O(n) overall).
    Everything else (consultations, suggestions, rows with an address only) founds a case.
    ``points`` holds (kind, category, lon, lat) by place in the batch."""
    located = [points[s.pos] for s in staged if s.existing_case_id is None and points[s.pos][0] == "complaint"
               and points[s.pos][2] is not None]
    max_lat = min(89.0, max((abs(p[3]) for p in located if p[3] is not None), default=0.0))
    lon_scale = 111_320.0 * math.cos(math.radians(max_lat))
    radii = _radius_by_category(settings)
    # Per category: cell -> founders as (ord, lon, lat, lat in radians, its cosine), so the haversine
    # below (the same operations as coords.haversine_m, hence the same distances) reuses them.
    cells: dict[str, dict[tuple[int, int], list[tuple[int, float, float, float, float]]]] = {}
    founder_of: dict[int, int] = {}  # ord -> founder's ord, for rows of the sweep that join a founder
    founders: list[int] = []
    earth = 2.0 * coords.EARTH_MEAN_RADIUS_M
    radians, sin, cos, asin, sqrt, floor = math.radians, math.sin, math.cos, math.asin, math.sqrt, math.floor
    offsets = [(dx, dy) for dx in (-1, 0, 1) for dy in (-1, 0, 1)]
    for s in staged:
        if s.existing_case_id is not None:
            continue
        kind, category, lon, lat = points[s.pos]
        if kind != "complaint" or lon is None or lat is None:  # lat is None exactly when lon is
            founders.append(s.ord)
            continue
        radius = radii[category]
        # A great-circle distance is at least the latitude difference (as an arc): founders further
        # than the radius in latitude alone are passed over without the trigonometry (with a margin).
        max_d_lat = math.degrees(radius / coords.EARTH_MEAN_RADIUS_M) * (1.0 + 1e-9) + 1e-12
        size_lat, size_lon = radius / 111_320.0, radius / lon_scale
        cx, cy = int(floor(lon / size_lon)), int(floor(lat / size_lat))
        grid = cells.get(category)
        if grid is None:
            grid = cells[category] = {}
        phi1 = radians(lat)
        cos1 = cos(phi1)
        best: tuple[float, int] | None = None
        for dx, dy in offsets:
            for f_ord, f_lon, f_lat, phi2, cos2 in grid.get((cx + dx, cy + dy), ()):
                if abs(f_lat - lat) > max_d_lat:
                    continue
                h = sin((phi2 - phi1) / 2.0) ** 2 + cos1 * cos2 * sin(radians(f_lon - lon) / 2.0) ** 2
                d = earth * asin(min(1.0, sqrt(h)))
                if d <= radius and (best is None or (d, f_ord) < best):
                    best = (d, f_ord)
        if best is None:
            grid.setdefault((cx, cy), []).append((s.ord, lon, lat, phi1, cos1))
            founders.append(s.ord)
        else:
            founder_of[s.ord] = best[1]
    return founder_of, founders


def _first_deadlines(*, staged: list[_Staged], batch: Batch, founders: list[int],
                     calendar: deadlines.WorkCalendar) -> dict[int, datetime]:
    """First deadline of each case founded in the batch (founder's ord -> due at)."""
    received, channel, urgency = batch["received_at"], batch["channel"], batch["urgency"]
    pos_of = {s.ord: s.pos for s in staged}
    due = _DueAt(calendar)
    return {f: due(channel[pos_of[f]], urgency[pos_of[f]], received[pos_of[f]]) for f in founders}


def _link(session: Session, *, staged: list[_Staged], batch: Batch, founder_of: dict[int, int], founders: list[int],
          due_at: dict[int, datetime]) -> list[tuple[int, int, bool, bool, int, datetime | None, datetime | None]]:
    """Case of every staged row, as (ord, case_id, is_repeat, founder, repeats, last repeat at, first deadline)."""
    ids = session.scalars(text("SELECT nextval('cases_id_seq') FROM generate_series(1, :n) ORDER BY 1"),
                          {"n": len(founders)}).all() if founders else []
    case_of = dict(zip(founders, ids, strict=True))
    received = batch["received_at"]
    repeats: dict[int, int] = {}
    last_at: dict[int, datetime] = {}
    links: list[tuple[int, int, bool, bool, int, datetime | None, datetime | None]] = []
    for s in staged:
        if s.existing_case_id is not None:
            links.append((s.ord, s.existing_case_id, True, False, 0, None, None))
        elif s.ord in founder_of:
            f = founder_of[s.ord]
            repeats[f] = repeats.get(f, 0) + 1
            # Staged rows come in time order, so the last repeat seen is the latest.
            last_at[f] = received[s.pos]
            links.append((s.ord, case_of[f], True, False, 0, None, None))
    links.extend((f, case_of[f], False, True, repeats.get(f, 0), last_at.get(f), due_at[f]) for f in founders)
    return links


_NEEDED = ("external_ref", "category", "description", "received_at")


def _columns_of(table: readers.Table, mapping: ImportMapping) -> dict[str, list[str]]:
    """The text of each field, a list per field. A field read from several columns joins their
    non-blank values; a field the mapping does not name is read from a column of its own name if
    there is one, and left out otherwise. A missing column of a field every row needs (and that has no
    default) is one clear error instead of every row refused; other missing columns are left out, so
    one mapping serves exports with and without, say, the complainant's phone."""
    position = {name.strip(): i for i, name in enumerate(table.header)}  # the last of repeated names
    rows = table.rows
    texts: dict[str, list[str]] = {}
    for name in FIELDS:
        columns = mapping.columns(name)
        places = [position.get(c) for c in columns]
        if None in places:
            if name in mapping.fields and name in _NEEDED and name not in mapping.defaults:
                missing = [c for c, i in zip(columns, places, strict=True) if i is None]
                raise InvalidInput(f"{name}: no column {', '.join(map(repr, missing))} in the file "
                                   f"(its columns: {', '.join(h for h in table.header if h)})", field=name)
            continue
        found = [i for i in places if i is not None]  # all of them, by the test above
        if len(found) == 1:
            i = found[0]
            texts[name] = [r[i] for r in rows]
        else:
            texts[name] = [mappings.JOINER.join(v for v in (r[i].strip() for i in found) if v) for r in rows]
    return texts


def errors_csv(errors: list[RowError]) -> str:
    """The error report as CSV text: one line for each problem (row, field, value, reason)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["row", "field", "value", "reason"])
    for e in errors:
        # Values and reasons quote what was refused, and the report is opened in a spreadsheet.
        writer.writerow(export_row([e.row, e.field, e.value, e.reason]))
    return out.getvalue()


def write_errors(path: Path, errors: list[RowError]) -> Path:
    """``NAME.errors.csv`` beside the imported file (UTF-8 with BOM, so Excel shows Chinese)."""
    stem = path.name
    for suffix in (".csv", ".xlsx", ".txt"):
        if stem.lower().endswith(suffix):
            stem = stem[: -len(suffix)]
            break
    target = path.with_name(stem + ".errors.csv")
    target.write_text(errors_csv(errors), encoding="utf-8-sig", newline="")
    return target


def import_file(session: Session, *, source: Path | bytes, mapping: ImportMapping, check: bool = False,
                default_crs: str = "wgs84", created_by_id: int | None = None, settings: Settings | None = None,
                progress: Progress | None = None) -> ImportReport:
    """Import an export (CSV or .xlsx, from a path or its bytes) as the mapping says; with ``check``
    everything is done and then rolled back, and the report says what would have happened."""
    with _cycle_collector_paused():
        table = readers.read_table(source, encoding=mapping.encoding, sheet=mapping.sheet)
        texts = _columns_of(table, mapping)
        return _import_columns(session, texts=texts, n=len(table.rows), mapping=mapping, default_crs=default_crs,
                               created_by_id=created_by_id, settings=settings, progress=progress,
                               row_numbers=table.numbers, check=check)


def import_csv(session: Session, *, path: Path, mapping: Mapping[str, str] | ImportMapping,
               default_channel: str | None = None, default_crs: str = "wgs84", created_by_id: int | None = None,
               settings: Settings | None = None, progress: Progress | None = None,
               check: bool = False) -> tuple[ImportReport, Path]:
    """Import a file; the per-row error report is written beside it as ``NAME.errors.csv``."""
    if not isinstance(mapping, ImportMapping):
        mapping = mappings.from_pairs(mapping)
    if default_channel:
        mapping = mappings.with_defaults(mapping, {"channel": default_channel})
    report = import_file(session, source=Path(path), mapping=mapping, check=check, default_crs=default_crs,
                         created_by_id=created_by_id, settings=settings, progress=progress)
    return report, write_errors(Path(path), report.errors)
