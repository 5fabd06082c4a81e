"""Stations and HJ 212 packets for the monitoring tests."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from ecogrid.core.models import MonitorStation, Source
from ecogrid.core.time import BEIJING
from ecogrid.monitoring import hj212
from ecogrid.monitoring import stations as station_service

# The standard's own example packets (HJ 212-2017 annex), byte for byte.
ANNEX_1062 = (b"##0101QN=20160801085857223;ST=32;CN=1062;PW=100000;MN=010000A8900016F000169DC0;Flag=5;"
              b"CP=&&RtdInterval=30&&1C80\r\n")
ANNEX_2011 = (b"##0453QN=20160801085000001;ST=22;CN=2011;PW=123456;MN=010000A8900016F000169DC0;Flag=7;"
              b"CP=&&DataTime=20160801084000;a21005-Rtd=1.1,a21005-Flag=N;a21004-Rtd=112,a21004-Flag=N;"
              b"a21026-Rtd=58,a21026-Flag=N;LA-td=50.1,LA-Flag=N;a34004-Rtd=207,a34004-Flag=N;"
              b"a34002-Rtd=295,a34002-Flag=N;a01001-Rtd=12.6,a01001-Flag=N;a01002-Rtd=32,a01002-Flag=N;"
              b"a01006-Rtd=101.02,a01006-Flag=N;a01007-Rtd=2.1,a01007-Flag=N;a01008-Rtd=120,a01008-Flag=N;"
              b"a34001-Rtd=217,a34001-Flag=N;&&c0c1\r\n")
ANNEX_9014 = b"##0087QN=20160801085000001;ST=91;CN=9014;PW=123456;MN=010000A8900016F000169DC0;Flag=4;CP=&&&&C241\r\n"
# Packets from stations in the field, as published with their CRC.
FIELD_2061 = (b"##0285QN=20190925181031464;ST=22;CN=2061;PW=BF470F88957588DE902D1A52;MN=Z13401000010301;Flag=5;"
              b"CP=&&DataTime=20190924220000;a34006-Avg=2.69700,a34006-Flag=N;a34007-Avg=7.96600,a34007-Flag=N;"
              b"a34048-Avg=3.30600,a34048-Flag=N;a34047-Avg=7.35700,a34047-Flag=N;a34049-Avg=10.66300,"
              b"a34049-Flag=N&&C181\r\n")
FIELD_2011_NO_QN = (b"##0178ST=32;CN=2011;PW=123456;MN=0873HHMZWSLH02;CP=&&DataTime=20160103133030;060-Rtd=3.0943,"
                    b"060-Flag=N;011-Rtd=18.0412,011-Flag=N;001-Rtd=8.2137,001-Flag=N;B01-Rtd=10.9890,"
                    b"B01-Flag=N&&a9c1\r\n")

ANNEX_MN = "010000A8900016F000169DC0"
ANNEX_PW = "123456"


def add_source(session: Session, *, lon: float = 120.40, lat: float = 36.10, name: str = "示范污水处理厂",
               credit_code: str = "91370200MA3C00001X", categories: tuple[str, ...] = ("odour", "wastewater"),
               industry: str = "sewage_plant") -> Source:
    source = Source(name=name, credit_code=credit_code, industry=industry, categories=list(categories),
                    geom=f"SRID=4326;POINT({lon} {lat})")
    session.add(source)
    session.flush()
    return source


def add_station(session: Session, *, code: str = "ST-1", kind: str = "boundary", mn: str | None = "MN0001",
                password: str | None = "pw0001", source_id: int | None = None, lon: float = 120.40,
                lat: float = 36.10, pollutants: list[dict[str, str]] | None = None, name: str = "厂界监测点",
                noise_class: str | None = None) -> MonitorStation:
    return station_service.create_station(session, data=station_service.StationIn(
        code=code, name=name, kind=kind, lon=lon, lat=lat, mn=mn, password=password, source_id=source_id,
        pollutants=pollutants if pollutants is not None else [{"code": "a21028", "unit": "mg/m3"},
                                                              {"code": "a21001", "unit": "mg/m3"}],
        noise_class=noise_class))


def data_packet(*, mn: str, pw: str, cn: str, at: datetime, values: dict[str, float], flag: int = 5,
                qn: str | None = None, data_flag: str = "N") -> bytes:
    """A data upload (CN 2011 real-time values, else interval averages) as a station sends it."""
    field = "Rtd" if cn == "2011" else "Avg"
    local = at.astimezone(BEIJING)
    qn = qn or local.strftime("%Y%m%d%H%M%S") + "000"
    groups = ";".join(f"{code}-{field}={value:g},{code}-Flag={data_flag}" for code, value in values.items())
    return hj212.frame(f"QN={qn};ST=21;CN={cn};PW={pw};MN={mn};Flag={flag};"
                       f"CP=&&DataTime={local.strftime('%Y%m%d%H%M%S')};{groups}&&")
