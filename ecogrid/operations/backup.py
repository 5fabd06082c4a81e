"""``ecogrid backup DIR`` and ``ecogrid restore DIR``: a database dump plus the photo evidence, and the way back.

A backup folder holds:

- ``database.dump``: ``pg_dump --format=custom`` of the embedded or configured database, taken in
  one exported snapshot, so the dump and the row counts in the manifest describe the same moment;
- ``photos/``: for a local photo store, every original and thumbnail under its store key;
- ``manifest.json``: when, the schema revision, the row count of every table, the dump's SHA-256,
  and every photo store key with the SHA-256 and size of its bytes.

Order matters: the database is dumped first, the photos copied after. A photo is written to the
store before its row is committed, so every row in the dump finds its file; a file uploaded in
between is at worst an orphan after a restore (``ecogrid uploads check --fix`` removes it).

With an S3 photo store the manifest lists the bucket's keys and hashes but the objects are not
copied: the bucket is backed up by the object store itself (versioning, replication to a second
site, or ``mc mirror``), and the manifest says what must be there.

Restore goes into an empty database (a fresh data folder for the embedded one): pg_restore in one
transaction, then the migrations (a dump of an older version comes up to the current schema), then
the photos into the configured store, each checked against the manifest.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql
from sqlalchemy.engine import make_url

from ecogrid.core import migrate as migrations
from ecogrid.core.database import Database, resolve_url
from ecogrid.core.embedded import find_bin_dir
from ecogrid.core.settings import Settings
from ecogrid.core.time import rfc3339
from ecogrid.inspections.photos.store import (
    LocalPhotoStore,
    PhotoStore,
    parse_key,
    photo_store,
)

MANIFEST = "manifest.json"
DUMP = "database.dump"
PHOTOS = "photos"
FORMAT_VERSION = 1
# Tables PostGIS owns; pg_dump keeps only rows a user added to them.
_EXTENSION_TABLES = frozenset({"spatial_ref_sys"})


class BackupError(RuntimeError):
    """A backup or restore that cannot go on; the message says why and what to do."""


@dataclass
class Manifest:
    created_at: str
    schema_revision: str | None
    row_counts: dict[str, int]
    dump_sha256: str
    photo_backend: str
    photo_location: str
    photos_included: bool
    # key -> {"sha256": ..., "size": ...}
    photos: dict[str, dict[str, Any]] = field(default_factory=dict)

    def to_json(self) -> str:
        body = {"format_version": FORMAT_VERSION, "created_at": self.created_at,
                "database": {"file": DUMP, "sha256": self.dump_sha256, "schema_revision": self.schema_revision,
                             "row_counts": self.row_counts},
                "photo_store": {"backend": self.photo_backend, "location": self.photo_location,
                                "included": self.photos_included, "objects": self.photos}}
        return json.dumps(body, indent=1, sort_keys=True, ensure_ascii=False)

    @classmethod
    def read(cls, folder: Path) -> Manifest:
        try:
            body = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise BackupError(f"{folder} holds no {MANIFEST}: not an ecogrid backup") from None
        if body.get("format_version") != FORMAT_VERSION:
            raise BackupError(f"backup format {body.get('format_version')!r} is not one this version reads")
        database, photos = body["database"], body["photo_store"]
        return cls(created_at=body["created_at"], schema_revision=database["schema_revision"],
                   row_counts=database["row_counts"], dump_sha256=database["sha256"],
                   photo_backend=photos["backend"], photo_location=photos["location"],
                   photos_included=photos["included"], photos=photos["objects"])


@dataclass
class RestoreReport:
    schema_before: str | None
    schema_after: str | None
    row_counts: dict[str, int]
    photos_restored: int
    photos_not_included: int


# -- backup ---------------------------------------------------------------------------------------


def backup(settings: Settings, folder: Path) -> Manifest:
    """Write a backup of the configured database and photo store into ``folder`` (new or empty)."""
    folder = Path(folder)
    if folder.exists() and any(folder.iterdir()):
        raise BackupError(f"{folder} is not empty: a backup goes into a new or empty folder")
    folder.mkdir(parents=True, exist_ok=True)
    url = resolve_url(settings)
    dump = folder / DUMP
    with _exported_snapshot(url) as (conn, snapshot):
        revision = _revision(conn)
        counts = _row_counts(conn)
        _run(settings, "pg_dump", ["--format=custom", "--no-owner", "--no-privileges", f"--snapshot={snapshot}",
                                   f"--file={dump}"], url)
    store = photo_store(settings)
    included = isinstance(store, LocalPhotoStore)
    photos = _copy_photos(store, folder / PHOTOS) if included else _list_photos(store)
    manifest = Manifest(created_at=rfc3339(datetime.now(UTC)) or "", schema_revision=revision, row_counts=counts,
                        dump_sha256=_file_sha256(dump), photo_backend=getattr(store, "backend", "local"),
                        photo_location=store.location, photos_included=included, photos=photos)
    temporary = folder / (MANIFEST + ".part")
    temporary.write_text(manifest.to_json(), encoding="utf-8")
    # The manifest comes last and whole: a folder without one is an unfinished backup.
    os.replace(temporary, folder / MANIFEST)
    return manifest


def _copy_photos(store: PhotoStore, target: Path) -> dict[str, dict[str, Any]]:
    listed: dict[str, dict[str, Any]] = {}
    for key in sorted(store.iter_keys()):
        path = target / key
        path.parent.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256()
        size = 0
        with path.open("wb") as out:
            for chunk in store.stream(key):
                digest.update(chunk)
                size += len(chunk)
                out.write(chunk)
        listed[key] = {"sha256": digest.hexdigest(), "size": size}
    return listed


def _list_photos(store: PhotoStore) -> dict[str, dict[str, Any]]:
    listed: dict[str, dict[str, Any]] = {}
    for key in sorted(store.iter_keys()):
        parsed = parse_key(key)
        # An original's hash is its key; a thumbnail is derived data and is rebuilt when lost.
        listed[key] = {"sha256": parsed.sha256 if parsed.kind == "original" else None, "size": store.stat(key).size}
    return listed


# -- restore --------------------------------------------------------------------------------------


def restore(settings: Settings, folder: Path) -> RestoreReport:
    """Restore the backup in ``folder`` into the configured, empty database and photo store."""
    folder = Path(folder)
    manifest = Manifest.read(folder)
    dump = folder / DUMP
    if not dump.is_file() or _file_sha256(dump) != manifest.dump_sha256:
        raise BackupError(f"{dump} is missing or does not match the manifest's SHA-256: the backup is damaged")
    # With no data folder yet, this initialises and starts a fresh embedded cluster.
    url = resolve_url(settings)
    _refuse_unless_empty(url)
    store = photo_store(settings)
    present = set(store.iter_keys())
    strangers = sorted(present - set(manifest.photos))
    if strangers:
        raise BackupError(f"the photo store {store.location} already holds {len(strangers)} file(s) not in this "
                          f"backup (first: {strangers[0]}); restore into an empty store")

    _run(settings, "pg_restore", ["--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction",
                                  str(dump)], url)
    database = Database.from_url(url)
    try:
        with database.engine.connect() as conn:
            before = migrations.current_revision(conn)
        with psycopg.connect(_libpq_url(url)) as conn:
            restored_counts = _row_counts(conn)
        wrong = {t: (n, restored_counts.get(t)) for t, n in manifest.row_counts.items() if restored_counts.get(t) != n}
        if wrong:
            raise BackupError(f"row counts after pg_restore differ from the manifest: {wrong}")
        migrations.upgrade(database.engine)
        with database.engine.connect() as conn:
            after = migrations.current_revision(conn)
    finally:
        database.dispose()

    restored = 0
    if manifest.photos_included:
        restored = _restore_photos(store, folder / PHOTOS, manifest.photos, present)
    return RestoreReport(schema_before=before, schema_after=after, row_counts=restored_counts,
                         photos_restored=restored,
                         photos_not_included=0 if manifest.photos_included else len(manifest.photos))


def _restore_photos(store: PhotoStore, source: Path, listed: dict[str, dict[str, Any]], present: set[str]) -> int:
    count = 0
    for key, expected in sorted(listed.items()):
        path = source / key
        if not path.is_file():
            raise BackupError(f"the backup lists {key} but holds no file for it")
        data = path.read_bytes()
        if hashlib.sha256(data).hexdigest() != expected["sha256"]:
            raise BackupError(f"{path} does not match its SHA-256 in the manifest: the backup is damaged")
        if key in present:
            continue
        parsed = parse_key(key)
        if parsed.kind == "original":
            store.put(data)
        else:
            assert parsed.max_side is not None
            store.put_thumbnail(parsed.sha256, max_side=parsed.max_side, data=data)
        count += 1
    return count


def _refuse_unless_empty(url: str) -> None:
    with psycopg.connect(_libpq_url(url)) as conn:
        tables = [t for t in _tables(conn) if t not in _EXTENSION_TABLES]
    if tables:
        raise BackupError(f"the database already holds tables ({', '.join(tables[:5])}...): restore goes into an "
                          "empty database, e.g. a new ECOGRID_DATA_DIR or a newly created database")


# -- plumbing -------------------------------------------------------------------------------------


@contextmanager
def _exported_snapshot(url: str) -> Iterator[tuple[psycopg.Connection[Any], str]]:
    # The transaction stays open while pg_dump runs: its snapshot is what pg_dump reads.
    with psycopg.connect(_libpq_url(url)) as conn:
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        conn.read_only = True
        with conn.transaction():
            row = conn.execute("SELECT pg_export_snapshot()").fetchone()
            assert row is not None
            yield conn, str(row[0])


def _tables(conn: psycopg.Connection[Any]) -> list[str]:
    rows = conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename").fetchall()
    return [r[0] for r in rows]


def _row_counts(conn: psycopg.Connection[Any]) -> dict[str, int]:
    counts = {}
    for table in _tables(conn):
        if table in _EXTENSION_TABLES:
            continue
        row = conn.execute(sql.SQL("SELECT count(*) FROM public.{}").format(sql.Identifier(table))).fetchone()
        counts[table] = int(row[0]) if row else 0
    return counts


def _revision(conn: psycopg.Connection[Any]) -> str | None:
    if "alembic_version" not in _tables(conn):
        return None
    row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    return None if row is None else str(row[0])


def _libpq_url(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _libpq_env(url: str) -> dict[str, str]:
    parsed = make_url(url)
    env = {"PGHOST": parsed.host or "127.0.0.1", "PGPORT": str(parsed.port or 5432),
           "PGUSER": parsed.username or "", "PGDATABASE": parsed.database or ""}
    if parsed.password is not None:
        env["PGPASSWORD"] = str(parsed.password)
    return env


def _run(settings: Settings, tool: str, args: list[str], url: str) -> None:
    # The newest client tools installed: pg_dump must not be older than the server it reads.
    binary = find_bin_dir(settings.pg_bin_dir) / tool
    if not binary.exists():
        found = shutil.which(tool)
        if found is None:
            raise BackupError(f"{tool} not found: install the PostgreSQL client (postgresql-client)")
        binary = Path(found)
    # The password goes through the environment, never on a command line others can read.
    extra = ["--dbname", _libpq_env(url)["PGDATABASE"]] if tool == "pg_restore" else []
    proc = subprocess.run([str(binary), *args, *extra], env={**os.environ, **_libpq_env(url)},
                          capture_output=True, text=True)
    if proc.returncode != 0:
        raise BackupError(f"{tool} failed ({proc.returncode}): {proc.stderr.strip()[-2000:]}")


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()
