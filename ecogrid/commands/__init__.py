"""Sub-command groups of the ``ecogrid`` CLI: every module here that defines ``app`` (a typer.Typer)
and ``NAME`` is added as ``ecogrid NAME ...`` (e.g. ``ecogrid zones import``)."""

from __future__ import annotations

import importlib
import pkgutil

import typer


def discover_commands() -> list[tuple[str, typer.Typer]]:
    groups = []
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        app, name = getattr(module, "app", None), getattr(module, "NAME", None)
        if isinstance(app, typer.Typer) and name:
            groups.append((name, app))
    return groups
