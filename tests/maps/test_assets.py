"""Map pages load every script, stylesheet and font from ecogrid, never from a CDN."""

from __future__ import annotations

from pathlib import Path

import branca.colormap
import folium
import pytest
from folium.plugins import Fullscreen, HeatMap, MarkerCluster

from maps import assets, render

INSTALL_HINT = "vendor assets {state}: run `python -m maps.assets install` (needs npm) first"

ZONES = {
    "type": "FeatureCollection",
    "features": [
        {
            "type": "Feature",
            "properties": {"name": "西湖街道 网格 3", "complaints": 7},
            "geometry": {
                "type": "Polygon",
                "coordinates": [
                    [[120.10, 30.20], [120.20, 30.20], [120.20, 30.30], [120.10, 30.30], [120.10, 30.20]]
                ],
            },
        }
    ],
}


@pytest.fixture(scope="module")
def installed_vendor() -> Path:
    # Only an install that never ran (or predates the lock file) skips; files lost from a
    # finished install must fail the tests below.
    state = assets.install_state()
    if state in ("missing", "stale"):
        pytest.skip(INSTALL_HINT.format(state=state))
    return assets.vendor_dir()


def build_zone_page(*, provider: str = "none", tianditu_key: str | None = None) -> folium.Map:
    """The layers a section chief's zone page carries."""
    m = render.new_map(location=[30.25, 120.15], provider=provider, tianditu_key=tianditu_key)
    HeatMap([[30.25, 120.15, 1.0], [30.26, 120.16, 0.4]], name="投诉热力").add_to(m)
    sources = MarkerCluster(name="污染源").add_to(m)
    factory_icon = folium.Icon(icon="industry", prefix="fa", angle=45)
    folium.Marker([30.25, 120.15], tooltip="化工厂", icon=factory_icon).add_to(sources)
    folium.Marker([30.251, 120.151], popup="<b>汽修厂</b>", icon=folium.Icon(color="red")).add_to(sources)
    folium.GeoJson(
        ZONES, name="网格", tooltip=folium.GeoJsonTooltip(fields=["name", "complaints"])
    ).add_to(m)
    folium.PolyLine([[30.25, 120.15], [30.26, 120.16]], tooltip="巡查路线").add_to(m)
    branca.colormap.LinearColormap(["green", "yellow", "red"], vmin=0, vmax=10, caption="投诉数").add_to(m)
    folium.LayerControl().add_to(m)
    return m


def test_plain_folium_page_is_caught_loading_from_cdn() -> None:
    html = build_zone_page().get_root().render()

    found = assets.external_urls(html)

    assert "https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.js" in found
    assert "https://cdnjs.cloudflare.com/ajax/libs/d3/3.5.5/d3.min.js" in found
    with pytest.raises(assets.ExternalAssetError, match="leaflet@1.9.3"):
        assets.ensure_offline(html)


def test_offline_zone_page_loads_nothing_from_outside() -> None:
    html = assets.render_offline_html(build_zone_page())

    assert assets.external_urls(html) == []
    assert assets.tile_urls(html) == []
    assert "{z}" not in html and "tile.openstreetmap.org" not in html


def test_every_vendor_address_on_the_page_is_a_file(installed_vendor: Path) -> None:
    html = assets.render_offline_html(build_zone_page())

    local = assets.local_vendor_urls(html)

    # The page really uses the libraries that would otherwise come from a CDN.
    for expected in (
        "/static/vendor/leaflet/leaflet.js",
        "/static/vendor/folium/leaflet_heat.min.js",
        "/static/vendor/markercluster/leaflet.markercluster.js",
        "/static/vendor/d3/d3.min.js",
        "/static/vendor/glyphicons/css/bootstrap-glyphicons.css",
    ):
        assert expected in local
    assert assets.missing_vendor_files(html, root=installed_vendor) == []


def test_every_address_folium_knows_has_a_vendor_file(installed_vendor: Path) -> None:
    missing = [target for target in assets.CDN_URL_MAP.values() if not (installed_vendor / target).is_file()]

    assert missing == []


def test_vendor_stylesheets_find_their_fonts_and_images(installed_vendor: Path) -> None:
    assert assets.broken_css_references(installed_vendor) == []
    icons = (installed_vendor / "glyphicons/css/bootstrap-glyphicons.css").read_text(encoding="utf-8")
    assert ".glyphicon-info-sign:before" in icons
    assert "box-sizing" not in icons  # none of Bootstrap 3's reset, which would fight Bootstrap 5


def test_custom_prefix_is_used_for_every_asset() -> None:
    html = assets.render_offline_html(build_zone_page(), prefix="/ecogrid/static/vendor/")

    assert assets.local_vendor_urls(html, prefix="/ecogrid/static/vendor")
    assert assets.local_vendor_urls(html) == []


def test_plugin_with_unknown_cdn_address_fails_the_render() -> None:
    m = build_zone_page()
    Fullscreen().add_to(m)

    with pytest.raises(assets.ExternalAssetError, match="fullscreen"):
        assets.render_offline_html(m)


def test_external_urls_sees_css_inline_html_and_protocol_relative_addresses() -> None:
    html = """<html><head>
    <script src="//cdn.example.com/lib.js"></script>
    <link rel="stylesheet" href="/static/vendor/leaflet/leaflet.css"/>
    <style>@import 'https://fonts.example.com/css'; .a { background: url("https://img.example.com/bg.png") }
    .b { background: url(data:image/png;base64,AAAA) } .c { background: url(images/local.png) }</style>
    </head><body>
    <div style="background-image: url(http://img.example.com/inline.png)"></div>
    <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a>
    <script>var html = $(`<img src=\\"https://img.example.com/popup.png\\">`);</script>
    </body></html>"""

    assert assets.external_urls(html) == [
        "//cdn.example.com/lib.js",
        "https://img.example.com/bg.png",
        "https://fonts.example.com/css",
        "http://img.example.com/inline.png",
        "https://img.example.com/popup.png",
    ]


def test_glyphicon_extraction_keeps_only_icon_rules() -> None:
    css = """/* Bootstrap 3 */
    html { font-family: sans-serif; }
    @font-face { font-family: "Glyphicons Halflings"; src: url("../fonts/g.woff"); }
    @font-face { font-family: "Other"; src: url("../fonts/o.woff"); }
    .glyphicon { display: inline-block; }
    .glyphicon-euro:before, .glyphicon-eur:before { content: "\\20ac"; }
    .btn .glyphicon, .glyphicon-x { color: red; }
    @media (min-width: 768px) { .glyphicon { top: 2px; } }
    """

    kept = assets.glyphicons_css(css)

    assert '"Glyphicons Halflings"' in kept and ".glyphicon-eur:before" in kept
    assert "sans-serif" not in kept and '"Other"' not in kept
    assert ".btn" not in kept and "@media" not in kept


def test_install_into_new_folder_copies_files_then_skips(tmp_path: Path, installed_vendor: Path) -> None:
    if not assets.node_modules_current():
        pytest.skip(INSTALL_HINT.format(state="not in maps/node_modules"))
    target = tmp_path / "vendor"

    first = assets.install_vendor_assets(target=target)
    second = assets.install_vendor_assets(target=target)

    assert not first.skipped and not first.ran_npm
    assert sorted(p.relative_to(target) for p in target.rglob("*")) == sorted(
        p.relative_to(installed_vendor) for p in installed_vendor.rglob("*")
    )
    assert second.skipped
    assert assets.is_installed(target=target)


# --- base maps ----------------------------------------------------------------------------


def test_base_map_datum_tells_when_overlays_must_shift() -> None:
    assert render.provider_crs("gaode") == "gcj02"
    assert render.provider_crs("tianditu") == "wgs84"
    assert render.provider_crs("osm") == "wgs84"
    assert render.provider_crs("none") == "wgs84"


def test_unknown_base_map_names_the_field() -> None:
    with pytest.raises(render.BaseLayerError, match="provider must be one of"):
        render.provider_crs("google")


def test_tianditu_needs_a_key() -> None:
    m = render.new_map(location=[30.25, 120.15])

    with pytest.raises(render.BaseLayerError, match="tianditu_key is required"):
        render.add_base_layer(m, provider="tianditu", tianditu_key=None)
    with pytest.raises(render.BaseLayerError, match="tianditu_key must be"):
        render.add_base_layer(m, provider="tianditu", tianditu_key='abc"; alert(1); "' + "0" * 20)


def test_tianditu_page_carries_base_and_labels_with_the_key() -> None:
    key = "0123456789abcdef0123456789abcdef"

    html = assets.render_offline_html(build_zone_page(provider="tianditu", tianditu_key=key))

    tiles = assets.tile_urls(html)
    assert len(tiles) == 2
    assert all(url.startswith("https://t{s}.tianditu.gov.cn/") and url.endswith(f"tk={key}") for url in tiles)
    assert assets.external_urls(html) == []


def test_osm_page_has_its_tile_server_but_no_cdn() -> None:
    html = assets.render_offline_html(build_zone_page(provider="osm"))

    assert assets.tile_urls(html) == ["https://tile.openstreetmap.org/{z}/{x}/{y}.png"]
    assert assets.external_urls(html) == []


def test_bureau_can_supply_its_own_base_map_list(tmp_path: Path) -> None:
    own = tmp_path / "layers.json"
    own.write_text(
        '{"providers": {"tencent": {"label": "腾讯", "crs": "gcj02", "layers": ['
        '{"name": "腾讯地图", "url": "https://rt{s}.map.gtimg.com/tile?z={z}&x={x}&y={-y}", '
        '"attribution": "Tencent", "subdomains": "0123"}]}}}',
        encoding="utf-8",
    )

    m = render.new_map(location=[30.25, 120.15], provider="tencent", path=own)

    assert render.provider_crs("tencent", path=own) == "gcj02"
    assert assets.tile_urls(m.get_root().render()) == ["https://rt{s}.map.gtimg.com/tile?z={z}&x={x}&y={-y}"]


def test_sample_pages_of_packages_are_removed_and_package_files_kept(tmp_path) -> None:
    modules = tmp_path / "node_modules"
    for path in ("leaflet.markercluster/example/marker-clustering.html", "leaflet.markercluster/dist/mc.js",
                 "@scope/pkg/demo/index.html", "@scope/pkg/index.js", "leaflet/dist/leaflet.js"):
        (modules / path).parent.mkdir(parents=True, exist_ok=True)
        (modules / path).write_text("x", encoding="utf-8")

    removed = assets.prune_unserved_pages(modules)

    assert sorted(p.relative_to(modules).as_posix() for p in removed) == [
        "@scope/pkg/demo", "leaflet.markercluster/example"]
    assert sorted(p.relative_to(modules).as_posix() for p in modules.rglob("*") if p.is_file()) == [
        "@scope/pkg/index.js", "leaflet.markercluster/dist/mc.js", "leaflet/dist/leaflet.js"]


def test_no_installed_page_loads_anything_from_the_internet() -> None:
    assets.install_vendor_assets()
    pages = list(assets.node_modules_dir().rglob("*.html")) + list(assets.vendor_dir().rglob("*.html"))
    loading = {str(p): assets.external_urls(p.read_text(encoding="utf-8", errors="replace")) for p in pages}
    assert {page: urls for page, urls in loading.items() if urls} == {}
