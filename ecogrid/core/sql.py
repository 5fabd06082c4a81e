"""SQL kept in ``.sql`` files beside the module that runs it.

A module's queries live in ``sql/<name>.sql`` in its folder and are read through ``query(__file__,
"<name>")``: read once, then served from a cache, so a request never touches the disk for them. A
query that varies takes bind parameters (an optional filter is ``(CAST(:x AS type) IS NULL OR ...)``)
or is one of a fixed set of named files; SQL text is never assembled from pieces in Python.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from sqlalchemy import TextClause, text


def query(module_file: str, name: str) -> TextClause:
    """The statement in ``sql/<name>.sql`` beside ``module_file`` (pass ``__file__``)."""
    return _load(str(Path(module_file).resolve().parent), name)


@cache
def _load(folder: str, name: str) -> TextClause:
    source = (Path(folder) / "sql" / f"{name}.sql").read_text(encoding="utf-8")
    # Whole-line comments explain the file to its reader; the server need not see them, and a
    # ``:name`` in one must not become a bind parameter.
    lines = [line for line in source.splitlines() if not line.lstrip().startswith("--")]
    return text("\n".join(lines))
