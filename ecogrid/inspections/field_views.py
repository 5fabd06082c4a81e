"""What the mobile form needs beyond tasks and inspections: the bureau's base map for its own Leaflet map."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from fastapi import APIRouter, Depends
from pydantic import BaseModel

from api.deps import Principal, SettingsDep, require_roles
from maps import render

router = APIRouter(tags=["inspections"])

FieldStaff = Annotated[Principal, Depends(require_roles("inspector", "chief"))]
_TAG = re.compile(r"<[^>]+>")


class TileLayerRead(BaseModel):
    name: str
    url: str
    attribution: str
    max_zoom: int
    subdomains: str | None
    labels: bool


class BaseMapRead(BaseModel):
    provider: str
    crs: Literal["wgs84", "gcj02"]
    layers: list[TileLayerRead]


@router.get("/api/v1/inspections/base-map", response_model=BaseMapRead)
def base_map(settings: SettingsDep, _: FieldStaff) -> BaseMapRead:
    """The configured base map (settings.base_map); ``none`` has no layers. With ``gcj02`` the form shifts
    every point it draws. Attributions come as plain text: the form writes them as text, never as markup."""
    layers = render.resolved_layers(settings.base_map, tianditu_key=settings.tianditu_key)
    return BaseMapRead(
        provider=settings.base_map, crs=render.provider_crs(settings.base_map),
        layers=[TileLayerRead(name=layer.name, url=layer.url, attribution=_TAG.sub("", layer.attribution)
                              .replace("&copy;", "©").replace("&amp;", "&"),
                              max_zoom=layer.max_zoom, subdomains=layer.subdomains, labels=layer.labels)
                for layer in layers])
