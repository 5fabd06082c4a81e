"""The bureau's reports in the staff console: ``/reports`` shows the daily bulletin of a chosen day
(yesterday by default) and the figures of a period with year-on-year change and simple bar charts, in a
page that prints. Every number is ``reports.daily_bulletin`` / ``reports.summary`` / ``reports.period_figures``.

A period that has ended is counted at its end, so its figures depend on the data alone: they are kept per
process under the data version (``ecogrid.core.answer_cache``) and counted again only after a write. A
period that includes today is counted as of now, every time.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from api import console
from api.deps import DbSession
from ecogrid.cases import reports
from ecogrid.core import answer_cache, value_ranges
from ecogrid.core.errors import DomainError, InvalidInput
from ecogrid.core.time import BEIJING

router = APIRouter(include_in_schema=False)

Reader = Annotated[console.Page, Depends(console.console_page("chief", "planner", "clerk"))]
TREND_WEEKS = 8


def _day(value: str | None, name: str, default: date) -> date:
    if not value:
        return default
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(f"{name} must be a date, YYYY-MM-DD", field=name) from None
    value_ranges.check_date(day, field=name)
    return day


def weekly_trend(session: Any, *, last: date, weeks: int = TREND_WEEKS) -> list[dict[str, Any]]:
    """The period figures of each of the ``weeks`` weeks up to ``last`` (oldest first)."""
    out = []
    for n in range(weeks - 1, -1, -1):
        end = last - timedelta(days=7 * n)
        out.append(reports.period_figures(session, window=reports.Window(end - timedelta(days=6), end)))
    return out


def _ended(session: Any, key: tuple[Any, ...], *, last: date, compute: Callable[[], Any]) -> Any:
    """``compute()``, kept under the data version when the period up to ``last`` has ended."""
    if reports.Window(last, last).end > datetime.now(UTC):
        return compute()
    return answer_cache.kept(session, ("reports", *key), compute)


@router.get("/reports")
def reports_page(session: DbSession, page: Reader) -> Response:
    query = page.request.query_params
    today = datetime.now(BEIJING).date()
    errors: dict[str, str] = {}
    yesterday = today - timedelta(days=1)
    chosen = {"day": yesterday, "from": today - timedelta(days=28), "to": yesterday}
    for name, default in list(chosen.items()):
        try:
            chosen[name] = _day(query.get(name), name, default)
        except DomainError as exc:
            errors[name] = page.error_text(exc)
    day, first, last = chosen["day"], chosen["from"], chosen["to"]
    bulletin = _ended(session, ("bulletin", day), last=day, compute=lambda: reports.daily_bulletin(session, day=day))
    try:
        period = _ended(session, ("summary", first, last), last=last,
                        compute=lambda: reports.summary(session, first=first, last=last))
    except DomainError as exc:
        errors[exc.field or "to"] = page.error_text(exc)
        period = None
    trend = _ended(session, ("trend", last), last=last, compute=lambda: weekly_trend(session, last=last)) \
        if query.get("trend") != "0" else []
    return console.render(page, "reports.html", status=422 if errors else 200, b=bulletin, period=period,
                          trend=trend, errors=errors, form={k: v.isoformat() for k, v in chosen.items()},
                          generated_at=datetime.now(BEIJING).strftime("%Y-%m-%d %H:%M"))
