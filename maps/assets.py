"""Serve every script, stylesheet, font and image a folium map page needs from ecogrid itself.

folium and branca write CDN addresses into the pages they render. Bureau networks are often
cut off from the internet, and a complaint map must not tell a third party who looked at
what, so every such address is rewritten to a file under ``maps/static/vendor/``. The files
come from the npm packages pinned in ``maps/package.json`` / ``maps/package-lock.json`` (the
versions folium itself asks for) and are copied there by::

    python -m maps.assets install

which runs ``npm ci`` only when ``maps/node_modules`` does not match the lock file and does
nothing at all when the vendor folder is already up to date.

Why the rendered HTML is rewritten rather than folium's classes patched: branca's colour
legend hard-codes its d3 address inside ``render()``, folium's ``add_js_link`` mutates the
class-level lists shared by every map in the process, and plugins each carry their own
lists. Rewriting the finished page by an exact address map reaches all of them, changes no
global state, and, paired with :func:`ensure_offline`, fails loudly when a folium upgrade
brings an address the map does not know yet.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.metadata
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from maps import safe_html

if TYPE_CHECKING:
    from branca.element import Element

STATIC_URL_PREFIX = "/static/vendor"

# Bumped whenever the copy rules below change in a way the lock file hash cannot see.
_LAYOUT_VERSION = 2
_STAMP_NAME = ".ecogrid-vendor.json"

# Addresses that folium 0.20 / branca 0.8 write -> file under vendor_dir(); kept as data beside this module.
CDN_URL_MAP: Mapping[str, str] = json.loads(
    (Path(__file__).resolve().parent / "cdn_url_map.json").read_text(encoding="utf-8"))["urls"]

# (path under maps/node_modules, path under vendor_dir()); a folder is copied whole because
# the stylesheets next to it load its images and fonts by relative address.
NPM_COPIES: Sequence[tuple[str, str]] = (
    ("leaflet/dist/leaflet.js", "leaflet/leaflet.js"),
    ("leaflet/dist/leaflet.js.map", "leaflet/leaflet.js.map"),
    ("leaflet/dist/leaflet.css", "leaflet/leaflet.css"),
    ("leaflet/dist/images", "leaflet/images"),
    ("jquery/dist/jquery.min.js", "jquery/jquery.min.js"),
    ("bootstrap/dist/js/bootstrap.bundle.min.js", "bootstrap/js/bootstrap.bundle.min.js"),
    ("bootstrap/dist/js/bootstrap.bundle.min.js.map", "bootstrap/js/bootstrap.bundle.min.js.map"),
    ("bootstrap/dist/css/bootstrap.min.css", "bootstrap/css/bootstrap.min.css"),
    ("bootstrap/dist/css/bootstrap.min.css.map", "bootstrap/css/bootstrap.min.css.map"),
    ("bootstrap3/dist/fonts", "glyphicons/fonts"),
    ("@fortawesome/fontawesome-free/css/all.min.css", "fontawesome/css/all.min.css"),
    ("@fortawesome/fontawesome-free/webfonts", "fontawesome/webfonts"),
    ("drmonty-leaflet-awesome-markers/js/leaflet.awesome-markers.js",
     "awesome-markers/leaflet.awesome-markers.js"),
    ("drmonty-leaflet-awesome-markers/css/leaflet.awesome-markers.css",
     "awesome-markers/leaflet.awesome-markers.css"),
    ("drmonty-leaflet-awesome-markers/css/images", "awesome-markers/images"),
    ("leaflet.markercluster/dist/leaflet.markercluster.js", "markercluster/leaflet.markercluster.js"),
    ("leaflet.markercluster/dist/MarkerCluster.css", "markercluster/MarkerCluster.css"),
    ("leaflet.markercluster/dist/MarkerCluster.Default.css", "markercluster/MarkerCluster.Default.css"),
    ("d3/d3.min.js", "d3/d3.min.js"),
    # The API docs page (/docs) loads Swagger UI from here rather than from a CDN.
    ("swagger-ui-dist/swagger-ui-bundle.js", "swagger-ui/swagger-ui-bundle.js"),
    ("swagger-ui-dist/swagger-ui.css", "swagger-ui/swagger-ui.css"),
    ("swagger-ui-dist/favicon-32x32.png", "swagger-ui/favicon-32x32.png"),
)

# folium's HeatMap loads folium's own build of Leaflet.heat (it carries the patch that makes
# point weights count); npm's leaflet.heat 0.2.0 lacks it, so the file comes from the
# installed folium package instead.
FOLIUM_COPIES: Sequence[tuple[str, str]] = (
    ("templates/leaflet_heat.min.js", "folium/leaflet_heat.min.js"),
)

# Bootstrap 3 glyphicons (folium.Icon's default prefix) as one small sheet: only the
# @font-face and .glyphicon rules of Bootstrap 3, so Bootstrap 3's reset never meets Bootstrap 5.
_GLYPHICONS_SOURCE = "bootstrap3/dist/css/bootstrap.css"
_GLYPHICONS_TARGET = "glyphicons/css/bootstrap-glyphicons.css"
# The rotation classes folium's awesome markers use for ``Icon(angle=...)``.
_ROTATE_TARGET = "folium/leaflet.awesome.rotate.min.css"


class AssetError(ValueError):
    """A map page or the vendor folder is not fit to be served offline."""


class ExternalAssetError(AssetError):
    def __init__(self, urls: Sequence[str]) -> None:
        self.urls = list(urls)
        super().__init__(
            "map page would load from outside ecogrid: "
            + ", ".join(self.urls)
            + " (add each address to maps.assets.CDN_URL_MAP and its file to the copy rules)"
        )


class AssetInstallError(Exception):
    """npm or the copy step failed; the message says which file or command."""


@dataclass(frozen=True)
class InstallResult:
    target: Path
    skipped: bool
    ran_npm: bool
    files: int


def package_dir() -> Path:
    return Path(__file__).resolve().parent


def vendor_dir() -> Path:
    return package_dir() / "static" / "vendor"


def node_modules_dir() -> Path:
    return package_dir() / "node_modules"


# --- rewriting and checking pages -------------------------------------------------------------


def _normalise_prefix(prefix: str) -> str:
    if _is_external(prefix):
        raise AssetError(f"prefix must be a path on this server, not {prefix!r}")
    return prefix.rstrip("/")


def localise_html(html: str, *, prefix: str = STATIC_URL_PREFIX) -> str:
    """Replace every known CDN address in ``html`` by its copy under ``prefix``."""
    base = _normalise_prefix(prefix)
    # Longest first, so an address that happens to start another one is never cut short.
    known = sorted(CDN_URL_MAP, key=len, reverse=True)
    pattern = re.compile("|".join(re.escape(url) for url in known))
    return pattern.sub(lambda match: f"{base}/{CDN_URL_MAP[match.group(0)]}", html)


def render_offline_html(element: Element, *, prefix: str = STATIC_URL_PREFIX, nonce: str | None = None) -> str:
    """Render a folium map (or any element of its figure) as a page that loads nothing remote.

    Raises ExternalAssetError naming each address that is still remote after rewriting.
    Tile layers are not assets: which tile server a map talks to is chosen by its base layer.
    With ``nonce``, every script of the page carries it, so a Content-Security-Policy without
    'unsafe-inline' still runs folium's inline scripts.
    """
    html = localise_html(element.get_root().render(), prefix=prefix)
    ensure_offline(html)
    return safe_html.with_script_nonce(html, nonce)


def ensure_offline(html: str) -> None:
    urls = external_urls(html)
    if urls:
        raise ExternalAssetError(urls)


_EXTERNAL_RE = re.compile(r"^\s*(?:[a-z][a-z0-9+.-]*:)?//", re.IGNORECASE)
_CSS_URL_RE = re.compile(r"""url\(\s*(?:"([^"]*)"|'([^']*)'|([^'")\s]+))\s*\)""", re.IGNORECASE)
_CSS_IMPORT_RE = re.compile(r"""@import\s+(?:"([^"]*)"|'([^']*)')""", re.IGNORECASE)
# HTML written inside script strings (popups, tooltips, legends) that would load something once
# inserted into the page. Quotes may be escaped by the JavaScript string around them.
_INLINE_TAG_RE = re.compile(
    r"""<(?:script|link|img|iframe|source|video|audio|embed|input|track)\b[^>]*?"""
    r"""\b(?:src|href|poster)\s*=\s*\\?["']([^"'\\\s>]+)""",
    re.IGNORECASE,
)
_LOADING_ATTRIBUTES: Mapping[str, tuple[str, ...]] = {
    "script": ("src",),
    "link": ("href",),
    "img": ("src", "srcset"),
    "iframe": ("src",),
    "source": ("src", "srcset"),
    "video": ("src", "poster"),
    "audio": ("src",),
    "embed": ("src",),
    "object": ("data",),
    "input": ("src",),
    "track": ("src",),
}


def _is_external(url: str) -> bool:
    # "data:" and "blob:" never leave the machine; anything with an authority part does.
    return bool(_EXTERNAL_RE.match(url)) and not url.strip().lower().startswith(("data:", "blob:"))


def _css_urls(css: str) -> list[str]:
    matches = [*_CSS_URL_RE.finditer(css), *_CSS_IMPORT_RE.finditer(css)]
    return [next(group for group in match.groups() if group is not None) for match in matches]


class _LoadedUrlCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.urls: list[str] = []
        self._raw_text_tag: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        wanted = _LOADING_ATTRIBUTES.get(tag, ())
        for name, value in attrs:
            if value is None:
                continue
            if name in wanted:
                if name == "srcset":
                    self.urls.extend(part.split()[0] for part in value.split(",") if part.strip())
                else:
                    self.urls.append(value)
            elif name == "style":
                self.urls.extend(_css_urls(value))
        if tag in ("script", "style"):
            self._raw_text_tag = tag

    def handle_endtag(self, tag: str) -> None:
        if tag == self._raw_text_tag:
            self._raw_text_tag = None

    def handle_data(self, data: str) -> None:
        if self._raw_text_tag is None:
            return
        self.urls.extend(_css_urls(data))
        if self._raw_text_tag == "script":
            self.urls.extend(match.group(1) for match in _INLINE_TAG_RE.finditer(data))


def _loaded_urls(html: str) -> list[str]:
    collector = _LoadedUrlCollector()
    collector.feed(html)
    collector.close()
    return list(dict.fromkeys(url.strip() for url in collector.urls))


def external_urls(html: str) -> list[str]:
    """Remote addresses (http, https or protocol-relative) a browser would fetch for this page.

    Looks at script src, link href, img/iframe/media sources, CSS url() and @import in style
    blocks and style attributes, and HTML written inside scripts. Tile templates passed to
    L.tileLayer are reported by tile_urls(), not here.
    """
    return [url for url in _loaded_urls(html) if _is_external(url)]


def local_vendor_urls(html: str, *, prefix: str = STATIC_URL_PREFIX) -> list[str]:
    base = _normalise_prefix(prefix) + "/"
    return [url for url in _loaded_urls(html) if url.startswith(base)]


def missing_vendor_files(
    html: str, *, prefix: str = STATIC_URL_PREFIX, root: Path | None = None
) -> list[str]:
    """Addresses under ``prefix`` in the page that have no file in the vendor folder."""
    folder = root or vendor_dir()
    base = _normalise_prefix(prefix) + "/"
    return [
        url
        for url in local_vendor_urls(html, prefix=prefix)
        if not (folder / _strip_query(url[len(base):])).is_file()
    ]


_TILE_LAYER_RE = re.compile(r"""L\.tileLayer(?:\.wms)?\(\s*("(?:[^"\\]|\\.)*")""")


def tile_urls(html: str) -> list[str]:
    """URL templates of the tile layers on the page (the map's base layers)."""
    return [json.loads(match.group(1)) for match in _TILE_LAYER_RE.finditer(html)]


def _strip_query(path: str) -> str:
    return re.split(r"[?#]", path, maxsplit=1)[0]


def broken_css_references(root: Path | None = None) -> list[str]:
    """``file: url`` for each url() in a vendor stylesheet that is remote or has no file."""
    folder = root or vendor_dir()
    problems: list[str] = []
    for sheet in sorted(folder.rglob("*.css")):
        for url in _css_urls(sheet.read_text(encoding="utf-8")):
            if url.startswith(("data:", "#")):
                continue
            if _is_external(url) or not (sheet.parent / _strip_query(url)).is_file():
                problems.append(f"{sheet.relative_to(folder)}: {url}")
    return problems


# --- installing the vendor folder ----------------------------------------------------------


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _folium_dir() -> Path:
    spec = importlib.util.find_spec("folium")
    if spec is None or spec.origin is None:
        raise AssetInstallError("folium is not installed in this Python")
    return Path(spec.origin).parent


def _wanted_stamp() -> dict[str, object]:
    lock = package_dir() / "package-lock.json"
    if not lock.is_file():
        raise AssetInstallError(f"{lock} is missing")
    rules = json.dumps([list(NPM_COPIES), list(FOLIUM_COPIES), dict(CDN_URL_MAP)], sort_keys=True)
    return {
        "layout": _LAYOUT_VERSION,
        "lock_sha256": _sha256(lock),
        "rules_sha256": hashlib.sha256(rules.encode()).hexdigest(),
        "folium": importlib.metadata.version("folium"),
    }


InstallState = Literal["missing", "stale", "incomplete", "current"]


def install_state(*, target: Path | None = None) -> InstallState:
    """missing: never installed; stale: built from another lock file or copy rules;
    incomplete: files were removed after the install; current: ready to serve."""
    folder = target or vendor_dir()
    stamp = folder / _STAMP_NAME
    if not stamp.is_file():
        return "missing"
    try:
        recorded = json.loads(stamp.read_text(encoding="utf-8"))
    except ValueError:
        return "stale"
    if recorded != _wanted_stamp():
        return "stale"
    if not all((folder / path).is_file() for path in CDN_URL_MAP.values()):
        return "incomplete"
    return "current"


def is_installed(*, target: Path | None = None) -> bool:
    """True when the vendor folder was built from the current lock file and copy rules."""
    return install_state(target=target) == "current"


def _locked_packages(lock_file: Path) -> dict[str, str]:
    packages = json.loads(lock_file.read_text(encoding="utf-8")).get("packages", {})
    return {name: entry.get("version", "") for name, entry in packages.items() if name}


def node_modules_current() -> bool:
    # npm keeps a copy of what it installed in node_modules/.package-lock.json.
    installed = node_modules_dir() / ".package-lock.json"
    if not installed.is_file():
        return False
    return _locked_packages(installed) == _locked_packages(package_dir() / "package-lock.json")


# Sample pages some packages ship (leaflet.markercluster's example/ loads Leaflet from a CDN). ecogrid
# serves none of them; they are removed after npm so that no file under maps/ points at a CDN.
_UNSERVED_FOLDERS = ("example", "examples", "demo")


def prune_unserved_pages(modules: Path | None = None) -> list[Path]:
    """Remove the sample-page folders of every installed package; returns what was removed."""
    modules = modules or node_modules_dir()
    if not modules.is_dir():
        return []
    tops = [p for p in modules.iterdir() if p.is_dir() and not p.name.startswith(".")]
    packages = [c for p in tops for c in (p.iterdir() if p.name.startswith("@") else [p]) if c.is_dir()]
    removed = [p / name for p in packages for name in _UNSERVED_FOLDERS if (p / name).is_dir()]
    for folder in removed:
        shutil.rmtree(folder)
    return removed


def _run_npm_ci(npm: str) -> None:
    executable = shutil.which(npm)
    if executable is None:
        raise AssetInstallError(f"{npm!r} not found: install Node.js and npm (Debian: apt-get install npm)")
    command = [
        executable, "ci", "--prefix", str(package_dir()), "--no-audit", "--no-fund", "--ignore-scripts",
    ]
    completed = subprocess.run(command, capture_output=True, text=True, check=False)
    if completed.returncode != 0:
        raise AssetInstallError(
            f"{' '.join(command)} failed with code {completed.returncode}:\n{completed.stderr[-4000:]}"
        )


def _copy(source: Path, destination: Path) -> int:
    if not source.exists():
        raise AssetInstallError(f"{source} is missing; is package-lock.json in step with the copy rules?")
    destination.parent.mkdir(parents=True, exist_ok=True)
    if source.is_dir():
        shutil.copytree(source, destination)
        return sum(1 for path in destination.rglob("*") if path.is_file())
    shutil.copyfile(source, destination)
    return 1


def _top_level_css_blocks(css: str) -> Iterable[tuple[str, str]]:
    text = re.sub(r"/\*.*?\*/", "", css, flags=re.DOTALL)
    depth, start, prelude = 0, 0, ""
    for index, char in enumerate(text):
        if char == "{":
            if depth == 0:
                prelude, start = text[start:index].strip(), index
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0:
                yield prelude, text[start:index + 1]
                start = index + 1


def glyphicons_css(bootstrap3_css: str) -> str:
    """The glyphicon rules of a Bootstrap 3 stylesheet, and nothing else."""
    kept: list[str] = []
    for prelude, body in _top_level_css_blocks(bootstrap3_css):
        selectors = [selector.strip() for selector in prelude.split(",")]
        is_font = prelude == "@font-face" and "Glyphicons Halflings" in body
        if is_font or all(selector.startswith(".glyphicon") for selector in selectors):
            kept.append(f"{prelude} {body}")
    if not kept:
        raise AssetInstallError(f"no glyphicon rules found in {_GLYPHICONS_SOURCE}")
    header = "/* Glyphicons from Bootstrap 3.4.1 (MIT), extracted by maps/assets.py */"
    return "\n".join([header, *kept]) + "\n"


def rotate_css() -> str:
    return "".join(
        f".fa-rotate-{angle}{{-ms-transform:rotate({angle}deg);-webkit-transform:rotate({angle}deg);"
        f"transform:rotate({angle}deg)}}\n"
        for angle in range(361)
    )


def _build(folder: Path) -> int:
    modules = node_modules_dir()
    files = sum(_copy(modules / source, folder / target) for source, target in NPM_COPIES)
    folium_dir = _folium_dir()
    files += sum(_copy(folium_dir / source, folder / target) for source, target in FOLIUM_COPIES)
    generated = {
        _GLYPHICONS_TARGET: glyphicons_css((modules / _GLYPHICONS_SOURCE).read_text(encoding="utf-8")),
        _ROTATE_TARGET: rotate_css(),
    }
    for target, text in generated.items():
        (folder / target).parent.mkdir(parents=True, exist_ok=True)
        (folder / target).write_text(text, encoding="utf-8")
    return files + len(generated)


def install_vendor_assets(
    *, target: Path | None = None, force: bool = False, npm: str = "npm"
) -> InstallResult:
    """Fill the vendor folder from maps/node_modules, running ``npm ci`` first when needed.

    Does nothing when the folder already matches the lock file and copy rules (unless
    ``force``). The folder is built beside the old one and swapped in whole, so a server
    reading it never sees half a copy.
    """
    folder = target or vendor_dir()
    prune_unserved_pages()
    if not force and is_installed(target=folder):
        return InstallResult(target=folder, skipped=True, ran_npm=False, files=0)
    ran_npm = force or not node_modules_current()
    if ran_npm:
        _run_npm_ci(npm)
        prune_unserved_pages()
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".vendor-", dir=folder.parent))
    # mkdtemp makes the folder private; a web server running as another user must read it.
    staging.chmod(0o755)
    try:
        files = _build(staging)
        (staging / _STAMP_NAME).write_text(json.dumps(_wanted_stamp(), sort_keys=True), encoding="utf-8")
        if folder.exists():
            retired = folder.with_name(f"{folder.name}.old-{os.getpid()}")
            folder.rename(retired)
            staging.rename(folder)
            shutil.rmtree(retired, ignore_errors=True)
        else:
            staging.rename(folder)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    return InstallResult(target=folder, skipped=False, ran_npm=ran_npm, files=files)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m maps.assets", description="Vendor assets for map pages")
    commands = parser.add_subparsers(dest="command", required=True)
    install = commands.add_parser("install", help="run npm ci when needed and fill maps/static/vendor")
    install.add_argument("--force", action="store_true", help="reinstall even when up to date")
    commands.add_parser("check", help="exit 1 unless maps/static/vendor is up to date")
    args = parser.parse_args(argv)
    if args.command == "check":
        state = install_state()
        sys.stdout.write(f"{vendor_dir()}: {state}\n")
        return 0 if state == "current" else 1
    try:
        result = install_vendor_assets(force=args.force)
    except AssetInstallError as error:
        sys.stderr.write(f"{error}\n")
        return 1
    if result.skipped:
        sys.stdout.write(f"{result.target}: up to date\n")
    else:
        npm_note = " (after npm ci)" if result.ran_npm else ""
        sys.stdout.write(f"{result.target}: {result.files} files installed{npm_note}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
