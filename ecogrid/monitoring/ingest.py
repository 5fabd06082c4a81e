"""One HJ 212 packet into the database: which station sent it, whether its password is right, what it
carries; its new readings stored and judged. The listener calls this in a worker thread, one
transaction a packet; an outcome that is not accepted is rolled back by the caller.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from ecogrid.core import value_ranges
from ecogrid.core.settings import Settings
from ecogrid.monitoring import alarms, hj212, storage
from ecogrid.monitoring import stations as station_service

# A station clock running ahead by more than this is an error, not the future.
FUTURE_TOLERANCE = timedelta(hours=1)


@dataclass
class Outcome:
    accepted: bool
    reason: str | None = None
    message: str = ""
    station_id: int | None = None
    stored: int = 0
    duplicates: int = 0
    alarm_ids: list[int] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def refused(reason: str, message: str) -> Outcome:
    return Outcome(accepted=False, reason=reason, message=message)


def accept_packet(session: Session, *, packet: hj212.Packet, settings: Settings,
                  now: datetime | None = None) -> Outcome:
    station = station_service.station_by_mn(session, mn=packet.mn)
    if station is None or not station.active:
        return refused("unknown_mn", f"no active station with MN {packet.mn[:24]!r}")
    if not station_service.password_matches(station, packet.pw):
        return refused("bad_password", f"wrong PW for MN {packet.mn}")
    interval = packet.interval
    if interval is None:
        return Outcome(accepted=True, station_id=station.id, notes=[f"CN {packet.cn}: nothing to store"])
    try:
        data_time = packet.data_time
    except hj212.PacketError as exc:
        return refused(exc.reason, exc.message)
    if data_time is None:
        return refused("no_time", "a data packet needs DataTime")
    moment = now or datetime.now(UTC)
    if not value_ranges.date_in_range(data_time) or data_time - moment > FUTURE_TOLERANCE:
        return refused("bad_time", f"DataTime {data_time.isoformat()} is not a time the station can have measured")
    values, notes = hj212.values_of(packet)
    readings = [storage.ReadingIn(code=v.code, interval=interval, measured_at=data_time, value=v.value,
                                  unit=station_service.unit_for(station, v.code), flag=v.flag, min=v.min, max=v.max,
                                  cou=v.cou) for v in values]
    fresh = storage.store(session, station=station, readings=readings)
    touched = alarms.record_exceedances(session, station=station, readings=fresh, settings=settings)
    return Outcome(accepted=True, station_id=station.id, stored=len(fresh), duplicates=len(readings) - len(fresh),
                   alarm_ids=[a.id for a in touched], notes=[*packet.notes, *notes])
