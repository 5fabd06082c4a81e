"""Base maps for ecogrid's map pages and a map factory that starts without any tile server.

A map page talks to a tile server only when the bureau chose one: with the ``none`` base
layer the page contains no tile address at all, so it works on a network with no way out.
Tiles drawn in GCJ-02 (Amap and most Chinese commercial maps) need every overlay shifted
to GCJ-02 first; :func:`provider_crs` tells the caller which datum to draw in.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, cast
from urllib.parse import urlsplit

import folium

MapCrs = Literal["wgs84", "gcj02"]
_CRS_VALUES: tuple[str, ...] = ("wgs84", "gcj02")
_KEY_PLACEHOLDER = "{tianditu_key}"
_DEFAULT_MAX_ZOOM = 18
# Tianditu browser keys are 32 hex characters; a looser check still keeps quotes and
# URL syntax out of the tile address.
_TIANDITU_KEY_RE = re.compile(r"^[0-9A-Za-z]{16,64}$")


class BaseLayerError(ValueError):
    """A base layer choice or its settings are not usable."""


@dataclass(frozen=True)
class TileSpec:
    name: str
    url: str
    attribution: str
    max_zoom: int
    subdomains: str | None = None
    labels: bool = False


@dataclass(frozen=True)
class BaseLayerProvider:
    key: str
    label: str
    crs: MapCrs
    layers: tuple[TileSpec, ...]

    @property
    def needs_tianditu_key(self) -> bool:
        return any(_KEY_PLACEHOLDER in layer.url for layer in self.layers)


def default_base_layers_path() -> Path:
    return Path(__file__).resolve().parent / "base_layers.json"


def load_base_layers(path: Path | None = None) -> dict[str, BaseLayerProvider]:
    source = path or default_base_layers_path()
    raw = json.loads(source.read_text(encoding="utf-8"))
    providers: dict[str, BaseLayerProvider] = {}
    for key, entry in raw["providers"].items():
        crs = entry.get("crs")
        if crs not in _CRS_VALUES:
            raise BaseLayerError(f"{source}: providers.{key}.crs must be one of {_CRS_VALUES}, not {crs!r}")
        layers = tuple(
            TileSpec(
                name=layer["name"],
                url=layer["url"],
                attribution=layer["attribution"],
                max_zoom=int(layer.get("max_zoom", 18)),
                subdomains=layer.get("subdomains"),
                labels=bool(layer.get("labels", False)),
            )
            for layer in entry.get("layers", [])
        )
        providers[key] = BaseLayerProvider(
            key=key, label=entry.get("label", key), crs=cast(MapCrs, crs), layers=layers
        )
    return providers


def get_provider(provider: str, *, path: Path | None = None) -> BaseLayerProvider:
    providers = load_base_layers(path)
    try:
        return providers[provider]
    except KeyError:
        raise BaseLayerError(
            f"provider must be one of {sorted(providers)}, not {provider!r}"
        ) from None


def provider_crs(provider: str, *, path: Path | None = None) -> MapCrs:
    """Datum overlays must be drawn in over this base map ("gcj02" means: shift them first)."""
    return get_provider(provider, path=path).crs


def tile_origins(provider: str, *, path: Path | None = None) -> list[str]:
    """The origins (scheme://host) the chosen base map loads tiles from, one per subdomain.

    A page's Content-Security-Policy allows images from these and no other remote host.
    """
    origins: list[str] = []
    for layer in get_provider(provider, path=path).layers:
        parts = urlsplit(layer.url)
        hosts = [parts.netloc.replace("{s}", s) for s in layer.subdomains] if "{s}" in parts.netloc and \
            layer.subdomains else [parts.netloc]
        for host in hosts:
            origin = f"{parts.scheme}://{host}"
            if origin not in origins:
                origins.append(origin)
    return origins


def _tile_url(layer: TileSpec, *, tianditu_key: str | None) -> str:
    if _KEY_PLACEHOLDER not in layer.url:
        return layer.url
    if not tianditu_key:
        raise BaseLayerError("tianditu_key is required for a Tianditu base map")
    if not _TIANDITU_KEY_RE.fullmatch(tianditu_key):
        raise BaseLayerError("tianditu_key must be 16-64 letters or digits")
    return layer.url.replace(_KEY_PLACEHOLDER, tianditu_key)


def add_base_layer(
    m: folium.Map,
    *,
    provider: str,
    tianditu_key: str | None = None,
    path: Path | None = None,
) -> list[folium.TileLayer]:
    """Add the chosen base map's tile layers to ``m``; ``none`` adds nothing.

    Label layers (Tianditu's annotation tiles) sit above the base as a fixed overlay, not as
    a separate choice in the layer control.
    """
    chosen = get_provider(provider, path=path)
    added: list[folium.TileLayer] = []
    for layer in chosen.layers:
        options: dict[str, Any] = {}
        if layer.subdomains:
            options["subdomains"] = layer.subdomains
        tile_layer = folium.TileLayer(
            tiles=_tile_url(layer, tianditu_key=tianditu_key),
            attr=layer.attribution,
            name=layer.name,
            max_zoom=layer.max_zoom,
            overlay=layer.labels,
            control=not layer.labels,
            **options,
        )
        tile_layer.add_to(m)
        added.append(tile_layer)
    return added


def new_map(
    *,
    location: Sequence[float],
    zoom_start: int = 12,
    max_zoom: int | None = None,
    provider: str = "none",
    tianditu_key: str | None = None,
    path: Path | None = None,
) -> folium.Map:
    """A folium map centred on ``location`` (lat, lon) with only the chosen base map.

    folium's own default would add OpenStreetMap tiles; the map starts without tiles so that
    ``none`` really means no tile server. The map carries its own maxZoom because without a
    tile layer Leaflet has none, and marker clustering refuses to start without it.
    """
    chosen = get_provider(provider, path=path)
    zoom_limit = max_zoom or max((layer.max_zoom for layer in chosen.layers), default=_DEFAULT_MAX_ZOOM)
    # Passed as a Leaflet option: folium's own max_zoom argument only reaches its default tiles.
    leaflet_options: dict[str, Any] = {"maxZoom": zoom_limit}
    m = folium.Map(location=list(location), zoom_start=zoom_start, tiles=None, **leaflet_options)
    add_base_layer(m, provider=provider, tianditu_key=tianditu_key, path=path)
    return m


def resolved_layers(provider: str, *, tianditu_key: str | None = None, path: Path | None = None) -> list[TileSpec]:
    """The chosen base map's layers with their final tile addresses (for pages drawing Leaflet themselves)."""
    return [
        TileSpec(name=layer.name, url=_tile_url(layer, tianditu_key=tianditu_key), attribution=layer.attribution,
                 max_zoom=layer.max_zoom, subdomains=layer.subdomains, labels=layer.labels)
        for layer in get_provider(provider, path=path).layers
    ]
def page_layers(provider: str, *, tianditu_key: str | None = None, path: Path | None = None) -> dict[str, Any]:
    """The chosen base map for a page's own Leaflet script: its tile layers and the datum overlays are drawn in
    (a page shifts its WGS-84 points with ``geo.coords.from_wgs84`` when it is ``gcj02``)."""
    chosen = get_provider(provider, path=path)
    return {"crs": chosen.crs, "max_zoom": max((layer.max_zoom for layer in chosen.layers), default=_DEFAULT_MAX_ZOOM),
            "layers": [{"url": _tile_url(layer, tianditu_key=tianditu_key), "attribution": layer.attribution,
                        "max_zoom": layer.max_zoom, "subdomains": layer.subdomains or "abc"}
                       for layer in chosen.layers]}
