"""The domains of ecogrid, found by their folders: each is a package under ``ecogrid`` with the same files.

- ``views.py`` / ``*_views.py`` (JSON API) and ``pages.py`` / ``*_pages.py`` (HTML pages) define ``router``;
  the app factory mounts every one of them, so a new resource is one new module and no edit elsewhere.
- ``cli.py`` defines ``app`` (a typer.Typer) and ``NAME``: added as ``ecogrid NAME ...``.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterator
from types import ModuleType

import ecogrid

NOT_DOMAINS = frozenset({"core"})


def domain_packages() -> list[str]:
    return sorted(info.name for info in pkgutil.iter_modules(ecogrid.__path__)
                  if info.ispkg and info.name not in NOT_DOMAINS)


def _is_web_module(name: str) -> bool:
    return name in ("views", "pages") or name.endswith(("_views", "_pages"))


def web_modules() -> Iterator[ModuleType]:
    for domain in domain_packages():
        package = importlib.import_module(f"ecogrid.{domain}")
        for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
            if _is_web_module(info.name):
                yield importlib.import_module(f"ecogrid.{domain}.{info.name}")


def cli_modules() -> Iterator[ModuleType]:
    for domain in domain_packages():
        package = importlib.import_module(f"ecogrid.{domain}")
        if any(info.name == "cli" for info in pkgutil.iter_modules(package.__path__)):
            yield importlib.import_module(f"ecogrid.{domain}.cli")
