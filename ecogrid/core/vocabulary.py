"""The fixed vocabulary of the API (channels, kinds, categories, zone levels, roles), with Chinese and English
display labels. Kinds are the bureaus' three classes (投诉举报, 咨询, 建议); categories are those of published
complaint statistics (air, water, noise, soil, solid waste, radiation, ecology, other).

API values are the English codes; labels are for pages, exports and reports.
"""

from __future__ import annotations

from enum import StrEnum


class Channel(StrEnum):
    hotline_12345 = "hotline_12345"
    hotline_12369 = "hotline_12369"
    national_platform = "national_platform"
    provincial_hotline = "provincial_hotline"
    letter = "letter"
    visit = "visit"
    web = "web"
    open311 = "open311"
    patrol = "patrol"
    monitoring = "monitoring"


# The platforms that dispatch work orders to the bureau: a work order from one of them that is not the
# bureau's goes back to it (退单); what came by letter, visit, the web or the bureau's own finding does not.
DISPATCHING_PLATFORMS = frozenset({Channel.hotline_12345, Channel.hotline_12369, Channel.national_platform,
                                   Channel.provincial_hotline})


class Kind(StrEnum):
    complaint = "complaint"
    consultation = "consultation"
    suggestion = "suggestion"


class Category(StrEnum):
    odour = "odour"
    voc = "voc"
    dust = "dust"
    smoke = "smoke"
    cooking_fumes = "cooking_fumes"
    noise_industrial = "noise_industrial"
    noise_construction = "noise_construction"
    noise_social = "noise_social"
    noise_traffic = "noise_traffic"
    wastewater = "wastewater"
    black_odorous_water = "black_odorous_water"
    soil = "soil"
    solid_waste = "solid_waste"
    hazardous_waste = "hazardous_waste"
    radiation = "radiation"
    ecology = "ecology"
    other = "other"


class Industry(StrEnum):
    chemical = "chemical"
    pharmaceutical = "pharmaceutical"
    printing = "printing"
    furniture = "furniture"
    auto_repair = "auto_repair"
    restaurant = "restaurant"
    construction_site = "construction_site"
    sewage_plant = "sewage_plant"
    livestock_farm = "livestock_farm"
    concrete_plant = "concrete_plant"
    asphalt_plant = "asphalt_plant"
    waste_transfer = "waste_transfer"
    hospital = "hospital"
    other = "other"


class Crs(StrEnum):
    wgs84 = "wgs84"
    gcj02 = "gcj02"
    bd09 = "bd09"
    cgcs2000 = "cgcs2000"


class Role(StrEnum):
    admin = "admin"
    chief = "chief"
    planner = "planner"
    inspector = "inspector"
    clerk = "clerk"


class StationKind(StrEnum):
    """Fixed monitors (ecogrid.monitoring): stack, outfall and boundary monitors belong to a source."""

    air_quality = "air_quality"
    stack = "stack"
    outfall = "outfall"
    boundary = "boundary"
    noise = "noise"
    weather = "weather"


class ReturnReason(StrEnum):
    """Why a work order goes back to the platform that dispatched it (退单), before acceptance."""

    outside_territory = "outside_territory"
    outside_function = "outside_function"
    incomplete = "incomplete"
    repeated_order = "repeated_order"
    not_a_matter = "not_a_matter"


class DepartmentKind(StrEnum):
    """The bodies a case is transferred to (转办), handed over to (移交) or handled jointly with (会同)."""

    police = "police"
    urban_management = "urban_management"
    street_office = "street_office"
    health_centre = "health_centre"
    housing = "housing"
    market_regulation = "market_regulation"
    water = "water"
    transport = "transport"
    agriculture = "agriculture"
    natural_resources = "natural_resources"
    other_department = "other_department"


class ZoneLevel(StrEnum):
    district = "district"
    street = "street"
    grid = "grid"
    cell = "cell"  # 单元网格: the square cells ``ecogrid zones grid`` generates inside a zone


class ContactMethod(StrEnum):
    """How the bureau reached a complainant: a revisit (回访) or any other contact of the contact log."""

    phone = "phone"
    site = "site"
    sms = "sms"


# The nesting order of zone levels, outermost first; "deepest zone" means the last one here
# (the database's ``ecogrid_zone_depth`` ranks them the same way, migration 0010).
ZONE_LEVEL_DEPTH = {ZoneLevel.district: 1, ZoneLevel.street: 2, ZoneLevel.grid: 3, ZoneLevel.cell: 4}

NOISE_CLASSES = ("0", "1", "2", "3", "4a", "4b")

LABELS: dict[str, tuple[str, str]] = {
    # channel
    "hotline_12345": ("12345热线", "12345 hotline"),
    "hotline_12369": ("12369环保热线", "12369 environmental hotline"),
    "national_platform": ("全国生态环境信访投诉举报管理平台", "National complaint platform"),
    "provincial_hotline": ("省级督察热线", "Provincial supervision hotline"),
    "letter": ("来信", "Letter"),
    "visit": ("来访", "Visit in person"),
    "web": ("网上投诉", "Web / app"),
    "open311": ("Open311接口", "Open311 client"),
    "patrol": ("巡查发现", "Found on patrol"),
    "monitoring": ("在线监测报警", "Online monitoring alarm"),
    # kind
    "complaint": ("投诉举报", "Complaint / report"),
    "consultation": ("咨询", "Consultation"),
    "suggestion": ("建议", "Suggestion"),
    # category
    "odour": ("异味/恶臭", "Odour"),
    "voc": ("挥发性有机物", "VOC"),
    "dust": ("扬尘", "Dust"),
    "smoke": ("烟尘", "Smoke"),
    "cooking_fumes": ("餐饮油烟", "Cooking fumes"),
    "noise_industrial": ("工业噪声", "Industrial noise"),
    "noise_construction": ("建筑施工噪声", "Construction noise"),
    "noise_social": ("社会生活噪声", "Social-life noise"),
    "noise_traffic": ("交通噪声", "Traffic noise"),
    "wastewater": ("污水", "Wastewater"),
    "black_odorous_water": ("黑臭水体", "Black-odorous water"),
    "soil": ("土壤", "Soil"),
    "solid_waste": ("固体废物/垃圾", "Solid waste"),
    "hazardous_waste": ("危险废物/医疗废物", "Hazardous / medical waste"),
    "radiation": ("辐射", "Radiation"),
    "ecology": ("生态", "Ecology"),
    "other": ("其他", "Other"),
    # role
    "admin": ("系统管理员", "Administrator"),
    "chief": ("科长", "Section chief"),
    "planner": ("计划员", "Planner"),
    "inspector": ("执法/监测人员", "Inspector"),
    "clerk": ("受理员", "Intake clerk"),
    # industry
    "chemical": ("化工", "Chemical"),
    "pharmaceutical": ("制药", "Pharmaceutical"),
    "printing": ("印刷", "Printing"),
    "furniture": ("家具(涂装)", "Furniture coating"),
    "auto_repair": ("汽修", "Auto repair"),
    "restaurant": ("餐饮", "Restaurant"),
    "construction_site": ("建筑工地", "Construction site"),
    "sewage_plant": ("污水处理厂", "Sewage plant"),
    "livestock_farm": ("畜禽养殖场", "Livestock farm"),
    "concrete_plant": ("混凝土搅拌站", "Concrete plant"),
    "asphalt_plant": ("沥青搅拌站", "Asphalt plant"),
    "waste_transfer": ("垃圾中转站", "Waste transfer station"),
    "hospital": ("医院", "Hospital"),
    # monitor station kind
    "air_quality": ("空气质量监测站", "Air-quality station"),
    "stack": ("废气排放口在线监测", "Stack monitor"),
    "outfall": ("废水排放口在线监测", "Outfall monitor"),
    "boundary": ("厂界监测点", "Plant-boundary monitor"),
    "noise": ("噪声自动监测站", "Noise monitor"),
    "weather": ("气象站", "Weather station"),
    # reason of a return to the dispatching platform (退单)
    "outside_territory": ("属地不符", "Outside our territory"),
    "outside_function": ("职能不符", "Outside our function"),
    "incomplete": ("信息不全", "Incomplete information"),
    "repeated_order": ("重复派单", "Dispatched twice"),
    "not_a_matter": ("非诉求事项", "Not a request to handle"),
    # department kind
    "police": ("公安机关", "Police"),
    "urban_management": ("城管执法", "Urban management"),
    "street_office": ("街道办事处/乡镇", "Street office / township"),
    "health_centre": ("卫生院/卫健部门", "Health centre / health commission"),
    "housing": ("住建部门", "Housing and construction"),
    "market_regulation": ("市场监管部门", "Market regulation"),
    "water": ("水务部门", "Water authority"),
    "transport": ("交通运输部门", "Transport"),
    "agriculture": ("农业农村部门", "Agriculture and rural affairs"),
    "natural_resources": ("自然资源部门", "Natural resources"),
    "other_department": ("其他部门", "Other department"),
    # zone level
    "district": ("区县", "District"),
    "street": ("街道", "Street"),
    "grid": ("网格", "Grid"),
    # contact method (revisits and the contact log)
    "phone": ("电话", "Phone"),
    "site": ("现场", "On site"),
    "sms": ("短信", "Text message"),
    "cell": ("单元网格", "Grid cell"),
}


def label(code: str, lang: str = "zh") -> str:
    zh, en = LABELS.get(code, (code, code))
    return zh if lang.startswith("zh") else en
