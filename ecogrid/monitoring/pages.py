"""Staff pages of online monitoring: a station's readings, and the monitors beside a case.

``/monitoring/stations/{id}``: one small chart per pollutant (plain SVG drawn on the server: no
script, nothing from the internet), the limit line where a limit applies, the station's recent alarms.
``/monitoring/cases/{id}``: the nearby monitors' charts around the case's complaint times (marked on
each chart) and the wind at those times from the nearest weather station. Chinese first, ``?lang=en``.
Signed in by the page cookie (api/page_auth.py); a case page only for those who may see the case.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select

from api.deps import DbSession, Principal, SettingsDep
from api.page_auth import require_page_roles
from api.params import Id, Moment
from api.security_headers import CspNonce
from api.templating import templates
from ecogrid.core import authorization
from ecogrid.core.errors import InvalidInput
from ecogrid.core.models import MonitorAlarm, Source
from ecogrid.core.time import as_aware, read_time, rfc3339
from ecogrid.core.vocabulary import label
from ecogrid.monitoring import chart, evidence
from ecogrid.monitoring import stations as station_service

router = APIRouter(tags=["monitoring pages"])

PageReader = Annotated[Principal, Depends(require_page_roles("chief", "planner", "clerk", "inspector"))]
MAX_DAYS = 31

TEXT = {
    "zh": {"station_title": "在线监测站点", "case_title": "案件周边在线监测", "kind": "类型", "source": "所属污染源",
           "period": "时段", "from": "起", "to": "止", "show": "查看", "no_data": "该时段无监测数据",
           "limit": "限值", "alarms": "近期报警", "none": "无", "first": "首次", "peak": "峰值", "status": "状态",
           "case": "案件", "wind": "投诉时风向风速", "complaint_at": "投诉时间", "station": "气象站",
           "wind_from": "风来自", "speed": "风速", "no_wind": "无风向数据", "no_stations": "周边无在线监测站点",
           "distance": "距离", "colon": "：", "other_language": "English", "points": "个数据点",
           "complaints_marked": "竖线为投诉时间"},
    "en": {"station_title": "Online monitoring station", "case_title": "Online monitors near the case", "kind": "Kind",
           "source": "Source", "period": "Period", "from": "From", "to": "To", "show": "Show",
           "no_data": "No readings in this period", "limit": "Limit", "alarms": "Recent alarms", "none": "None",
           "first": "First", "peak": "Peak", "status": "Status", "case": "Case", "wind": "Wind at complaint times",
           "complaint_at": "Complaint", "station": "Weather station", "wind_from": "From", "speed": "Speed",
           "no_wind": "No wind data", "no_stations": "No online monitors nearby", "distance": "Distance", "colon": ": ",
           "other_language": "中文", "points": "points", "complaints_marked": "Vertical marks: complaint times"},
}


def _lang(lang: str | None) -> str:
    return "en" if lang == "en" else "zh"


def _charts(series: list[evidence.Series], *, start: datetime, end: datetime, lang: str,
            markers: list[tuple[datetime, str]] | None = None) -> list[chart.Chart]:
    out = []
    for s in series:
        title = s.label_zh if lang == "zh" else s.label_en
        limit_label = f"{TEXT[lang]['limit']} {s.limit:g} ({s.standard})" if s.limit is not None else ""
        out.append(chart.build(title=f"{title} ({s.code})", unit=s.unit or "",
                               points=[(read_time(at), v) for at, v in s.points], start=start, end=end,
                               limit=s.limit, limit_label=limit_label, markers=markers))
    return out


def _page(name: str, **context: Any) -> HTMLResponse:
    html = templates.get_template(name).render(**context)
    return HTMLResponse(html, headers={"Cache-Control": "private, no-store"})


@router.get("/monitoring/stations/{station_id}", response_class=HTMLResponse)
def station_page(station_id: Id, session: DbSession, _: PageReader, nonce: CspNonce,
                 date_from: Annotated[Moment | None, Query(alias="from")] = None,
                 date_to: Annotated[Moment | None, Query(alias="to")] = None,
                 lang: Annotated[str | None, Query(max_length=5)] = None) -> Response:
    language = _lang(lang)
    station = station_service.get_station(session, station_id=station_id)
    end = as_aware(date_to) if date_to else datetime.now(UTC)
    start = as_aware(date_from) if date_from else end - timedelta(days=1)
    if start >= end or end - start > timedelta(days=MAX_DAYS):
        raise InvalidInput(f"from must lie before to, at most {MAX_DAYS} days apart", field="from")
    series = evidence.station_series(session, station=station, start=start, end=end)
    alarms = list(session.scalars(select(MonitorAlarm).where(MonitorAlarm.station_id == station.id)
                                  .order_by(MonitorAlarm.first_at.desc()).limit(10)))
    source = session.get(Source, station.source_id) if station.source_id else None
    return _page("monitoring_station.html", lang=language, t=TEXT[language], nonce=nonce, station=station,
                 kind=label(station.kind, language), source=source,
                 charts=_charts(series, start=start, end=end, lang=language), alarms=alarms, rfc3339=rfc3339,
                 form={"from": rfc3339(start)[:16], "to": rfc3339(end)[:16]},  # type: ignore[index]
                 other_language_href=f"?lang={'en' if language == 'zh' else 'zh'}")


@router.get("/monitoring/cases/{case_id}", response_class=HTMLResponse)
def case_page(case_id: Id, session: DbSession, settings: SettingsDep, principal: PageReader, nonce: CspNonce,
              lang: Annotated[str | None, Query(max_length=5)] = None) -> Response:
    language = _lang(lang)
    case = authorization.check_sees_case(session, case_id=case_id, user_id=principal.user_id, role=principal.role)
    found = evidence.case_monitoring(session, case=case, settings=settings)
    start, end = read_time(found.start), read_time(found.end)
    markers = [(read_time(t), "") for t in found.complaint_times]
    stations = [(s, _charts(s.series, start=start, end=end, lang=language, markers=markers))
                for s in found.stations]
    return _page("monitoring_case.html", lang=language, t=TEXT[language], nonce=nonce, case=case, stations=stations,
                 winds=found.winds, category=label(case.category, language),
                 other_language_href=f"?lang={'en' if language == 'zh' else 'zh'}")
