"""The case ledger of the staff console: ``/cases`` with its filters in the address, paging, sorting, the
export of the rows shown (``/cases.csv``, ``/cases.xlsx``) and the chiefs' bulk dispatch.

The list is ``service.list_cases`` and the export ``reports.ledger_rows`` under the same filters and order;
the bulk dispatch is ``service.act`` once per case. Nothing here decides what a case is.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from api import console
from api.deps import DbSession, ExportDbSession, SettingsDep, parse_bbox
from api.params import MAX_OFFSET
from ecogrid.accounts import service as user_service
from ecogrid.cases import ownership, reports
from ecogrid.cases import service as casework
from ecogrid.cases.states import STATUS_LABELS, Action, Status
from ecogrid.core import value_ranges
from ecogrid.core.errors import DomainError, InvalidInput
from ecogrid.core.models import Zone
from ecogrid.core.vocabulary import Category, Channel

router = APIRouter(include_in_schema=False)

READERS = ("clerk", "chief", "planner", "inspector")
EXPORTERS = ("clerk", "chief", "planner")
PAGE_SIZES = (25, 50, 100, 200)
FILTER_NAMES = ("zone", "category", "channel", "status", "colour", "overdue", "assigned_to", "opened_from",
                "opened_to", "bbox", "owner", "owned", "cross_district")
COLOURS = ("red", "yellow", "blue", "green")
COLOUR_LABELS = {"red": ("红灯（超期）", "red (overdue)"), "yellow": ("黄灯（临期）", "yellow (due soon)"),
                 "blue": ("蓝灯（正常）", "blue (in time)"), "green": ("绿灯（已办结）", "green (done)")}
SORTABLE = (("id", "编号", "No."), ("category", "类别", "Category"), ("channel", "渠道", "Channel"),
            ("status", "状态", "Status"), ("opened", "登记时间", "Opened"), ("due", "期限", "Deadline"),
            ("repeats", "重复", "Repeats"))

Reader = Annotated[console.Page, Depends(console.console_page(*READERS))]
Exporter = Annotated[console.Page, Depends(console.console_page(*EXPORTERS))]
Chief = Annotated[console.Page, Depends(console.console_page("chief"))]


def actor_of(page: console.Page) -> casework.Actor:
    p = page.principal
    return casework.Actor(user_id=p.user_id, name=p.name, role=p.role)


@dataclass
class LedgerQuery:
    """The ledger as the address asks for it: filters (as typed), order, page; errors per field."""

    params: dict[str, str]
    filters: casework.CaseFilters | None
    sort: str
    offset: int
    limit: int
    supervision: bool
    errors: dict[str, str]


def _day(value: str | None, name: str) -> date | None:
    if not value:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(f"{name} must be a date, YYYY-MM-DD", field=name) from None
    value_ranges.check_date(day, field=name)
    return day


def _int(value: str | None, *, default: int, name: str, low: int, high: int) -> int:
    if not value:
        return default
    try:
        number = int(value)
    except ValueError:
        raise InvalidInput(f"{name} must be a whole number", field=name) from None
    if not low <= number <= high:
        raise InvalidInput(f"{name} must lie between {low} and {high}", field=name)
    return number


def read_query(page: console.Page) -> LedgerQuery:
    """The ledger's filters from the address; a bad one is reported next to its field, the rest still apply."""
    query = page.request.query_params
    params = {name: query.get(name, "").strip() for name in (*FILTER_NAMES, "sort", "limit", "ledger")}
    errors: dict[str, str] = {}
    values: dict[str, Any] = {}

    def attempt(name: str, read: Any) -> Any:
        try:
            return read()
        except DomainError as exc:
            errors[exc.field or name] = page.error_text(exc)
            return None

    for name in ("zone", "category", "channel", "status", "colour"):
        values[name] = params[name] or None
    if values["colour"] and values["colour"] not in COLOURS:
        errors["colour"] = page.error_text(InvalidInput("colour is one of red, yellow, blue, green", field="colour"))
        values["colour"] = None
    values["overdue"] = {"true": True, "false": False}.get(params["overdue"])
    values["cross_district"] = {"1": True, "0": False}.get(params["cross_district"])
    values["assigned_to"] = attempt("assigned_to", lambda: casework.resolve_assigned(params["assigned_to"] or None,
                                                                                    actor=actor_of(page)))
    values["owner_id"] = attempt("owner", lambda: ownership.resolve_owner(params["owner"] or None,
                                                                          actor=actor_of(page)))
    values["owned"] = {"1": True, "true": True, "0": False, "false": False}.get(params["owned"])
    values["opened_from"] = attempt("opened_from", lambda: _day(params["opened_from"], "opened_from"))
    box = attempt("bbox", lambda: parse_bbox(params["bbox"] or None))
    values["bbox"] = box.as_tuple() if box else None
    values["opened_to"] = attempt("opened_to", lambda: _day(params["opened_to"], "opened_to"))
    limit = attempt("limit", lambda: _int(params["limit"], default=50, name="limit", low=1, high=max(PAGE_SIZES)))
    offset = attempt("offset", lambda: _int(query.get("offset"), default=0, name="offset", low=0, high=MAX_OFFSET))
    sort = params["sort"] or casework.DEFAULT_SORT
    if sort.removeprefix("-") not in casework.SORT_KEYS:
        errors["sort"] = page.error_text(InvalidInput("unknown order", field="sort"))
        sort = casework.DEFAULT_SORT
    return LedgerQuery(params=params, filters=casework.CaseFilters(**values), sort=sort, offset=offset or 0,
                       limit=limit or 50, supervision=params["ledger"] == "supervision", errors=errors)


def zone_choices(session: Session) -> list[tuple[str, str, str]]:
    """(code, name, level) of every zone, districts and streets first: the zone filter's list."""
    order = {"district": 0, "street": 1, "grid": 2}
    rows = session.execute(select(Zone.code, Zone.name, Zone.level)).all()
    return sorted(((c, n, lv) for c, n, lv in rows), key=lambda r: (order.get(r[2], 3), r[0]))


def _names(session: Session, items: list[dict[str, Any]]) -> tuple[dict[int, str], dict[int, str]]:
    zones = dict(session.execute(select(Zone.id, Zone.name).where(
        Zone.id.in_({i["zone_id"] for i in items if i["zone_id"]} or {-1}))).all())
    people = user_service.display_names(session, {i["assigned_to_id"] for i in items if i["assigned_to_id"]}
                                        | {i["owner_id"] for i in items if i.get("owner_id")})
    return zones, people


def _ledger(session: Session, settings: Any, page: console.Page, ask: LedgerQuery
            ) -> tuple[list[dict[str, Any]], int]:
    assert ask.filters is not None
    try:
        if ask.supervision:
            f = ask.filters
            return casework.supervision_ledger(session, zone=f.zone, limit=ask.limit, offset=ask.offset,
                                               yellow_fraction=settings.deadline_yellow_fraction)
        return casework.list_cases(session, filters=ask.filters, limit=ask.limit, offset=ask.offset,
                                   yellow_fraction=settings.deadline_yellow_fraction, viewer=actor_of(page),
                                   sort=ask.sort)
    except DomainError as exc:
        ask.errors[exc.field or "zone"] = page.error_text(exc)
        return [], 0


def ledger_page(session: Session, settings: Any, page: console.Page, *, status: int = 200,
                dispatch_errors: dict[str, str] | None = None) -> Response:
    ask = read_query(page)
    items, total = _ledger(session, settings, page, ask)
    zones, people = _names(session, items)
    inspectors, teams = user_service.dispatch_targets(session) if page.sees(frozenset({"chief"})) else ([], [])
    shown = {k: v for k, v in ask.params.items() if v}
    if ask.offset:
        shown["offset"] = str(ask.offset)
    return console.render(
        page, "cases.html", status=status if not ask.errors else 422, items=items, total=total, ask=ask,
        params=shown, zones=zones, people=people, zone_choices=zone_choices(session),
        categories=[c.value for c in Category], channels=[c.value for c in Channel],
        statuses=[(s.value, STATUS_LABELS[s]) for s in Status], colours=COLOURS, colour_labels=COLOUR_LABELS,
        sortable=SORTABLE, page_sizes=PAGE_SIZES, inspectors=inspectors, teams=teams,
        dispatchable={Status.accepted.value, Status.dispatched.value},
        may_dispatch=page.sees(frozenset({"chief"})), may_export=page.sees(frozenset(EXPORTERS)),
        errors={**ask.errors, **(dispatch_errors or {})})


@router.get("/cases")
def cases(session: DbSession, settings: SettingsDep, page: Reader) -> Response:
    return ledger_page(session, settings, page)


def _export(session: Session, settings: Any, page: console.Page, fmt: str) -> Response:
    ask = read_query(page)
    if ask.errors:
        return ledger_page(session, settings, page)
    assert ask.filters is not None
    whole = page.request.query_params.get("all") == "1"
    columns, rows = reports.ledger_rows(session, filters=ask.filters, viewer=actor_of(page),
                                        yellow_fraction=settings.deadline_yellow_fraction, sort=ask.sort,
                                        limit=reports.EXPORT_LIMIT if whole else ask.limit,
                                        offset=0 if whole else ask.offset)
    if fmt == "csv":
        body: str | bytes = reports.ledger_csv(columns, rows)
        media = "text/csv; charset=utf-8"
    else:
        body = reports.ledger_xlsx(columns, rows)
        media = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    session.commit()  # the audit entry of exported personal data, once the file exists
    return Response(body, media_type=media, headers={
        "Content-Disposition": f'attachment; filename="ledger.{fmt}"', "Cache-Control": "no-store"})


@router.get("/cases.csv")
def export_csv(session: ExportDbSession, settings: SettingsDep, page: Exporter) -> Response:
    return _export(session, settings, page, "csv")


@router.get("/cases.xlsx")
def export_xlsx(session: ExportDbSession, settings: SettingsDep, page: Exporter) -> Response:
    return _export(session, settings, page, "xlsx")


def dispatch_payload(form: FormData) -> dict[str, Any]:
    """The dispatch form as the service's payload: ``target`` is ``user:<id>`` or ``team:<name>``."""
    target = console.form_text(form, "target") or ""
    kind, _, value = target.partition(":")
    payload: dict[str, Any] = {}
    if kind == "user" and value:
        payload["user_id"] = value
    elif kind == "team" and value:
        payload["team"] = value
    note = console.form_text(form, "note")
    if note:
        payload["note"] = note
    return payload


@router.post("/cases/dispatch")
def bulk_dispatch(session: DbSession, settings: SettingsDep, page: Chief, form: console.PostedForm) -> Response:
    """Dispatch every ticked case to one inspector or team; each case is one service action, kept or refused
    whole. When the target itself is refused, nothing is dispatched at all."""
    ids: list[int] = []
    for raw in form.getlist("case_ids"):
        try:
            ids.append(value_ranges.parse_id(str(raw), field="case_ids"))
        except DomainError as exc:
            return ledger_page(session, settings, page, status=422, dispatch_errors={"case_ids": page.error_text(exc)})
    if not ids:
        return ledger_page(session, settings, page, status=422, dispatch_errors={
            "case_ids": page.tr("请先勾选要派单的案件。", "Tick the cases to dispatch first.")})
    payload = dispatch_payload(form)
    done: list[int] = []
    refused: list[str] = []
    for case_id in ids:
        try:
            casework.act(session, case_id=case_id, action=Action.dispatch.value, payload=payload,
                         actor=actor_of(page))
        except DomainError as exc:
            session.rollback()
            if exc.field in ("user_id", "team", "team_id") and not done:
                return ledger_page(session, settings, page, status=422,
                                   dispatch_errors={"target": page.error_text(exc)})
            refused.append(f"#{case_id}: {page.error_text(exc)}")
        else:
            done.append(case_id)
    page.flash.append(page.tr(f"已派单 {len(done)} 件。", f"Dispatched {len(done)} case(s)."))
    page.flash.extend(refused)
    if not refused:
        return RedirectResponse(page.url("/cases", dict(page.request.query_params), dispatched=len(done)),
                                status_code=303)
    return ledger_page(session, settings, page)
