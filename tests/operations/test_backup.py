"""Backup and restore as an operator runs them: the demo city with photos, out to a folder and back
into an empty data folder (a new private cluster), and a dump of an older schema migrated after restore."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, func, select, table, text
from sqlalchemy.orm import Session

from api.factory import create_app
from ecogrid import demo
from ecogrid.core import migrate
from ecogrid.core.database import Database, connect
from ecogrid.core.embedded import EmbeddedCluster
from ecogrid.core.models import Photo, User
from ecogrid.core.settings import Settings
from ecogrid.inspections import service as inspection_service
from ecogrid.inspections.photos.store import LocalPhotoStore
from ecogrid.operations import backup as backups
from tests.conftest import TEST_SECRET
from tests.databases import scratch_database
from tests.inspection_seed import jpeg_with_exif, seed_case

PASSWORD = "demo-pass-1"


@pytest.fixture
def empty_data_dir() -> Iterator[Path]:
    # Under /tmp with 0755: the unprivileged server user must reach it when tests run as root.
    path = Path(tempfile.mkdtemp(prefix="ecogrid-restore-", dir="/tmp"))
    os.chmod(path, 0o755)
    yield path
    EmbeddedCluster(path).stop()
    shutil.rmtree(path, ignore_errors=True)


def _photos(session: Session, store: LocalPhotoStore, settings: Settings, count: int) -> list[str]:
    inspector = session.scalar(select(User).where(User.username == "inspector1"))
    assert inspector is not None
    actor = inspection_service.Actor(user_id=inspector.id, role="inspector")
    seeded = seed_case(session, inspector_id=inspector.id)
    session.commit()
    inspection, _ = inspection_service.submit_inspection(session, actor=actor, data=inspection_service.InspectionIn(
        case_id=seeded.case_id, client_id=str(uuid.uuid4()), started_at=datetime.now(UTC)))
    hashes = []
    for n in range(count):
        photo, _ = inspection_service.add_photo(session, actor=actor, inspection_id=inspection.id,
                                                client_id=str(uuid.uuid4()), data=jpeg_with_exif(size=(320 + n, 240)),
                                                filename=f"site-{n}.jpg", store=store, settings=settings)
        hashes.append(photo.sha256)
    return hashes


def test_the_demo_city_with_photos_comes_back_from_a_backup(cluster, tmp_path, empty_data_dir):
    with scratch_database(cluster, "backup") as url:
        source = Settings(secret_key=TEST_SECRET, database_url=url, upload_dir=tmp_path / "uploads")
        database = Database.from_url(url)
        migrate.upgrade(database.engine)
        with database.sessionmaker() as session:
            demo.generate(session, seed=5, password=PASSWORD, complaints=300)
            session.commit()
            hashes = _photos(session, LocalPhotoStore(source.photo_dir), source, 3)
        with database.engine.connect() as conn:
            counts = {t: conn.execute(select(func.count()).select_from(table(t))).scalar_one()
                      for t in conn.execute(text("SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                                                 "AND tablename <> 'spatial_ref_sys'")).scalars()}
        database.dispose()

        manifest = backups.backup(source, tmp_path / "backup")
    # The source database is gone now: what follows reads the backup folder alone.
    assert manifest.row_counts == counts
    assert manifest.row_counts["complaints"] == 300 + 1 and manifest.row_counts["photos"] == 3
    listed = json.loads((tmp_path / "backup" / "manifest.json").read_text())["photo_store"]["objects"]
    assert {k.rsplit("/", 1)[-1] for k in listed if k.startswith("originals/")} == set(hashes)
    assert len(listed) == 3 * 3  # each original with its two thumbnails

    target = Settings(secret_key=TEST_SECRET, data_dir=empty_data_dir)
    report = backups.restore(target, tmp_path / "backup")
    assert report.row_counts == counts
    assert report.photos_restored == 9
    restored_store = LocalPhotoStore(target.photo_dir)
    assert sorted(restored_store.iter_keys()) == sorted(listed)

    # A working service: sign in as a demo user and see a photo's original bytes.
    database = connect(target)
    try:
        with TestClient(create_app(target, database)) as client:
            assert client.get("/healthz").json()["status"] == "ok"
            token = client.post("/api/v1/auth/token", data={"username": "chief_a", "password": PASSWORD})
            assert token.status_code == 200, token.text
            with database.sessionmaker() as session:
                photo = session.scalar(select(Photo).order_by(Photo.id).limit(1))
            headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
            got = client.get(f"/api/v1/photos/{photo.id}", headers=headers)
            assert got.status_code == 200
            assert hashlib.sha256(got.content).hexdigest() == photo.sha256
    finally:
        database.dispose()

    # The restored database is not empty any more: a second restore into it is refused.
    with pytest.raises(backups.BackupError, match="already holds tables"):
        backups.restore(target, tmp_path / "backup")


def test_a_dump_of_an_older_schema_is_migrated_after_restore(cluster, tmp_path, empty_data_dir):
    with scratch_database(cluster, "oldschema") as url:
        engine = create_engine(url)
        migrate.upgrade(engine, "0004")
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO users (username, role, password_hash, active) "
                              "VALUES ('old_chief', 'chief', 'x', true)"))
        engine.dispose()
        source = Settings(secret_key=TEST_SECRET, database_url=url, upload_dir=tmp_path / "uploads")
        manifest = backups.backup(source, tmp_path / "backup")
    assert manifest.schema_revision == "0004"

    target = Settings(secret_key=TEST_SECRET, data_dir=empty_data_dir)
    report = backups.restore(target, tmp_path / "backup")
    assert (report.schema_before, report.schema_after) == ("0004", migrate.head_revision())
    database = connect(target)
    try:
        with database.sessionmaker() as session:
            assert session.scalar(select(User.username)) == "old_chief"
    finally:
        database.dispose()


def test_a_damaged_dump_is_refused_before_anything_is_written(cluster, tmp_path, empty_data_dir):
    with scratch_database(cluster, "damaged") as url:
        migrate.upgrade(create_engine(url))
        manifest = backups.backup(Settings(secret_key=TEST_SECRET, database_url=url, upload_dir=tmp_path / "u"),
                                  tmp_path / "backup")
    assert manifest.photos == {}
    with (tmp_path / "backup" / "database.dump").open("ab") as handle:
        handle.write(b"\0")
    with pytest.raises(backups.BackupError, match="damaged"):
        backups.restore(Settings(secret_key=TEST_SECRET, data_dir=empty_data_dir), tmp_path / "backup")
    assert not (empty_data_dir / "pgdata").exists()


def test_a_backup_goes_into_an_empty_folder_only(tmp_path):
    (tmp_path / "backup").mkdir()
    (tmp_path / "backup" / "something").write_text("x")
    with pytest.raises(backups.BackupError, match="not empty"):
        backups.backup(Settings(secret_key=TEST_SECRET, database_url="postgresql://unused/unused"),
                       tmp_path / "backup")
