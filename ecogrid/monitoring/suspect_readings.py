"""What a suspected source's own monitors showed around the time of a complaint, for its explanation.

For each source, the telling reading of its monitors within ``window`` of the moment: an alarm
(exceedance) of a pollutant of the complaint's kind first, the one furthest over its limit; else the
highest such reading, with its verdict where a limit applies.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import BindParameter, bindparam
from sqlalchemy.orm import Session

from ecogrid.core import sql
from ecogrid.core.models import MonitorStation
from ecogrid.core.time import BEIJING, rfc3339
from ecogrid.monitoring import alarms, codes, storage


@dataclass(frozen=True)
class MonitorNote:
    station_id: int
    station: str
    code: str
    interval: str
    measured_at: str
    value: float
    unit: str | None
    exceeded: bool | None
    limit: float | None = None
    standard: str | None = None
    alarm_id: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def explain(self) -> tuple[str, str]:
        at = datetime.fromisoformat(self.measured_at).astimezone(BEIJING).strftime("%m-%d %H:%M")
        reading_zh = f"在线监测：{self.station} {codes.label(self.code, 'zh')} {self.value:g} {self.unit or ''}（{at}）"
        reading_en = f"online monitor {self.station}: {codes.label(self.code, 'en')} {self.value:g} " \
                     f"{self.unit or ''} at {at}"
        if self.exceeded and self.limit is not None:
            return (f"{reading_zh}，超过{self.standard}限值 {self.limit:g}",
                    f"{reading_en}, over the {self.standard} limit {self.limit:g}")
        if self.limit is not None:
            return (f"{reading_zh}，未超过{self.standard}限值 {self.limit:g}",
                    f"{reading_en}, within the {self.standard} limit {self.limit:g}")
        return reading_zh, reading_en


_EXPANDING: tuple[BindParameter[Any], ...] = (bindparam("ids", expanding=True), bindparam("codes", expanding=True))
_ALARMS = sql.query(__file__, "source_alarms").bindparams(*_EXPANDING)

_HIGHEST = sql.query(__file__, "source_highest").bindparams(*_EXPANDING)


def notes_for_sources(session: Session, *, source_ids: Sequence[int], at: datetime, categories: Collection[str],
                      window: timedelta) -> dict[int, MonitorNote]:
    """Source id -> what its monitors showed within ``window`` of ``at`` for pollutants of ``categories``."""
    relevant = [c.code for c in codes.all_codes().values() if c.category in categories]
    if not source_ids or not relevant:
        return {}
    params = {"ids": list(source_ids), "codes": relevant, "t0": at - window, "t1": at + window}
    out: dict[int, MonitorNote] = {}
    for r in session.execute(_ALARMS, params):
        out[r.source_id] = MonitorNote(station_id=r.station_id, station=r.name, code=r.code, interval=r.interval,
                                       measured_at=rfc3339(r.first_at) or "", value=r.peak_value, unit=r.unit,
                                       exceeded=True, limit=r.limit_value, standard=r.standard, alarm_id=r.id)
    rest = [s for s in source_ids if s not in out]
    if not rest:
        return out
    for r in session.execute(_HIGHEST, params | {"ids": rest}):
        station = session.get(MonitorStation, r.station_id)
        assert station is not None
        judgement = alarms.judge(session, station=station, reading=storage.ReadingIn(
            code=r.code, interval=r.interval, measured_at=r.measured_at, value=r.value, unit=r.unit))
        out[r.source_id] = MonitorNote(
            station_id=r.station_id, station=station.name, code=r.code, interval=r.interval,
            measured_at=rfc3339(r.measured_at) or "", value=r.value, unit=r.unit,
            exceeded=judgement.exceeded if judgement else None, limit=judgement.limit if judgement else None,
            standard=judgement.standard if judgement else None)
    return out
