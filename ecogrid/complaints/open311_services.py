"""The Open311 services: the complaint categories, and the attributes that help the bureau handle them.

Odour: how strong (the six-grade odour intensity scale used in odour surveys, grade 0 being "no
odour") and when it is smelt, since many sources emit only on some shifts or at night. Noise: what
makes it, and whether it is heard by day (06:00-22:00) or by night (22:00-06:00), the two periods the
noise law sets different limits for, with the hours in the complainant's words. Every attribute is
optional, so a client that never reads a service definition can still file a complaint.
"""

from __future__ import annotations

from ecogrid.complaints.open311_schemas import AttributeValue, Service, ServiceAttribute
from ecogrid.core.vocabulary import Category, label

GROUPS = {"odour": "air", "voc": "air", "dust": "air", "smoke": "air", "cooking_fumes": "air",
          "noise_industrial": "noise", "noise_construction": "noise", "noise_social": "noise",
          "noise_traffic": "noise", "wastewater": "water", "black_odorous_water": "water", "soil": "soil",
          "solid_waste": "waste", "hazardous_waste": "waste", "radiation": "radiation", "ecology": "ecology",
          "other": "other"}
GROUP_LABELS = {"air": "大气", "noise": "噪声", "water": "水", "soil": "土壤", "waste": "固废",
                "radiation": "辐射", "ecology": "生态", "other": "其他"}
STRING_MAX = 200  # a "string" attribute is one line


def _values(*pairs: tuple[str, str]) -> list[AttributeValue]:
    return [AttributeValue(key=k, name=n) for k, n in pairs]


def _attribute(order: int, code: str, datatype: str, description: str, values: list[AttributeValue] | None = None,
               datatype_description: str | None = None) -> ServiceAttribute:
    return ServiceAttribute(variable=True, code=code, datatype=datatype, required=False,  # type: ignore[arg-type]
                            datatype_description=datatype_description, order=order, description=description,
                            values=values or [])


ODOUR = [
    _attribute(1, "odour_intensity", "singlevaluelist", "臭味有多强 (how strong is the odour)", _values(
        ("1", "1 级: 勉强能闻到 (barely perceptible)"), ("2", "2 级: 能分辨出是什么气味 (weak, recognisable)"),
        ("3", "3 级: 很容易闻到 (easily perceptible)"), ("4", "4 级: 较强 (strong)"),
        ("5", "5 级: 强烈, 难以忍受 (very strong)"))),
    _attribute(2, "time_of_day", "multivaluelist", "什么时候闻到 (when is it smelt; several allowed)", _values(
        ("early_morning", "清晨 05:00-08:00 (early morning)"), ("daytime", "白天 08:00-18:00 (daytime)"),
        ("evening", "傍晚 18:00-22:00 (evening)"), ("night", "夜间 22:00-05:00 (night)"))),
]
NOISE_SOURCES = {
    "noise_industrial": (("fan_cooling_tower", "风机、冷却塔 (fans, cooling towers)"),
                         ("compressor_pump", "空压机、水泵 (compressors, pumps)"),
                         ("machinery", "生产设备 (production machinery)"), ("loading", "装卸作业 (loading)")),
    "noise_construction": (("piling_breaking", "打桩、破碎 (piling, breaking)"),
                           ("concrete", "混凝土浇筑、搅拌 (concrete pouring, mixing)"),
                           ("cutting", "切割、电锯 (cutting, saws)"), ("trucks", "渣土车、运输车辆 (trucks)")),
    "noise_social": (("square_dance", "广场舞 (square dancing)"), ("loudspeaker", "商业促销、高音喇叭 (loudspeakers)"),
                     ("renovation", "装修 (home renovation)"), ("entertainment", "娱乐场所 (bars, karaoke)")),
    "noise_traffic": (("horns", "鸣笛 (horns)"), ("modified_vehicles", "改装车、飙车 (modified vehicles, racing)"),
                      ("rail", "轨道交通 (rail)"), ("road", "道路车流 (road traffic)")),
}
NOISE_PERIODS = _values(("day", "昼间 06:00-22:00 (day)"), ("night", "夜间 22:00-06:00 (night)"))


def _noise(code: str) -> list[ServiceAttribute]:
    return [
        _attribute(1, "noise_source", "singlevaluelist", "噪声来自什么 (what makes the noise)",
                   _values(*NOISE_SOURCES[code], ("other", "其他 (other)"))),
        _attribute(2, "noise_period", "multivaluelist", "昼间还是夜间 (by day or by night; both allowed)",
                   NOISE_PERIODS),
        _attribute(3, "noise_hours", "string", "噪声出现的时间 (the hours it is heard)",
                   datatype_description="如 19:30-21:00, 每晚 22 点以后 (e.g. 19:30-21:00)"),
    ]


ATTRIBUTES: dict[str, list[ServiceAttribute]] = {"odour": ODOUR, **{code: _noise(code) for code in NOISE_SOURCES}}


def service(code: str) -> Service:
    return Service(service_code=code, service_name=label(code, "zh"),
                   description=f"{label(code, 'zh')} ({label(code, 'en')})", metadata=code in ATTRIBUTES,
                   type="realtime", keywords=",".join([code, label(code, "en").lower()]),
                   group=GROUP_LABELS[GROUPS[code]])


def all_services() -> list[Service]:
    return [service(c.value) for c in Category]


def attributes(code: str) -> list[ServiceAttribute]:
    return ATTRIBUTES.get(code, [])
