"""The section chief's heatmap page: heat, zone choropleth, hotspot cells, pollution sources.

Pure rendering: takes plain values (already aggregated in the database) and returns HTML that
loads nothing from the internet. Its size depends on the number of zones, cells and sources
handed in, never on the number of complaints.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

import folium
from branca.element import Element, Figure
from folium.plugins import HeatMap, MarkerCluster

from ecogrid.cases.states import STATUS_LABELS, Status
from ecogrid.core.vocabulary import label
from geo import coords
from maps import assets, render, safe_html

TEXT: Mapping[str, Mapping[str, str]] = {
    "title": {"zh": "投诉热力图与热点", "en": "Complaint heatmap and hotspots"},
    "heat": {"zh": "热力", "en": "Heat"},
    "zones": {"zh": "辖区", "en": "Zones"},
    "hotspots": {"zh": "热点/冷点网格", "en": "Hot and cold spots"},
    "sources": {"zh": "污染源", "en": "Pollution sources"},
    "complaints": {"zh": "投诉", "en": "Complaints"},
    "cases": {"zh": "问题", "en": "Cases"},
    "overdue": {"zh": "超期", "en": "Overdue"},
    "repeats": {"zh": "重复件", "en": "Repeats"},
    "satisfaction": {"zh": "满意率", "en": "Satisfaction"},
    "suspect_cases": {"zh": "关联问题", "en": "Linked cases"},
    "from": {"zh": "起", "en": "From"},
    "to": {"zh": "止", "en": "To"},
    "category": {"zh": "类别", "en": "Category"},
    "status": {"zh": "状态", "en": "Status"},
    "all": {"zh": "全部", "en": "All"},
    "apply": {"zh": "筛选", "en": "Apply"},
    "hot": {"zh": "热点", "en": "Hot spot"},
    "cold": {"zh": "冷点", "en": "Cold spot"},
    "confidence": {"zh": "置信度", "en": "confidence"},
    "cell": {"zh": "网格边长", "en": "Cell size"},
    "trend": {"zh": "趋势", "en": "Trend"},
    "up": {"zh": "上升", "en": "rising"},
    "down": {"zh": "下降", "en": "falling"},
    "flat": {"zh": "持平", "en": "steady"},
    "none": {"zh": "无", "en": "none"},
}
# Stronger evidence, heavier and darker outline.
HOT_STYLE: Mapping[int, tuple[str, int]] = {99: ("#b10026", 4), 95: ("#e31a1c", 3), 90: ("#fd8d3c", 2)}
COLD_STYLE: Mapping[int, tuple[str, int]] = {99: ("#08519c", 4), 95: ("#3182bd", 3), 90: ("#9ecae1", 2)}
ZONE_COLOURS = ("#fff5eb", "#fdd0a2", "#fdae6b", "#fd8d3c", "#e6550d", "#a63603")


def t(key: str, lang: str) -> str:
    return TEXT[key]["zh" if lang == "zh" else "en"]


@dataclass(frozen=True)
class HeatmapView:
    """Everything the page shows, as plain values in WGS-84."""

    centre: tuple[float, float]  # (lat, lon)
    bounds: tuple[float, float, float, float] | None  # west, south, east, north
    cell_m: float
    heat: Sequence[tuple[float, float, int]]  # lon, lat, count per grid cell
    zones: Sequence[Mapping[str, Any]]  # aggregate_zones rows (geometry as GeoJSON dicts)
    hotspots: Sequence[Mapping[str, Any]]  # significant cells only
    sources: Sequence[Mapping[str, Any]]  # id, name, industry, lon, lat, suspect_cases
    form: Mapping[str, str] = field(default_factory=dict)  # from, to, category, status
    categories: Sequence[str] = ()
    statuses: Sequence[str] = ()


def _shift_coords(value: Any, crs: str) -> Any:
    """Coordinates of a GeoJSON geometry moved from WGS-84 to ``crs`` (nested lists kept)."""
    if isinstance(value, list | tuple) and value and isinstance(value[0], int | float):
        lon, lat = coords.from_wgs84(float(value[0]), float(value[1]), crs)
        return [round(lon, 6), round(lat, 6)]
    return [_shift_coords(v, crs) for v in value]


def _shift_geometry(geometry: Mapping[str, Any], crs: str) -> dict[str, Any]:
    if crs == "wgs84":
        return dict(geometry)
    return {"type": geometry["type"], "coordinates": _shift_coords(geometry["coordinates"], crs)}


def _shift_point(lon: float, lat: float, crs: str) -> tuple[float, float]:
    return (lon, lat) if crs == "wgs84" else coords.from_wgs84(lon, lat, crs)


def _zone_colour(count: int, top: int) -> str:
    if top <= 0 or count <= 0:
        return ZONE_COLOURS[0]
    index = 1 + min(len(ZONE_COLOURS) - 2, int((count / top) * (len(ZONE_COLOURS) - 1)))
    return ZONE_COLOURS[index]


def render_heatmap_page(
    view: HeatmapView, *, lang: str = "zh", provider: str = "none", tianditu_key: str | None = None,
    nonce: str | None = None,
) -> str:
    """The whole page as HTML (offline: every script and stylesheet from ecogrid's vendor folder).

    ``nonce`` is the request's Content-Security-Policy nonce, put on every script of the page.
    """
    lang = "zh" if lang == "zh" else "en"
    crs = render.provider_crs(provider)
    centre_lon, centre_lat = _shift_point(view.centre[1], view.centre[0], crs)
    m = render.new_map(location=(centre_lat, centre_lon), zoom_start=12, provider=provider,
                       tianditu_key=tianditu_key)
    if view.bounds:
        west, south = _shift_point(view.bounds[0], view.bounds[1], crs)
        east, north = _shift_point(view.bounds[2], view.bounds[3], crs)
        m.fit_bounds([[south, west], [north, east]])

    _add_heat(m, view, crs=crs, lang=lang)
    _add_zones(m, view, crs=crs, lang=lang)
    _add_hotspots(m, view, crs=crs, lang=lang)
    _add_sources(m, view, crs=crs, lang=lang)
    folium.LayerControl(collapsed=False).add_to(m)
    root = cast(Figure, m.get_root())  # a map is always drawn on a Figure
    root.header.add_child(Element(f"<title>{html.escape(t('title', lang))}</title>"))
    root.html.add_child(Element(_legend_html(view, lang)))
    root.html.add_child(Element(_form_html(view, lang)))
    return assets.render_offline_html(m, nonce=nonce)


def _add_heat(m: folium.Map, view: HeatmapView, *, crs: str, lang: str) -> None:
    group = folium.FeatureGroup(name=t("heat", lang), show=True)
    top = max((count for _, _, count in view.heat), default=0)
    points = []
    for lon, lat, count in view.heat:
        x, y = _shift_point(lon, lat, crs)
        points.append([round(y, 6), round(x, 6), round(count / top, 4) if top else 0.0])
    if points:
        HeatMap(points, radius=18, blur=14, min_opacity=0.3, max_zoom=14).add_to(group)
    group.add_to(m)


def _tooltip(row: Mapping[str, Any], lang: str) -> str:
    rate = row.get("satisfaction_rate")
    rate_text = f"{rate * 100:.0f}%" if rate is not None else t("none", lang)
    lines = [
        f"<b>{safe_html.text(row['name'])}</b> ({safe_html.text(row['code'])})",
        f"{t('complaints', lang)}: {row['complaints']}",
        f"{t('cases', lang)}: {row['cases']}",
        f"{t('overdue', lang)}: {row['overdue']}",
        f"{t('repeats', lang)}: {row['repeats']}",
        f"{t('satisfaction', lang)}: {rate_text}",
    ]
    return safe_html.tooltip("<br>".join(lines))


def _add_zones(m: folium.Map, view: HeatmapView, *, crs: str, lang: str) -> None:
    top = max((int(z["complaints"]) for z in view.zones), default=0)
    features = []
    for row in view.zones:
        if not row.get("geometry"):
            continue
        features.append({
            "type": "Feature",
            "geometry": _shift_geometry(row["geometry"], crs),
            "properties": {"fill": _zone_colour(int(row["complaints"]), top),
                           "overdue": int(row["overdue"]), "tip": _tooltip(row, lang)},
        })
    layer = folium.GeoJson(
        {"type": "FeatureCollection", "features": features},
        name=t("zones", lang),
        style_function=lambda f: {
            "fillColor": f["properties"]["fill"], "fillOpacity": 0.45,
            # Zones with overdue cases get a red border: what the chief must chase first.
            "color": "#c00000" if f["properties"]["overdue"] else "#555555",
            "weight": 2 if f["properties"]["overdue"] else 1,
        },
        tooltip=folium.GeoJsonTooltip(fields=["tip"], labels=False) if features else None,
    )
    layer.add_to(m)


def _add_hotspots(m: folium.Map, view: HeatmapView, *, crs: str, lang: str) -> None:
    features = []
    for cell in view.hotspots:
        styles = HOT_STYLE if cell["hot_cold"] == "hot" else COLD_STYLE
        colour, weight = styles[int(cell["confidence"])]
        tip = (f"{t(cell['hot_cold'], lang)} {cell['confidence']}% {t('confidence', lang)}<br>"
               f"{t('complaints', lang)}: {cell['count']} ({cell.get('previous', 0)})<br>"
               f"{t('trend', lang)}: {t(cell.get('trend') or 'flat', lang)}")
        features.append({"type": "Feature", "geometry": _shift_geometry(cell["geometry"], crs),
                         "properties": {"colour": colour, "weight": weight, "tip": tip}})
    folium.GeoJson(
        {"type": "FeatureCollection", "features": features},
        name=t("hotspots", lang),
        style_function=lambda f: {"color": f["properties"]["colour"], "weight": f["properties"]["weight"],
                                  "fill": False},
        # folium refuses a tooltip field that no feature has; an empty layer still gets its control entry.
        tooltip=folium.GeoJsonTooltip(fields=["tip"], labels=False) if features else None,
    ).add_to(m)


def _add_sources(m: folium.Map, view: HeatmapView, *, crs: str, lang: str) -> None:
    group = folium.FeatureGroup(name=t("sources", lang), show=True)
    cluster = MarkerCluster().add_to(group)
    for source in view.sources:
        lon, lat = _shift_point(float(source["lon"]), float(source["lat"]), crs)
        # The tooltip's text lands in a JavaScript template literal: safe_html, not html.escape.
        text = safe_html.tooltip(f"{safe_html.text(source['name'])}<br>"
                                 f"{safe_html.text(label(str(source['industry']), lang))}<br>"
                                 f"{t('suspect_cases', lang)}: {source['suspect_cases']}")
        folium.CircleMarker(location=[round(lat, 6), round(lon, 6)], radius=5, color="#4a1486", fill=True,
                            fill_opacity=0.8, weight=1, tooltip=text).add_to(cluster)
    group.add_to(m)


def _legend_html(view: HeatmapView, lang: str) -> str:
    rows = [f"<b>{html.escape(t('hotspots', lang))}</b> ({t('cell', lang)} {view.cell_m:g} m)"]
    for kind, styles in (("hot", HOT_STYLE), ("cold", COLD_STYLE)):
        for level, (colour, weight) in styles.items():
            rows.append(f'<span style="display:inline-block;width:14px;height:10px;border:{weight}px solid '
                        f'{colour}"></span> {t(kind, lang)} {level}%')
    top = max((int(z["complaints"]) for z in view.zones), default=0)
    rows.append(f"<b>{html.escape(t('zones', lang))}</b>: {t('complaints', lang)} 0 - {top}")
    rows.append(" ".join(f'<span style="display:inline-block;width:14px;height:10px;background:{c}"></span>'
                         for c in ZONE_COLOURS))
    rows.append(f'<span style="display:inline-block;width:14px;height:10px;border:2px solid #c00000"></span> '
                f"{t('overdue', lang)}")
    return ('<div id="heatmap-legend" style="position:fixed;bottom:24px;left:12px;z-index:9999;background:#fff;'
            'padding:6px 8px;border:1px solid #999;font:12px sans-serif;line-height:18px">'
            + "<br>".join(rows) + "</div>")


def _label(value: str, lang: str) -> str:
    if value in Status.__members__:
        zh, en = STATUS_LABELS[Status(value)]
        return zh if lang == "zh" else en
    return label(value, lang)


def _options(name: str, values: Sequence[str], chosen: str, lang: str) -> str:
    items = [f'<option value="">{t("all", lang)}</option>']
    for value in values:
        selected = " selected" if value == chosen else ""
        items.append(f'<option value="{html.escape(value)}"{selected}>{html.escape(_label(value, lang))}</option>')
    return f'<select name="{name}">' + "".join(items) + "</select>"


def _form_html(view: HeatmapView, lang: str) -> str:
    form = view.form
    return (
        '<form id="heatmap-filters" method="get" style="position:fixed;top:10px;left:54px;z-index:9999;'
        'background:#fff;padding:6px 8px;border:1px solid #999;font:12px sans-serif">'
        f'<b>{html.escape(t("title", lang))}</b> '
        f'<label>{t("from", lang)} <input type="date" name="from" value="{html.escape(form.get("from", ""))}">'
        "</label> "
        f'<label>{t("to", lang)} <input type="date" name="to" value="{html.escape(form.get("to", ""))}"></label> '
        f'<label>{t("category", lang)} {_options("category", view.categories, form.get("category", ""), lang)}'
        "</label> "
        f'<label>{t("status", lang)} {_options("status", view.statuses, form.get("status", ""), lang)}</label> '
        f'<input type="hidden" name="lang" value="{lang}">'
        f'<button type="submit">{t("apply", lang)}</button></form>'
    )
