"""Reading the same figures off every surface: the case list, the zone map, the daily bulletin, the
summary and the ledger export, as a user of the API would."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any


@dataclass(frozen=True)
class Seen:
    overdue: int
    satisfaction_rate: float | None
    on_time_rate: float | None


@dataclass(frozen=True)
class Assessed:
    """The assessment figures (办结率, 返工率, 延期率, 平均办结天数, 回访率) as a surface shows them."""

    closure_rate: float | None
    rework_rate: float | None
    extension_rate: float | None
    mean_days_to_close: float | None
    revisit_coverage: float | None


ASSESSED = ("closure_rate", "rework_rate", "extension_rate", "mean_days_to_close", "revisit_coverage")


def assessed(body: dict[str, Any]) -> Assessed:
    """Off the summary, the bulletin or one of its rows (the same names at the top level)."""
    return Assessed(*(body[name] for name in ASSESSED))


def assessed_on_map(body: dict[str, Any]) -> Assessed:
    """What the map's parts add up to (its streets, the cases outside every zone or in none of them),
    which is also its total; the mean days come from the total (a mean does not add up)."""
    parts = [f["properties"] for f in body["features"]] + [body["outside_jurisdiction"], body["unassigned"]]
    total = body["total"]

    def summed(name: str) -> int:
        return sum(p[name] for p in parts)

    seen = Assessed(rate(summed("closed"), summed("closed") + summed("open")),
                    rate(summed("reworked"), summed("closings")), rate(summed("extended"), summed("closed")),
                    total["mean_days_to_close"], rate(summed("replied_revisited"), summed("replied")))
    assert seen == assessed(total)
    return seen


def rate(numerator: int, denominator: int) -> float | None:
    return None if denominator == 0 else round(numerator / denominator, 4)


def zone_map(client: Any, headers: dict[str, str], first: date, last: date) -> dict[str, Any]:
    """The street map for [first, last], times given without offset (read as Beijing time)."""
    body = client.get("/api/v1/aggregates/zones", headers=headers,
                      params={"from": f"{first}T00:00:00", "to": f"{last + timedelta(days=1)}T00:00:00"})
    assert body.status_code == 200, body.text
    return body.json()


def seen_on_map(body: dict[str, Any]) -> Seen:
    """What the map adds up to: its streets, plus the cases outside every zone or in none of the streets."""
    parts = [f["properties"] for f in body["features"]] + [body["outside_jurisdiction"], body["unassigned"]]
    revisits = sum(p["revisits"] for p in parts)
    closed = sum(p["closed"] for p in parts)
    seen = Seen(sum(p["overdue"] for p in parts), rate(sum(p["satisfied"] for p in parts), revisits),
                rate(sum(p["closed_on_time"] for p in parts), closed))
    total = body["total"]
    assert seen == Seen(total["overdue"], total["satisfaction_rate"], total["on_time_rate"])
    return seen


def ledger(client: Any, headers: dict[str, str]) -> list[dict[str, str]]:
    body = client.get("/api/v1/reports/ledger.csv", headers=headers)
    assert body.status_code == 200, body.text
    return list(csv.DictReader(io.StringIO(body.text.lstrip("\ufeff"))))


def seen_in_ledger(rows: list[dict[str, str]]) -> Seen:
    """Overdue now, satisfaction per revisit and on-time closure, over every case of the ledger."""
    judged = [r["按期办结"] for r in rows if r["按期办结"]]
    return Seen(sum(r["超期"] == "是" for r in rows),
                rate(sum(int(r["满意回访次数"]) for r in rows), sum(int(r["回访次数"]) for r in rows)),
                rate(judged.count("是"), len(judged)))


def ledger_extension_and_days(rows: list[dict[str, str]]) -> tuple[float | None, float | None]:
    """延期率 and 平均办结天数 over the ledger's closed cases (状态 已销号)."""
    closed = [r for r in rows if r["状态"] == "已销号"]
    extended = sum(r["延期"] == "是" for r in closed)
    seconds = sum((datetime.fromisoformat(r["销号时间"]) - datetime.fromisoformat(r["登记时间"])).total_seconds()
                  for r in closed)
    return rate(extended, len(closed)), (round(seconds / len(closed) / 86_400, 2) if closed else None)


def seen_in_summary(body: dict[str, Any]) -> Seen:
    return Seen(body["overdue"], body["satisfaction_rate"], body["on_time_rate"])


def seen_in_bulletin(body: dict[str, Any]) -> Seen:
    return Seen(body["overdue"], body["satisfaction"]["rate"], body["on_time_rate"])


def streets_add_up(bulletin: dict[str, Any]) -> None:
    for key, total in (("new_cases", "new_cases"), ("in_stock", "in_stock"), ("closed", "closed"),
                       ("overdue", "overdue")):
        assert sum(z[key] for z in bulletin["by_street"]) == bulletin[total], key
