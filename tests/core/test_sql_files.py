"""SQL longer than a few lines lives in ``sql/<name>.sql`` beside its module, and every such file is used."""

from __future__ import annotations

import ast
import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "ecogrid"
MAX_INLINE_LINES = 3
# A statement, not a word in a message: a keyword pair written the way SQL is written here.
SQL = re.compile(r"\bSELECT\b[\s\S]*\bFROM\b|\bINSERT\s+INTO\b|\bUPDATE\s+\w+(\s+\w+)?\s+SET\b|\bDELETE\s+FROM\b"
                 r"|\bCOPY\s+\w+|\bCREATE\s+(TEMP\s+)?TABLE\b|\bWHERE\b")


def _modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def _docstrings(tree: ast.Module) -> set[int]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                found.add(id(first.value))
    return found


def _sql_strings(path: Path) -> list[tuple[int, str, bool]]:
    """(line, text, is an f-string) of every string literal of ``path`` that reads as SQL."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip = _docstrings(tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            skip.update(id(v) for v in node.values)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            value = "".join(v.value if isinstance(v, ast.Constant) else "{}" for v in node.values)
            formatted = True
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skip:
            value, formatted = node.value, False
        else:
            continue
        if SQL.search(value):
            found.append((node.lineno, value, formatted))
    return found


def _query_calls(path: Path) -> set[str]:
    """Names passed to ``query(__file__, "<name>")`` in ``path``."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if (isinstance(node, ast.Call) and len(node.args) == 2
                and (getattr(node.func, "attr", None) == "query" or getattr(node.func, "id", None) == "query")
                and isinstance(node.args[0], ast.Name) and node.args[0].id == "__file__"
                and isinstance(node.args[1], ast.Constant) and isinstance(node.args[1].value, str)):
            names.add(node.args[1].value)
    return names


def test_no_module_holds_a_sql_statement_longer_than_three_lines():
    long = [f"{p.relative_to(ROOT)}:{line} ({len(text.strip().splitlines())} lines)"
            for p in _modules() for line, text, _ in _sql_strings(p)
            if len(text.strip().splitlines()) > MAX_INLINE_LINES]
    assert long == []


def test_no_sql_is_assembled_from_formatted_strings():
    # An f-string, or a literal later filled in by .format / .replace, would be SQL put together in Python.
    formatted = [f"{p.relative_to(ROOT)}:{line}" for p in _modules() for line, _, is_f in _sql_strings(p) if is_f]
    assert formatted == []
    filled = []
    for path in _modules():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr in ("format", "replace") and isinstance(node.func.value, ast.Constant)
                    and isinstance(node.func.value.value, str) and SQL.search(node.func.value.value)):
                filled.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert filled == []


def test_every_sql_file_is_loaded_by_a_module_beside_it_and_every_load_names_a_file():
    files = sorted(PACKAGE.rglob("sql/*.sql"))
    assert files, "the queries live in sql/ folders"
    unused = []
    for file in files:
        folder = file.parent.parent
        if not any(file.stem in _query_calls(module) for module in folder.glob("*.py")):
            unused.append(str(file.relative_to(ROOT)))
    assert unused == []
    missing = [f"{module.relative_to(ROOT)}: {name}" for module in _modules() for name in _query_calls(module)
               if not (module.parent / "sql" / f"{name}.sql").is_file()]
    assert missing == []


def test_sql_files_ship_with_the_package():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    assert "*.sql" in config["package-data"]["*"]
    # The sql/ folders have no __init__.py: they are found as namespace packages under ecogrid*.
    assert config["packages"]["find"].get("namespaces", True)
    assert any(pattern == "ecogrid*" for pattern in config["packages"]["find"]["include"])
