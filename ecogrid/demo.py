"""A believable, deterministic demo city: the same seed (and end date) gives the same data.

One district near Qingdao split into six streets and ~150 grid zones with noise classes;
~300 pollution sources across industries (an industrial park in the east, restaurants in the
centre, farms at the edge); two years of hourly wind; ~5,000 complaints grouped in episodes
about real problems: odour downwind of the wind at the time, construction noise at night near
sites, repeats about the same problem, a share located in GCJ-02 as Chinese map SDKs give them,
and a few outside the district. The true cause of each complaint goes to ``demo_truth`` so that
features can be scored against it.
"""

from __future__ import annotations

import math
import random
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from shapely.geometry import MultiPolygon, Point, Polygon, box
from sqlalchemy import func, insert, select, text
from sqlalchemy.orm import Session

from ecogrid.accounts import service as user_service
from ecogrid.cases import deadlines
from ecogrid.core.models import Case, CaseEvent, Complaint, DemoTruth, Revisit, Source, User, WeatherRecord, Zone
from ecogrid.core.time import BEIJING
from ecogrid.sources import credit_code
from geo import coords

TZ = BEIJING
CENTRE = (120.42, 36.12)
HALF_LON, HALF_LAT = 0.055, 0.040
CELL_LON, CELL_LAT = 0.0075, 0.0060  # about 670 m x 670 m at this latitude

STREETS = ["东山街道", "西湖街道", "北岭街道", "南港街道", "中心街道", "滨河街道"]

# (industry, count, where, categories it causes with weights)
SOURCE_PLAN: list[tuple[str, int, str, dict[str, float]]] = [
    ("chemical", 16, "park", {"odour": 5, "voc": 3, "wastewater": 1}),
    ("pharmaceutical", 8, "park", {"odour": 4, "voc": 2, "wastewater": 1}),
    ("printing", 20, "park", {"voc": 3, "odour": 3}),
    ("furniture", 20, "park", {"voc": 3, "odour": 2, "dust": 1, "noise_industrial": 1}),
    ("auto_repair", 36, "road", {"voc": 2, "odour": 1, "noise_social": 2}),
    ("restaurant", 84, "centre", {"cooking_fumes": 6, "noise_social": 2}),
    ("construction_site", 30, "any", {"noise_construction": 6, "dust": 3}),
    ("sewage_plant", 3, "edge", {"odour": 5, "wastewater": 2}),
    ("livestock_farm", 12, "edge", {"odour": 5, "wastewater": 1, "black_odorous_water": 1}),
    ("concrete_plant", 10, "park", {"dust": 4, "noise_industrial": 2}),
    ("asphalt_plant", 5, "park", {"odour": 4, "smoke": 2}),
    ("waste_transfer", 8, "any", {"odour": 4, "solid_waste": 2}),
    ("hospital", 5, "centre", {"hazardous_waste": 2, "wastewater": 1}),
    ("other", 43, "any", {"noise_industrial": 1, "solid_waste": 1, "dust": 1}),
]

# How likely a source of the industry is to be complained about (relative).
PROPENSITY = {"chemical": 4.0, "pharmaceutical": 3.0, "printing": 2.0, "furniture": 2.0, "auto_repair": 1.0,
              "restaurant": 1.2, "construction_site": 3.0, "sewage_plant": 5.0, "livestock_farm": 3.0,
              "concrete_plant": 2.0, "asphalt_plant": 3.0, "waste_transfer": 3.0, "hospital": 0.5,
              "other": 0.3}

# Where complainants live relative to the cause: (min m, max m, downwind?).
REACH = {"odour": (150, 1300, True), "voc": (100, 900, True), "smoke": (80, 600, True),
         "dust": (60, 450, True), "cooking_fumes": (15, 80, False), "noise_construction": (40, 140, False),
         "noise_industrial": (40, 140, False), "noise_social": (20, 100, False),
         "wastewater": (80, 500, False), "black_odorous_water": (100, 600, False),
         "solid_waste": (20, 90, False), "hazardous_waste": (30, 150, False)}

CHANNELS = {"hotline_12345": 50, "hotline_12369": 20, "national_platform": 10, "web": 10, "letter": 3,
            "visit": 3, "patrol": 4}

DESCRIPTIONS = {
    "odour": ["夜间有刺鼻的化工异味，开窗就能闻到", "一股臭鸡蛋味，持续好几天了", "刺鼻气味熏得头疼"],
    "voc": ["有很浓的油漆味", "闻到刺鼻的溶剂味，怀疑偷排废气"],
    "smoke": ["烟囱冒黑烟", "有焦糊味的烟尘飘过来"],
    "dust": ["扬尘很大，窗台一层灰", "渣土车和料场扬尘严重"],
    "cooking_fumes": ["楼下饭店油烟直排，家里全是油烟味", "烧烤油烟扰民"],
    "noise_construction": ["工地夜间施工噪声扰民", "凌晨还在打桩，无法入睡"],
    "noise_industrial": ["厂里机器噪声很大，晚上也不停", "风机噪声持续扰民"],
    "noise_social": ["店铺音响声音太大", "修车敲打声很吵"],
    "wastewater": ["有污水直排到河里", "雨水管里流出黑水"],
    "black_odorous_water": ["河道发黑发臭", "沟渠水体黑臭"],
    "solid_waste": ["垃圾堆放没人清理", "有人偷倒建筑垃圾"],
    "hazardous_waste": ["医疗垃圾随意堆放", "废机油桶露天堆放"],
    "other": ["环境问题咨询", "反映周边环境卫生问题"],
    "ecology": ["有人破坏湿地", "山体绿化被破坏"],
}
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
GIVEN = ["伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "霞"]

DEMO_USERS = [("admin", "admin", "系统管理员"), ("chief_a", "chief", "张科长"), ("chief_b", "chief", "李科长"),
              ("planner", "planner", "王计划"), ("clerk_a", "clerk", "赵受理"), ("clerk_b", "clerk", "钱受理")] + [
    (f"inspector{i}", "inspector", f"执法员{i}") for i in range(1, 9)]


@dataclass
class DemoResult:
    passwords: dict[str, str]
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def summary(self) -> str:
        return ", ".join(f"{v} {k}" for k, v in self.counts.items())


def is_empty(session: Session) -> bool:
    return not session.scalar(select(func.count()).select_from(User)) and not session.scalar(
        select(func.count()).select_from(Zone))


def generate(session: Session, *, seed: int = 20261125, password: str | None = None, complaints: int = 5000,
             end: date | None = None) -> DemoResult:
    rng = random.Random(seed)
    end_day = end or datetime.now(TZ).date()
    end_at = datetime.combine(end_day, time(0), TZ)
    start_at = end_at - timedelta(days=730)

    passwords, staff = _users(session, password)
    district, streets, grids = _zones(session, rng, staff)
    sources = _sources(session, rng, district)
    winds = _weather(session, rng, start_at, end_at)
    n_complaints, n_cases = _complaints(session, rng=rng, district=district, sources=sources, winds=winds,
                                        staff=staff, start_at=start_at, end_at=end_at, target=complaints)
    _assign_zones(session)
    return DemoResult(passwords, {"zones": 1 + len(streets) + len(grids), "sources": len(sources),
                                  "complaints": n_complaints, "cases": n_cases, "users": len(passwords)})


# -- people -------------------------------------------------------------------------------------------

def _users(session: Session, password: str | None) -> tuple[dict[str, str], dict[str, list[User]]]:
    passwords: dict[str, str] = {}
    staff: dict[str, list[User]] = {}
    for username, role, full_name in DEMO_USERS:
        pw = password or secrets.token_urlsafe(9)
        user = user_service.create(session, username=username, role=role, password=pw, full_name=full_name)
        passwords[username] = pw
        staff.setdefault(role, []).append(user)
    return passwords, staff


# -- zones --------------------------------------------------------------------------------------------

def _district_shape(rng: random.Random) -> Polygon:
    phase = rng.uniform(0, math.tau)
    points = []
    for i in range(96):
        theta = math.tau * i / 96
        r = 1 + 0.10 * math.sin(3 * theta + phase) + 0.05 * math.sin(7 * theta) + rng.uniform(-0.015, 0.015)
        points.append((CENTRE[0] + HALF_LON * r * math.cos(theta), CENTRE[1] + HALF_LAT * r * math.sin(theta)))
    return Polygon(points).buffer(0)


def _multi(geom) -> MultiPolygon:
    if isinstance(geom, MultiPolygon):
        return geom
    if isinstance(geom, Polygon):
        return MultiPolygon([geom])
    return MultiPolygon([g for g in getattr(geom, "geoms", []) if isinstance(g, Polygon)])


def _noise_class(cell: Polygon) -> str:
    c = cell.centroid
    if c.x > CENTRE[0] + 0.022:
        return "3"  # the industrial park
    if abs(c.y - CENTRE[1]) < CELL_LAT / 2:
        return "4a"  # along the main east-west road
    if math.hypot((c.x - CENTRE[0]) / HALF_LON, (c.y - CENTRE[1]) / HALF_LAT) < 0.35:
        return "2"  # commercial centre
    return "1"


def _zones(session: Session, rng: random.Random, staff: dict[str, list[User]]):
    shape = _district_shape(rng)
    chiefs, inspectors = staff["chief"], staff["inspector"]
    district = Zone(code="370299", name="示范区", level="district", geom=_wkt(_multi(shape)), noise_class="2",
                    officer_id=chiefs[0].id, responsible_unit="示范区生态环境分局")
    session.add(district)
    session.flush()
    minx, miny, maxx, maxy = shape.bounds
    col_w, row_h = (maxx - minx) / 3, (maxy - miny) / 2
    streets: list[Zone] = []
    grids: list[Zone] = []
    for idx, name in enumerate(STREETS):
        col, row = idx % 3, idx // 3
        part = shape.intersection(box(minx + col * col_w, miny + row * row_h, minx + (col + 1) * col_w,
                                      miny + (row + 1) * row_h))
        street = Zone(code=f"370299{idx + 1:03d}", name=name, level="street", parent_id=district.id,
                      geom=_wkt(_multi(part)), officer_id=chiefs[idx % len(chiefs)].id,
                      responsible_unit=f"{name}生态环境所", noise_class="2")
        session.add(street)
        session.flush()
        streets.append(street)
        sx0, sy0, sx1, sy1 = part.bounds
        n = 0
        y = sy0
        while y < sy1:
            x = sx0
            while x < sx1:
                cell = part.intersection(box(x, y, x + CELL_LON, y + CELL_LAT))
                if cell.area > 0.2 * CELL_LON * CELL_LAT:
                    n += 1
                    grid = Zone(code=f"{street.code}{n:03d}", name=f"{name}第{n}网格", level="grid",
                                parent_id=street.id, geom=_wkt(_multi(cell)), noise_class=_noise_class(cell),
                                officer_id=inspectors[(len(grids)) % len(inspectors)].id,
                                responsible_unit=f"{name}生态环境所")
                    grids.append(grid)
                x += CELL_LON
            y += CELL_LAT
    session.add_all(grids)
    session.flush()
    return shape, streets, grids


# -- sources ------------------------------------------------------------------------------------------

@dataclass
class DemoSource:
    id: int
    industry: str
    lon: float
    lat: float
    weights: dict[str, float]


def _place(rng: random.Random, shape: Polygon, where: str) -> tuple[float, float]:
    for _ in range(1000):
        if where == "park":
            lon = rng.uniform(CENTRE[0] + 0.025, CENTRE[0] + HALF_LON)
            lat = rng.uniform(CENTRE[1] - 0.025, CENTRE[1] + 0.025)
        elif where == "centre":
            lon = rng.gauss(CENTRE[0] - 0.005, 0.016)
            lat = rng.gauss(CENTRE[1], 0.012)
        elif where == "road":
            lon = rng.uniform(CENTRE[0] - HALF_LON, CENTRE[0] + HALF_LON)
            lat = CENTRE[1] + rng.gauss(0, 0.003)
        elif where == "edge":
            theta = rng.uniform(0, math.tau)
            r = rng.uniform(0.6, 0.85)
            lon, lat = CENTRE[0] + HALF_LON * r * math.cos(theta), CENTRE[1] + HALF_LAT * r * math.sin(theta)
        else:
            lon = rng.uniform(CENTRE[0] - HALF_LON, CENTRE[0] + HALF_LON)
            lat = rng.uniform(CENTRE[1] - HALF_LAT, CENTRE[1] + HALF_LAT)
        if shape.contains(Point(lon, lat)):
            return lon, lat
    raise RuntimeError(f"could not place a source in {where}")


def _sources(session: Session, rng: random.Random, shape: Polygon) -> list[DemoSource]:
    rows = []
    plan = []
    org_chars = credit_code.CHARSET[:10] + "ABCDEFGHJKLMNPQRTUWXY"
    for industry, count, where, weights in SOURCE_PLAN:
        for i in range(count):
            lon, lat = _place(rng, shape, where)
            key = industry in {"chemical", "pharmaceutical", "sewage_plant", "asphalt_plant"} or (
                industry in {"printing", "furniture"} and rng.random() < 0.3)
            unit_class = "key" if key else ("special" if industry in {"hospital", "waste_transfer"} else "ordinary")
            org8 = "".join(rng.choice(org_chars) for _ in range(8))
            rows.append({
                "name": f"示范{industry_label(industry)}{i + 1}号", "industry": industry,
                "credit_code": credit_code.make(division="370299", org8=org8),
                "categories": sorted(weights), "key_discharger": key, "unit_class": unit_class,
                "geom": f"SRID=4326;POINT({lon:.7f} {lat:.7f})", "orig_lon": lon, "orig_lat": lat,
                "address": f"示范区{industry_label(industry)}路{rng.randint(1, 300)}号",
                "stack_height_m": rng.choice([15.0, 20.0, 30.0]) if industry in {"chemical", "asphalt_plant"}
                else None,
            })
            plan.append((industry, lon, lat, weights))
    ids = session.scalars(insert(Source).returning(Source.id, sort_by_parameter_order=True), rows).all()
    return [DemoSource(i, ind, lon, lat, w) for i, (ind, lon, lat, w) in zip(ids, plan, strict=True)]


def industry_label(industry: str) -> str:
    return {"chemical": "化工", "pharmaceutical": "制药", "printing": "印刷", "furniture": "家具",
            "auto_repair": "汽修", "restaurant": "餐饮", "construction_site": "工地", "sewage_plant": "污水厂",
            "livestock_farm": "养殖场", "concrete_plant": "搅拌站", "asphalt_plant": "沥青站",
            "waste_transfer": "中转站", "hospital": "医院"}.get(industry, "企业")


# -- weather ------------------------------------------------------------------------------------------

def _prevailing_from(month: int) -> float:
    if month in (5, 6, 7, 8, 9):
        return 135.0  # summer monsoon from the south-east
    if month in (11, 12, 1, 2):
        return 315.0  # winter monsoon from the north-west
    return 45.0 if month in (3, 4) else 0.0


def _weather(session: Session, rng: random.Random, start_at: datetime, end_at: datetime) -> list[float]:
    """Hourly wind at one station; returns the wind-from direction per hour since start_at."""
    hours = int((end_at - start_at).total_seconds() // 3600)
    directions, rows = [], []
    current = _prevailing_from(start_at.month)
    for h in range(hours):
        at = start_at + timedelta(hours=h)
        target = _prevailing_from(at.month)
        # A slowly wandering direction pulled towards the season's prevailing wind.
        delta = ((target - current + 540) % 360) - 180
        current = (current + 0.08 * delta + rng.gauss(0, 12)) % 360
        directions.append(current)
        rows.append({"station": "示范区国控站", "observed_at": at.astimezone(UTC),
                     "geom": f"SRID=4326;POINT({CENTRE[0]} {CENTRE[1]})", "wind_from_deg": round(current, 1),
                     "wind_speed_ms": round(max(0.3, rng.gauss(3.0, 1.2)), 1)})
    session.execute(insert(WeatherRecord), rows)
    return directions


# -- complaints and cases -----------------------------------------------------------------------------

def _offset(lon: float, lat: float, bearing_deg: float, metres: float) -> tuple[float, float]:
    dy = metres * math.cos(math.radians(bearing_deg)) / 111_320
    dx = metres * math.sin(math.radians(bearing_deg)) / (111_320 * math.cos(math.radians(lat)))
    return lon + dx, lat + dy


def _season_weight(category: str, month: int) -> float:
    if category in {"odour", "voc", "black_odorous_water"}:
        return 1.6 if month in (6, 7, 8) else 1.0
    if category == "dust":
        return 1.7 if month in (3, 4, 5) else 0.8
    if category == "noise_construction":
        return 0.4 if month in (1, 2) else 1.2
    return 1.0


def _weighted(rng: random.Random, weights: Mapping[str, float]) -> str:
    keys = list(weights)
    return rng.choices(keys, weights=[weights[k] for k in keys])[0]


def _complaints(session: Session, *, rng: random.Random, district: Polygon, sources: list[DemoSource],
                winds: list[float], staff: dict[str, list[User]], start_at: datetime, end_at: datetime,
                target: int) -> tuple[int, int]:
    span_hours = len(winds)
    source_weights = [PROPENSITY[s.industry] for s in sources]
    episodes = []
    made = 0
    while made < target:
        background = rng.random() < 0.05
        src = None if background else rng.choices(sources, weights=source_weights)[0]
        category = rng.choice(["other", "ecology", "solid_waste"]) if src is None else _weighted(rng, src.weights)
        # Seasons: redraw the start until it fits the category's season.
        while True:
            hour = rng.randrange(span_hours)
            at = start_at + timedelta(hours=hour)
            if rng.random() * 1.7 < _season_weight(category, at.month):
                break
        if category in {"noise_construction", "noise_industrial"} and rng.random() < 0.7:
            at = at.replace(hour=rng.choice([22, 23, 0, 1, 2, 5]))
        elif category == "cooking_fumes":
            at = at.replace(hour=rng.choice([11, 12, 18, 19, 20, 21]))
        size = 1 + min(int(rng.expovariate(0.9)), 10)
        if rng.random() < 0.03:
            size = rng.randint(5, 14)  # a chronic problem the bureau is judged on
        size = min(size, target - made)
        if src is None:
            home = _place(rng, district, "any")
        else:
            lo, hi, downwind = REACH.get(category, (30, 200, False))
            hour_idx = min(max(int((at - start_at).total_seconds() // 3600), 0), span_hours - 1)
            bearing = (winds[hour_idx] + 180 + rng.gauss(0, 22)) % 360 if downwind else rng.uniform(0, 360)
            home = _offset(src.lon, src.lat, bearing, rng.uniform(lo, hi))
        if rng.random() < 0.02:
            home = _offset(CENTRE[0], CENTRE[1], rng.uniform(0, 360), 9000)  # outside the district
        episodes.append((src, category, at, size, home))
        made += size

    case_rows: list[dict[str, Any]] = []
    complaint_rows: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    revisits: list[dict[str, Any]] = []
    clerks, chiefs, inspectors = staff["clerk"], staff["chief"], staff["inspector"]
    seq = 0
    for ep_index, (src, category, first_at, size, home) in enumerate(episodes):
        kind = "complaint" if rng.random() < 0.9 else rng.choice(["consultation", "suggestion"])
        channel = _weighted(rng, CHANNELS)
        times = [first_at]
        for _ in range(size - 1):
            times.append(times[-1] + timedelta(hours=rng.uniform(6, 96)))
        times = [t for t in times if t < end_at] or [first_at]
        urgency = "urgent" if rng.random() < 0.08 else "ordinary"
        case_row = _case_row(rng, ep_index, kind, category, channel, urgency, times, home, end_at,
                             src, clerks, chiefs, inspectors, events, revisits)
        if case_row.get("closed_at") is not None:
            # A repeat after the closing would reopen the case as rework (``reopen_on_repeats``), which the
            # demo's straight histories do not write: its repeats of a closed case came while it was open.
            closed_at = case_row["closed_at"]
            late = [t for t in times if t.astimezone(UTC) > closed_at]
            if late:
                span = (closed_at - first_at.astimezone(UTC)).total_seconds()
                times = sorted([t for t in times if t not in late]
                               + [first_at + timedelta(seconds=rng.uniform(0, span)) for _ in late])
                case_row.update(last_complaint_at=times[-1].astimezone(UTC))
        case_rows.append(case_row)
        for t in times:
            seq += 1
            ch = channel if t is times[0] else _weighted(rng, CHANNELS)
            lon, lat = _offset(home[0], home[1], rng.uniform(0, 360), rng.uniform(0, 40))
            crs = "gcj02" if ch in {"hotline_12345", "web"} and rng.random() < 0.6 else "wgs84"
            olon, olat = coords.from_wgs84(lon, lat, crs)
            complaint_rows.append({
                "_episode": ep_index, "channel": ch, "kind": kind, "category": category,
                "description": rng.choice(DESCRIPTIONS.get(category, DESCRIPTIONS["other"])),
                "received_at": t.astimezone(UTC),
                "external_ref": f"GD{t:%Y%m%d}{seq:06d}" if ch == "hotline_12345" else None,
                "address": f"示范区{rng.choice(STREETS)}{rng.randint(1, 200)}号",
                "complainant_name": rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(["", *GIVEN]),
                "complainant_phone": f"1{rng.choice('3578')}{rng.randint(0, 9)}{rng.randint(10_000_000, 99_999_999)}",
                "geom": f"SRID=4326;POINT({lon:.7f} {lat:.7f})", "orig_lon": round(olon, 7),
                "orig_lat": round(olat, 7), "orig_crs": crs, "is_repeat": t is not times[0], "urgency": urgency,
                "_source": src.id if src else None,
            })
    case_ids = session.scalars(insert(Case).returning(Case.id, sort_by_parameter_order=True),
                               [{k: v for k, v in c.items() if not k.startswith("_")} for c in case_rows]).all()
    rows = []
    for c in complaint_rows:
        row = {k: v for k, v in c.items() if not k.startswith("_")}
        row["case_id"] = case_ids[c["_episode"]]
        rows.append(row)
    complaint_ids = session.scalars(insert(Complaint).returning(Complaint.id, sort_by_parameter_order=True),
                                    rows).all()
    truths = [{"complaint_id": cid, "source_id": c["_source"]} for cid, c in zip(complaint_ids, complaint_rows,
                                                                                  strict=True)]
    session.execute(insert(DemoTruth), truths)
    for e in events:
        e["case_id"] = case_ids[e.pop("_episode")]
    if events:
        session.execute(insert(CaseEvent), events)
    for r in revisits:
        r["case_id"] = case_ids[r.pop("_episode")]
    if revisits:
        session.execute(insert(Revisit), revisits)
    return len(complaint_ids), len(case_ids)


def _case_row(rng, ep_index, kind, category, channel, urgency, times, home, end_at, src, clerks, chiefs,
              inspectors, events, revisits) -> dict:
    opened = times[0]
    age_days = (end_at - times[-1]).days
    clerk, chief, inspector = rng.choice(clerks), rng.choice(chiefs), rng.choice(inspectors)
    accepted = opened + timedelta(hours=rng.uniform(1, 30))
    due = deadlines.due_at(channel=channel, urgency=urgency, received_at=opened, stage="conclusion",
                           stage_started_at=accepted)
    row: dict = {"kind": kind, "category": category, "channel": channel, "urgency": urgency,
                 "geom": f"SRID=4326;POINT({home[0]:.7f} {home[1]:.7f})", "opened_at": opened.astimezone(UTC),
                 "last_complaint_at": times[-1].astimezone(UTC), "repeat_count": len(times) - 1,
                 "due_at": due.astimezone(UTC)}

    def event(at, actor, action, frm, to, note=None):
        events.append({"_episode": ep_index, "at": at.astimezone(UTC), "actor_id": actor.id, "action": action,
                       "from_status": frm, "to_status": to, "note": note, "data": {}})

    event(opened, clerk, "register", None, "registered")
    # A history never runs past the demo's end (today): each step is taken only if its time has come,
    # and the case keeps the status of the last step taken, as the workflow would have left it.
    if kind != "complaint":
        if age_days > 3 and accepted <= end_at:
            event(accepted, clerk, "answer", "registered", "closed", "已答复")
            row.update(status="closed", accepted_at=accepted.astimezone(UTC), closed_at=accepted.astimezone(UTC))
        else:
            row.update(status="registered")
        return row
    if age_days < 1 or accepted > end_at:
        row.update(status="registered")
        return row
    event(accepted, clerk, "accept", "registered", "accepted")
    row.update(status="accepted", accepted_at=accepted.astimezone(UTC))
    if age_days < 2:
        return row
    dispatched = accepted + timedelta(hours=rng.uniform(1, 24))
    if dispatched > end_at:
        return row
    event(dispatched, chief, "dispatch", "accepted", "dispatched")
    row.update(status="dispatched", assigned_to_id=inspector.id)
    if age_days < 4:
        return row
    started = dispatched + timedelta(hours=rng.uniform(2, 48))
    if started > end_at:
        return row
    event(started, inspector, "start", "dispatched", "in_progress")
    row.update(status="in_progress")
    if age_days < 10:
        return row
    # Most cases finish inside the limit; some run late, as in real ledgers.
    late = rng.random() < 0.12
    replied = (due + timedelta(days=rng.uniform(1, 10))) if late else started + timedelta(
        hours=rng.uniform(4, max(5.0, (due - started).total_seconds() / 3600 * 0.9)))
    if replied > end_at:
        return row
    event(replied, inspector, "reply", "in_progress", "replied", "已核查处理并答复")
    row.update(status="replied")
    if src is not None and rng.random() < 0.6:
        row.update(confirmed_source_id=src.id, confirmed_by_id=inspector.id,
                   confirmed_at=replied.astimezone(UTC))
    if age_days < 20:
        return row
    handlings = 1
    sat = rng.choices(["satisfied", "basically_satisfied", "unsatisfied"], weights=[78, 14, 8])[0]
    revisited = replied + timedelta(days=rng.uniform(1, 5))
    if revisited > end_at:
        return row
    revisits.append({"_episode": ep_index, "at": revisited.astimezone(UTC), "by_id": clerk.id,
                     "satisfaction": sat, "handling": handlings})
    event(revisited, clerk, "revisit", "replied", "revisited" if sat != "unsatisfied" else "dispatched", sat)
    if sat == "unsatisfied":
        handlings = 2
        row.update(status="dispatched", satisfaction=sat, handling_count=handlings)
        restarted = revisited + timedelta(days=rng.uniform(1, 3))
        again = restarted + timedelta(days=rng.uniform(2, 12))
        if restarted > end_at:
            return row
        # Handled again from the start: dispatched -> in_progress -> replied, as the workflow allows.
        event(restarted, inspector, "start", "dispatched", "in_progress")
        row.update(status="in_progress")
        if again > end_at:
            return row
        event(again, inspector, "reply", "in_progress", "replied", "再次核查处理")
        row.update(status="replied")
        sat = rng.choices(["satisfied", "basically_satisfied", "unsatisfied"], weights=[60, 25, 15])[0]
        revisited = again + timedelta(days=2)
        if revisited > end_at:
            return row
        revisits.append({"_episode": ep_index, "at": revisited.astimezone(UTC), "by_id": clerk.id,
                         "satisfaction": sat, "handling": handlings})
        event(revisited, clerk, "revisit", "replied", "revisited" if sat != "unsatisfied" else "dispatched", sat)
        if sat == "unsatisfied":
            row.update(status="dispatched", satisfaction=sat, handling_count=3, supervisor_id=chief.id)
            return row
    row.update(status="revisited", satisfaction=sat, handling_count=handlings)
    closed = revisited + timedelta(hours=rng.uniform(1, 48))
    if closed > end_at:
        return row
    event(closed, clerk, "close", "revisited", "closed", "销号")
    row.update(status="closed", satisfaction=sat, handling_count=handlings, closed_at=closed.astimezone(UTC))
    return row


def _assign_zones(session: Session) -> None:
    """Zone of each complaint and source by ``ecogrid_zone_at`` (the one rule of which zone owns a point);
    the nearest zone and distance for complaints outside all by ``ecogrid_nearest_zone``."""
    session.execute(text("UPDATE complaints c SET zone_id = ecogrid_zone_at(c.geom) WHERE c.zone_id IS NULL"))
    session.execute(text("""
        UPDATE complaints c SET out_of_jurisdiction = true, (nearest_zone_id, nearest_zone_distance_m) = (
            SELECT n.zone_id, n.distance_m FROM ecogrid_nearest_zone(c.geom) n)
        WHERE c.zone_id IS NULL AND c.geom IS NOT NULL
    """))
    session.execute(text("""
        UPDATE cases k SET zone_id = c.zone_id
        FROM (SELECT DISTINCT ON (case_id) case_id, zone_id FROM complaints ORDER BY case_id, received_at) c
        WHERE c.case_id = k.id
    """))
    session.execute(text("UPDATE sources s SET zone_id = ecogrid_zone_at(s.geom)"))


def _wkt(geom) -> str:
    return f"SRID=4326;{geom.wkt}"
