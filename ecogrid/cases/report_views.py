"""Reports: the daily bulletin (JSON or a printable page), period figures, ledger exports."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import HTMLResponse, Response

from api.deps import DbSession, ExportDbSession, Principal, SettingsDep, require_roles
from api.params import Day
from api.read_types import CSV_MEDIA_TYPE, XLSX_MEDIA_TYPE, file_response
from api.templating import templates
from ecogrid.cases import reports
from ecogrid.cases.report_schemas import DailyBulletin, PeriodSummary
from ecogrid.cases.views import Filters, actor_of
from ecogrid.core import time as clock

router = APIRouter(prefix="/api/v1/reports", tags=["reports"])

READERS = ("chief", "planner", "clerk")
Reader = Annotated[Principal, Depends(require_roles(*READERS))]

_templates = templates


@router.get("/daily", response_model=DailyBulletin,
            responses={200: {"content": {"text/html": {"schema": {"type": "string"}}},
                             "description": "the bulletin; with format=html a printable page"}})
def daily_bulletin(session: DbSession, _: Reader, day: Annotated[Day | None, Query(alias="date")] = None,
                   format: Literal["json", "html"] = "json") -> DailyBulletin | HTMLResponse:
    """日通报 for one Asia/Shanghai day (today by default); ``format=html`` is a printable page."""
    bulletin = reports.daily_bulletin(session, day=day or clock.today())
    if format == "html":
        page = _templates.get_template("daily_bulletin.html").render(
            b=bulletin, generated_at=clock.now().strftime("%Y-%m-%d %H:%M"))
        return HTMLResponse(page)
    return DailyBulletin.model_validate(bulletin)


@router.get("/summary", response_model=PeriodSummary)
def period_summary(session: DbSession, _: Reader, first: Annotated[Day, Query(alias="from")],
                   last: Annotated[Day, Query(alias="to")]) -> PeriodSummary:
    """A period's figures (first to last day included), with the same period a year before."""
    return PeriodSummary.model_validate(reports.summary(session, first=first, last=last))


@router.get("/ledger.csv", response_class=Response,
            responses=file_response(CSV_MEDIA_TYPE, "the case ledger (UTF-8 with BOM, Chinese headers)"))
def export_ledger_csv(session: ExportDbSession, settings: SettingsDep, principal: Reader,
                      filters: Filters) -> Response:
    columns, rows = reports.ledger_rows(session, filters=filters, viewer=actor_of(principal),
                                        yellow_fraction=settings.deadline_yellow_fraction)
    body = reports.ledger_csv(columns, rows)
    # The audit entry of exported personal data is committed only once the file exists:
    # an export that fails records nothing.
    session.commit()
    return Response(body, media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="ledger.csv"'})


@router.get("/ledger.xlsx", response_class=Response,
            responses=file_response(XLSX_MEDIA_TYPE, "the case ledger as a workbook"))
def export_ledger_xlsx(session: ExportDbSession, settings: SettingsDep, principal: Reader,
                       filters: Filters) -> Response:
    columns, rows = reports.ledger_rows(session, filters=filters, viewer=actor_of(principal),
                                        yellow_fraction=settings.deadline_yellow_fraction)
    body = reports.ledger_xlsx(columns, rows)
    session.commit()  # after the file is built, as for the CSV
    return Response(body,
                    media_type=XLSX_MEDIA_TYPE,
                    headers={"Content-Disposition": 'attachment; filename="ledger.xlsx"'})
