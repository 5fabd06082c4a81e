"""The map page of a patrol route: the office, numbered stops in visiting order, the tour line.

Markers are DivIcons (plain HTML, no marker images to fetch) so the page needs nothing beyond
the vendored Leaflet files. Over a GCJ-02 base map every point is shifted to GCJ-02 first.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import cast

import folium
from branca.element import Figure

from geo.coords import from_wgs84
from maps import safe_html
from maps.assets import render_offline_html
from maps.render import new_map, provider_crs

_STOP_STYLE = ("box-sizing:border-box;background:{bg};color:#fff;border:2px solid #fff;border-radius:50%;"
               "width:26px;height:26px;text-align:center;font:bold 13px/22px sans-serif;"
               "box-shadow:0 0 3px #333;")
_OFFICE_STYLE = ("background:#1f3b73;color:#fff;border-radius:4px;padding:2px 6px;font:bold 12px sans-serif;"
                 "white-space:nowrap;box-shadow:0 0 3px #333;")


@dataclass(frozen=True)
class RouteStop:
    seq: int
    name: str
    lon: float
    lat: float
    done: bool


def render_route_page(*, route_id: int, office: tuple[float, float], stops: Sequence[RouteStop],
                      total_m: float, provider: str = "none", tianditu_key: str | None = None,
                      nonce: str | None = None) -> str:
    """HTML of the route map; coordinates are WGS-84 (lon, lat) and shifted here if the base map needs it.

    ``nonce`` is the request's Content-Security-Policy nonce, put on every script of the page.
    """
    shift = provider_crs(provider) == "gcj02"

    def place(lon: float, lat: float) -> tuple[float, float]:
        # folium wants (lat, lon).
        x, y = from_wgs84(lon, lat, "gcj02") if shift else (lon, lat)
        return (y, x)

    office_at = place(*office)
    m = new_map(location=office_at, zoom_start=13, provider=provider, tianditu_key=tianditu_key)
    cast(Figure, m.get_root()).header.add_child(folium.Element(
        f"<title>Patrol route {route_id}</title>"
        "<style>.route-stop,.route-office{background:none;border:none}</style>"))
    path = [office_at, *(place(s.lon, s.lat) for s in stops), office_at]
    if stops:
        folium.PolyLine(path, color="#d7301f", weight=4, opacity=0.8,
                        tooltip=f"{total_m / 1000:.2f} km").add_to(m)
    folium.Marker(office_at, tooltip="office", icon=folium.DivIcon(
        class_name="route-office", icon_size=(60, 22), icon_anchor=(30, 11),
        html=f'<div data-office="1" style="{_OFFICE_STYLE}">office</div>')).add_to(m)
    for stop in stops:
        colour = "#1a9850" if stop.done else "#d7301f"
        # A tooltip's text lands in a JavaScript template literal: safe_html, not html.escape.
        label = safe_html.text(f"{stop.seq}. {stop.name}" + (" (done)" if stop.done else ""))
        folium.Marker(place(stop.lon, stop.lat), tooltip=label, icon=folium.DivIcon(
            class_name="route-stop", icon_size=(26, 26), icon_anchor=(13, 13),
            html=f'<div class="stop-number" data-seq="{stop.seq}" style="{_STOP_STYLE.format(bg=colour)}">'
                 f"{stop.seq}</div>")).add_to(m)
    if len(path) > 1:
        m.fit_bounds([[min(p[0] for p in path), min(p[1] for p in path)],
                      [max(p[0] for p in path), max(p[1] for p in path)]], padding=(30, 30))
    return render_offline_html(m, nonce=nonce)
