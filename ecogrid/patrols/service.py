"""Patrol planning flows: risk ranking, the "double random" draw, its approval and publication,
conflicts of interest, and day routes from the office and back.

The pure algorithms live in ``geo.double_random`` and ``geo.routing``; the spatial SQL in
``geo.patrol_risk``. This module loads their inputs, stores what they return (one
transaction per call) and answers in plain dicts.

Which inspection "does" a stop or a drawn target: an inspection linked to it explicitly
(``inspections.patrol_target_id``, set with :func:`mark_stop_done` or by the inspection form);
otherwise, automatically, an inspection of the same source by one of the target's inspectors
(any inspector when the stop names none) on the route's date (Asia/Shanghai), or, for a draw,
at or after the time of the draw.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from ecogrid.core import audit, sql
from ecogrid.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from ecogrid.core.export_cells import export_row
from ecogrid.core.models import Inspection, InspectorConflict, PatrolPlan, PatrolTarget, Source, User
from ecogrid.core.settings import Settings
from ecogrid.core.time import BEIJING, as_aware
from ecogrid.patrols import risk as patrol_risk
from ecogrid.zones import query_bounds
from geo import coords, double_random, routing
from geo.bbox import BBox

ROUTE_ALGORITHM = "geo.routing.plan_route/nn+2opt+oropt/haversine"
MAX_ROUTE_STOPS = 200
CONFLICT_DECLARERS = ("chief", "admin")


# --- risk ranking -----------------------------------------------------------------------------

def _weights(settings: Settings) -> patrol_risk.RiskWeights:
    return patrol_risk.RiskWeights(
        complaints=settings.patrol_weight_complaints,
        cases=settings.patrol_weight_cases,
        exceedances=settings.patrol_weight_exceedances,
        key_discharger=settings.patrol_weight_key_discharger,
        days_since_inspection=settings.patrol_weight_days_since_inspection,
    )


def _window(session: Session, settings: Settings, start: datetime | None,
            end: datetime | None) -> tuple[datetime, datetime]:
    now = datetime.now(UTC)
    end = _aware(end) if end else now
    start = _aware(start) if start else end - timedelta(days=settings.patrol_window_days)
    if start >= end:
        raise InvalidInput("'from' must be before 'to'", field="from")
    bounded, _ = query_bounds.bound_period(session, start=start, end=end, now=now,
                                           max_days=settings.max_period_days)
    return bounded or start, end


_aware = as_aware  # a time without offset is Beijing time (ecogrid.core.time)


def rank_targets(session: Session, *, settings: Settings, zone: str | None = None, start: datetime | None = None,
                 end: datetime | None = None, bbox: BBox | None = None, limit: int = 50, offset: int = 0,
                 cells: int = 20) -> dict[str, Any]:
    """Sources ranked by risk with every factor shown, and the densest hotspot cells.

    The cells cover the jurisdiction (the zones, or zone ``zone``), cut to ``bbox`` when given;
    with no zones there are no cells.
    """
    _check_zone(session, zone=zone)
    start, end = _window(session, settings, start, end)
    srid = coords.utm_srid(settings.office_lon, settings.office_lat)
    area = query_bounds.grid_area(session, bbox=bbox, zone=zone)
    if area is not None:
        query_bounds.check_grid_size(session, area=area, cell_m=settings.patrol_cell_size_m, srid=srid,
                                     max_cells=settings.max_grid_cells, field="bbox")
    items, total = patrol_risk.rank_sources(
        session, start=start, end=end, radii_m=settings.suspect_radius_m,
        half_life_days=settings.patrol_half_life_days, gap_cap_days=settings.patrol_inspection_gap_cap_days,
        weights=_weights(settings), zone=zone, limit=limit, offset=offset,
    )
    hot = [] if area is None else patrol_risk.hotspot_cells(
        session, start=start, end=end, half_life_days=settings.patrol_half_life_days,
        cell_size_m=settings.patrol_cell_size_m, min_weight=settings.patrol_cell_min_complaints,
        srid=srid, area=area, zone=zone, limit=cells,
    )
    return {
        "items": [{
            "kind": "source", "source_id": r.source_id, "name": r.name, "credit_code": r.credit_code,
            "industry": r.industry, "unit_class": r.unit_class, "key_discharger": r.key_discharger,
            "score": r.score, "factors": r.factors, "parts": r.parts,
            "last_inspected_at": r.last_inspected_at,
            "geometry": {"type": "Point", "coordinates": [r.lon, r.lat]},
        } for r in items],
        "total": total,
        "cells": [{
            "kind": "cell", "cell": c.cell, "score": c.score, "complaints": c.complaints,
            "weighted_complaints": c.weighted_complaints, "unresolved_cases": c.unresolved_cases,
            "centre": {"type": "Point", "coordinates": [c.lon, c.lat]}, "geometry": c.polygon,
        } for c in hot],
        "window": {"from": start, "to": end, "half_life_days": settings.patrol_half_life_days},
        "area": None if area is None else area.as_tuple(),
        "weights": _weights(settings).as_dict(),
    }


def _check_zone(session: Session, *, zone: str | None) -> None:
    if zone is not None and not session.execute(text("SELECT 1 FROM zones WHERE code = :c"), {"c": zone}).first():
        raise InvalidInput(f"no zone with code {zone!r}", field="zone")


# --- the double-random draw -------------------------------------------------------------------

def create_draw(session: Session, *, settings: Settings, actor_id: int | None, actor_name: str,
                seed: int | None = None, zone: str | None = None, industry: str | None = None,
                unit_classes: Sequence[str] | None = None, rates: dict[str, float] | None = None,
                inspectors_per_target: int = double_random.MIN_INSPECTORS_PER_TARGET,
                weighted_by_risk: bool = False, quarter: str | None = None) -> PatrolPlan:
    """Draw targets and inspectors from the current lists and store the draw, replayable."""
    _check_zone(session, zone=zone)
    if unit_classes is not None:
        unknown = sorted(set(unit_classes) - set(double_random.UNIT_CLASSES))
        if unknown or not unit_classes:
            raise InvalidInput(f"unit_classes must be among {', '.join(double_random.UNIT_CLASSES)}; "
                               f"got {list(unit_classes)!r}", field="unit_classes")
    try:
        merged_rates = {**double_random.load_sampling_rates(), **(rates or {})}
        if unit_classes is not None:
            # A class left out of the list is not drawn at all this time.
            merged_rates = {cls: (r if cls in unit_classes else 0.0) for cls, r in merged_rates.items()}
    except double_random.DrawInputError as exc:
        raise InvalidInput(str(exc), field=exc.field) from exc

    rows = session.execute(sql.query(__file__, "draw_population"), {"zone": zone, "industry": industry,
           "classes": list(unit_classes) if unit_classes is not None else None}).all()
    if not rows:
        raise InvalidInput("no regulated unit matches these filters", field="zone" if zone else "industry")
    weights: dict[int, float] = {}
    if weighted_by_risk:
        start, end = _window(session, settings, None, None)
        ranked, _ = patrol_risk.rank_sources(
            session, start=start, end=end, radii_m=settings.suspect_radius_m,
            half_life_days=settings.patrol_half_life_days, gap_cap_days=settings.patrol_inspection_gap_cap_days,
            weights=_weights(settings), source_ids=[r.id for r in rows], limit=None,
        )
        weights = {r.source_id: r.score for r in ranked}
    units = [double_random.RegulatedUnit(id=r.id, unit_class=r.unit_class,
                                         risk_weight=weights.get(r.id, 0.0) if weighted_by_risk else None)
             for r in rows]
    inspectors = list(session.scalars(
        select(User.id).where(User.role == "inspector", User.active.is_(True), User.qualified.is_(True))
        .order_by(User.id)))
    unit_ids = [u.id for u in units]
    conflicts = [(c.user_id, c.source_id) for c in session.execute(
        select(InspectorConflict.user_id, InspectorConflict.source_id)
        .where(InspectorConflict.source_id.in_(unit_ids), InspectorConflict.user_id.in_(inspectors)))]

    try:
        canonical = double_random.canonical_inputs(
            units=units, inspectors=inspectors, conflicts=conflicts, rates=merged_rates,
            inspectors_per_target=inspectors_per_target, weighted_by_risk=weighted_by_risk)
        result = double_random.replay(stored_inputs=canonical,
                                      seed=double_random.generate_seed() if seed is None else seed)
    except double_random.NotEnoughInspectors as exc:
        name = session.scalar(select(Source.name).where(Source.id == exc.unit_id))
        raise Conflict(f"unit {exc.unit_id} ({name}) has {exc.eligible} eligible inspector(s) without a "
                       f"conflict of interest; {exc.required} are required per check", field="inspectors") from exc
    except double_random.DrawInputError as exc:
        raise InvalidInput(str(exc), field=exc.field) from exc

    filters = {"zone": zone, "industry": industry, "unit_classes": list(unit_classes) if unit_classes else None,
               "rates_override": rates or None, "quarter": quarter}
    plan = PatrolPlan(
        kind="draw", seed=result.seed, status="drawn", created_by_id=actor_id,
        inputs={"canonical": canonical, "filters": filters, "drawn_by": actor_name,
                "risk_window_days": settings.patrol_window_days if weighted_by_risk else None},
        inputs_digest=result.inputs_digest,
        result=_result_json(result),
    )
    session.add(plan)
    session.flush()
    points = patrol_risk.load_stop_points(session, source_ids=[int(t.unit_id) for t in result.targets])
    for seq, target in enumerate(result.targets, start=1):
        lon, lat = points[int(target.unit_id)]
        session.add(PatrolTarget(plan_id=plan.id, source_id=target.unit_id, seq=seq,
                                 inspector_ids=list(target.inspector_ids), geom=f"SRID=4326;POINT({lon} {lat})"))
    audit.record(session, actor_id=actor_id, actor_name=actor_name, action="patrol.draw", entity="patrol_plan",
                 entity_id=plan.id, detail={"seed": result.seed, "inputs_digest": result.inputs_digest,
                                            "targets": len(result.targets), "filters": filters})
    session.commit()
    return plan


def _result_json(result: double_random.Draw) -> dict[str, Any]:
    return {
        "algorithm": result.algorithm,
        "targets": [{"source_id": t.unit_id, "unit_class": t.unit_class, "inspector_ids": list(t.inspector_ids)}
                    for t in result.targets],
        "counts": {cls: {"population": c.population, "drawn": c.drawn, "rate": c.rate}
                   for cls, c in result.counts.items()},
    }


def get_plan(session: Session, *, plan_id: int, kind: str) -> PatrolPlan:
    plan = session.get(PatrolPlan, plan_id)
    if plan is None or plan.kind != kind:
        raise NotFound(f"no patrol {kind} {plan_id}")
    return plan


def describe_draw(session: Session, *, plan: PatrolPlan) -> dict[str, Any]:
    targets = session.scalars(select(PatrolTarget).where(PatrolTarget.plan_id == plan.id)
                              .order_by(PatrolTarget.seq)).all()
    by_source = {t["source_id"]: t for t in plan.result.get("targets", [])}
    return {
        "id": plan.id, "kind": plan.kind, "seed": plan.seed, "status": plan.status,
        "algorithm": plan.result.get("algorithm"), "inputs_digest": plan.inputs_digest,
        "quarter": plan.inputs.get("filters", {}).get("quarter"),
        "filters": plan.inputs.get("filters", {}),
        "targets": [{"target_id": t.id, "source_id": t.source_id,
                     "unit_class": by_source.get(t.source_id, {}).get("unit_class"),
                     "inspector_ids": t.inspector_ids} for t in targets],
        "counts": plan.result.get("counts", {}),
        "lists": {"units": len(plan.inputs.get("canonical", {}).get("units", [])),
                  "inspectors": len(plan.inputs.get("canonical", {}).get("inspectors", [])),
                  "conflicts": len(plan.inputs.get("canonical", {}).get("conflicts", []))},
        "created_by_id": plan.created_by_id, "created_at": plan.created_at,
        "approved_by_id": plan.approved_by_id, "approved_at": plan.approved_at,
    }


def verify_draw(session: Session, *, plan_id: int) -> dict[str, Any]:
    """Replay a stored draw from its stored inputs and seed; say whether everything still matches."""
    plan = get_plan(session, plan_id=plan_id, kind="draw")
    canonical = plan.inputs.get("canonical", {})
    digest_ok = double_random.digest_of_canonical(canonical) == plan.inputs_digest
    try:
        replayed = double_random.replay(stored_inputs=canonical, seed=int(plan.seed or 0))
    except double_random.DrawInputError as exc:
        return {"id": plan.id, "match": False, "digest_match": digest_ok, "result_match": False,
                "targets_match": False, "reason": str(exc)}
    expected = _result_json(replayed)
    result_ok = expected == plan.result
    rows = session.execute(select(PatrolTarget.source_id, PatrolTarget.inspector_ids)
                           .where(PatrolTarget.plan_id == plan.id).order_by(PatrolTarget.seq)).all()
    targets_ok = [(r.source_id, list(r.inspector_ids)) for r in rows] == [
        (t["source_id"], t["inspector_ids"]) for t in expected["targets"]]
    return {"id": plan.id, "seed": plan.seed, "algorithm": replayed.algorithm,
            "inputs_digest": plan.inputs_digest, "match": digest_ok and result_ok and targets_ok,
            "digest_match": digest_ok, "result_match": result_ok, "targets_match": targets_ok}


def approve_draw(session: Session, *, plan_id: int, actor_id: int | None, actor_name: str) -> PatrolPlan:
    plan = get_plan(session, plan_id=plan_id, kind="draw")
    if plan.status != "drawn":
        raise Conflict(f"draw {plan_id} is {plan.status}; only a drawn plan can be approved", field="status")
    plan.status = "approved"
    plan.approved_by_id = actor_id
    plan.approved_at = datetime.now(UTC)
    audit.record(session, actor_id=actor_id, actor_name=actor_name, action="patrol.approve",
                 entity="patrol_plan", entity_id=plan.id, detail={"inputs_digest": plan.inputs_digest})
    session.commit()
    return plan


def declare_conflict(session: Session, *, user_id: int, source_id: int, reason: str | None,
                     actor_id: int | None, actor_role: str, actor_name: str) -> InspectorConflict:
    """Record that an inspector steps aside for a unit (idempotent: a repeat updates the reason)."""
    if actor_role not in CONFLICT_DECLARERS and actor_id != user_id:
        raise Forbidden("only a chief, an admin or the inspector themself may declare a conflict")
    if session.get(User, user_id) is None:
        raise InvalidInput(f"no user {user_id}", field="user_id")
    if session.get(Source, source_id) is None:
        raise InvalidInput(f"no source {source_id}", field="source_id")
    row = session.get(InspectorConflict, (user_id, source_id))
    if row is None:
        row = InspectorConflict(user_id=user_id, source_id=source_id, reason=reason)
        session.add(row)
    else:
        row.reason = reason
    audit.record(session, actor_id=actor_id, actor_name=actor_name, action="patrol.conflict",
                 entity="source", entity_id=source_id, detail={"user_id": user_id})
    session.commit()
    return row





def _stops(session: Session, *, plan: PatrolPlan) -> list[dict[str, Any]]:
    on_date = plan.planned_for.astimezone(BEIJING).date() if plan.kind == "route" and plan.planned_for else None
    after = plan.created_at if plan.kind == "draw" else None
    rows = session.execute(sql.query(__file__, "plan_stops"),
                           {"tz": BEIJING.key, "plan_id": plan.id, "on_date": on_date, "after": after}).mappings()
    return [dict(r) for r in rows]


def _user_names(session: Session, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    return {u.id: u.full_name or u.username for u in session.scalars(select(User).where(User.id.in_(ids)))}


def publish_draw(session: Session, *, settings: Settings, plan_id: int) -> dict[str, Any]:
    """The public list of an approved draw: unit, credit code, date checked, inspectors, result.

    Nothing about complaints or complainants is read. Targets not yet inspected are listed with
    status "pending" and no date; ``complete`` says whether every target has been checked.
    """
    plan = get_plan(session, plan_id=plan_id, kind="draw")
    if plan.status != "approved":
        raise Conflict(f"draw {plan_id} is not approved; only approved draws are published", field="status")
    stops = _stops(session, plan=plan)
    names = _user_names(session, {int(i) for s in stops for i in s["inspector_ids"]})
    items = []
    for s in stops:
        checked = s["inspected_at"].astimezone(BEIJING).date() if s["inspected_at"] else None
        items.append({
            "unit_name": s["name"], "credit_code": s["credit_code"], "unit_class": s["unit_class"],
            "inspectors": [names.get(int(i), str(i)) for i in s["inspector_ids"]],
            "status": "done" if s["inspection_id"] else "pending",
            "checked_on": checked.isoformat() if checked else None,
            "conclusion": s["conclusion"],
            "publish_by": (checked + timedelta(days=settings.patrol_publish_within_days)).isoformat()
            if checked else None,
        })
    return {"draw_id": plan.id, "quarter": plan.inputs.get("filters", {}).get("quarter"),
            "drawn_at": plan.created_at, "approved_at": plan.approved_at, "seed": plan.seed,
            "inputs_digest": plan.inputs_digest,
            "complete": all(i["status"] == "done" for i in items), "items": items, "total": len(items)}


# --- routes -----------------------------------------------------------------------------------

def create_route(session: Session, *, settings: Settings, actor_id: int | None, actor_name: str, on: date,
                 source_ids: Sequence[int] | None = None, draw_id: int | None = None,
                 inspector_ids: Sequence[int] | None = None) -> PatrolPlan:
    """Order the day's stops as a closed tour from the office and store it as a route plan."""
    if (source_ids is None) == (draw_id is None):
        raise InvalidInput("give either source_ids or draw_id", field="source_ids")
    per_stop_inspectors: dict[int, list[int]] = {}
    if draw_id is not None:
        draw = get_plan(session, plan_id=draw_id, kind="draw")
        rows = session.execute(select(PatrolTarget.source_id, PatrolTarget.inspector_ids)
                               .where(PatrolTarget.plan_id == draw.id).order_by(PatrolTarget.seq)).all()
        ids = [int(r.source_id) for r in rows]
        per_stop_inspectors = {int(r.source_id): [int(i) for i in r.inspector_ids] for r in rows}
    else:
        ids = list(dict.fromkeys(int(i) for i in source_ids or []))
    if not ids:
        raise InvalidInput("a route needs at least one stop", field="source_ids" if draw_id is None else "draw_id")
    if len(ids) > MAX_ROUTE_STOPS:
        raise InvalidInput(f"at most {MAX_ROUTE_STOPS} stops per route, got {len(ids)}", field="source_ids")
    points = patrol_risk.load_stop_points(session, source_ids=ids)
    missing = [i for i in ids if i not in points]
    if missing:
        raise InvalidInput(f"no source with id {missing}", field="source_ids")
    team: list[int] = []
    if inspector_ids:
        team = list(dict.fromkeys(int(i) for i in inspector_ids))
        found = set(session.scalars(select(User.id).where(User.id.in_(team), User.role == "inspector",
                                                          User.active.is_(True))))
        unknown = [i for i in team if i not in found]
        if unknown:
            raise InvalidInput(f"not active inspectors: {unknown}", field="inspector_ids")
    office = (settings.office_lon, settings.office_lat)
    route = routing.plan_route(office=office, stops=[points[i] for i in ids])
    ordered = [ids[k] for k in route.order]
    plan = PatrolPlan(
        kind="route", status="planned", created_by_id=actor_id, total_m=round(route.total_m, 1),
        planned_for=datetime.combine(on, time(0, 0), tzinfo=BEIJING),
        inputs={"date": on.isoformat(), "source_ids": ids, "draw_id": draw_id, "inspector_ids": team,
                "office": list(office), "algorithm": ROUTE_ALGORITHM, "planned_by": actor_name},
        result={"order": ordered, "legs_m": [round(x, 1) for x in route.legs_m],
                "total_m": round(route.total_m, 1)},
    )
    session.add(plan)
    session.flush()
    for seq, source_id in enumerate(ordered, start=1):
        lon, lat = points[source_id]
        session.add(PatrolTarget(plan_id=plan.id, source_id=source_id, seq=seq,
                                 inspector_ids=team or per_stop_inspectors.get(source_id, []),
                                 geom=f"SRID=4326;POINT({lon} {lat})"))
    audit.record(session, actor_id=actor_id, actor_name=actor_name, action="patrol.route", entity="patrol_plan",
                 entity_id=plan.id, detail={"stops": len(ordered), "total_m": plan.total_m})
    session.commit()
    return plan


def describe_route(session: Session, *, plan_id: int) -> dict[str, Any]:
    plan = get_plan(session, plan_id=plan_id, kind="route")
    stops = _stops(session, plan=plan)
    names = _user_names(session, {int(i) for s in stops for i in s["inspector_ids"]})
    legs = plan.result.get("legs_m", [])
    office = plan.inputs.get("office", [])
    cumulative = 0.0
    out = []
    for k, s in enumerate(stops):
        leg = float(legs[k]) if k < len(legs) else None
        cumulative += leg or 0.0
        out.append({
            "target_id": s["target_id"], "seq": s["seq"], "source_id": s["source_id"], "name": s["name"],
            "credit_code": s["credit_code"], "address": s["address"],
            "geometry": {"type": "Point", "coordinates": [s["lon"], s["lat"]]},
            "leg_m": leg, "cumulative_m": round(cumulative, 1),
            "inspector_ids": s["inspector_ids"], "inspectors": [names.get(int(i), str(i)) for i in s["inspector_ids"]],
            "done": s["inspection_id"] is not None, "inspection_id": s["inspection_id"], "done_by": s["how"],
            "conclusion": s["conclusion"],
        })
    path = [office, *([s["geometry"]["coordinates"] for s in out]), office] if out else []
    return {
        "id": plan.id, "kind": plan.kind, "date": plan.inputs.get("date"), "status": plan.status,
        "draw_id": plan.inputs.get("draw_id"), "total_m": plan.total_m,
        "return_leg_m": float(legs[-1]) if legs else 0.0,
        "office": {"type": "Point", "coordinates": office},
        "path": {"type": "LineString", "coordinates": path},
        "stops": out, "done": sum(1 for s in out if s["done"]), "total": len(out),
        "created_by_id": plan.created_by_id, "created_at": plan.created_at,
    }


def mark_stop_done(session: Session, *, plan_id: int, target_id: int, inspection_id: int,
                   actor_id: int | None, actor_role: str, actor_name: str) -> dict[str, Any]:
    """Link an inspection to a route stop (or a drawn target): the stop then counts as done."""
    plan = session.get(PatrolPlan, plan_id)
    if plan is None:
        raise NotFound(f"no patrol plan {plan_id}")
    target = session.get(PatrolTarget, target_id)
    if target is None or target.plan_id != plan.id:
        raise NotFound(f"plan {plan_id} has no stop {target_id}")
    inspection = session.get(Inspection, inspection_id)
    if inspection is None:
        raise InvalidInput(f"no inspection {inspection_id}", field="inspection_id")
    if actor_role == "inspector" and inspection.inspector_id != actor_id:
        raise Forbidden("an inspector may only link their own inspections")
    if inspection.source_id is not None and inspection.source_id != target.source_id:
        raise InvalidInput(f"inspection {inspection_id} is of source {inspection.source_id}, "
                           f"the stop is source {target.source_id}", field="inspection_id")
    if inspection.patrol_target_id not in (None, target.id):
        raise Conflict(f"inspection {inspection_id} is already linked to stop {inspection.patrol_target_id}",
                       field="inspection_id")
    if inspection.case_id is not None and inspection.source_id is None:
        # A complaint visit that named no unit: linking it would make it name this unit, and the
        # case's readings would then count against the unit. It has to confirm the source first.
        raise Conflict(f"inspection {inspection_id} is a visit of case {inspection.case_id} that named no source; "
                       "it cannot stand for this stop", field="inspection_id")
    inspection.patrol_target_id = target.id
    if inspection.source_id is None:
        inspection.source_id = target.source_id
    audit.record(session, actor_id=actor_id, actor_name=actor_name, action="patrol.stop_done",
                 entity="patrol_target", entity_id=target.id, detail={"inspection_id": inspection_id})
    session.commit()
    return describe_route(session, plan_id=plan.id) if plan.kind == "route" else describe_draw(session, plan=plan)


EXPORT_COLUMNS = ("seq", "name", "credit_code", "address", "lon", "lat", "leg_m", "cumulative_m",
                  "inspectors", "done", "inspection_id")


def route_rows(session: Session, *, plan_id: int) -> tuple[dict[str, Any], list[list[Any]]]:
    route = describe_route(session, plan_id=plan_id)
    rows = [[s["seq"], s["name"], s["credit_code"], s["address"] or "", s["geometry"]["coordinates"][0],
             s["geometry"]["coordinates"][1], s["leg_m"], s["cumulative_m"], "、".join(s["inspectors"]),
             "yes" if s["done"] else "no", s["inspection_id"]] for s in route["stops"]]
    return route, rows


def export_route_csv(session: Session, *, plan_id: int) -> str:
    route, rows = route_rows(session, plan_id=plan_id)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(EXPORT_COLUMNS)
    writer.writerows(export_row(row) for row in rows)
    writer.writerow(["return", "office", "", "", *route["office"]["coordinates"], route["return_leg_m"],
                     route["total_m"], "", "", ""])
    return buffer.getvalue()


def export_route_xlsx(session: Session, *, plan_id: int) -> bytes:
    from openpyxl import Workbook

    route, rows = route_rows(session, plan_id=plan_id)
    book = Workbook()
    sheet = book.worksheets[0]  # the one sheet of a new workbook
    sheet.title = f"route {route['id']}"[:31]
    sheet.append([f"route {route['id']}", route["date"], "total_m", route["total_m"]])
    sheet.append(list(EXPORT_COLUMNS))
    for row in rows:
        sheet.append(export_row(row))
    sheet.append(["return", "office", "", "", *route["office"]["coordinates"], route["return_leg_m"],
                  route["total_m"]])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
