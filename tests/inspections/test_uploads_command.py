from __future__ import annotations

import os
import time

import pytest
from typer.testing import CliRunner

from ecogrid.cli import app
from ecogrid.core.settings import get_settings
from ecogrid.inspections.photos.store import LocalPhotoStore, thumbnail_key
from tests.inspection_seed import jpeg_with_exif


@pytest.fixture
def store_env(tmp_path, engine, monkeypatch):
    # The migrated test database (through `engine`), with no photo rows committed in it.
    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("ECOGRID_UPLOAD_DIR", str(tmp_path / "uploads"))
    get_settings.cache_clear()
    yield LocalPhotoStore(tmp_path / "uploads")
    get_settings.cache_clear()


def _age(store: LocalPhotoStore, key: str, hours: float = 2) -> None:
    past = time.time() - hours * 3600
    os.utime(store.path(key), (past, past))


def test_check_finds_an_orphan_file_and_fix_removes_it(store_env):
    store = store_env
    orphan = store.put(jpeg_with_exif())
    thumb = store.put_thumbnail(orphan.sha256, max_side=320, data=b"not checked here")
    _age(store, orphan.key)
    _age(store, thumbnail_key(orphan.sha256, max_side=320))

    runner = CliRunner()
    report = runner.invoke(app, ["uploads", "check"])
    assert report.exit_code == 1, report.output
    assert f"orphan file: {orphan.key}" in report.output
    assert store.exists(orphan.key)

    fixed = runner.invoke(app, ["uploads", "check", "--fix"])
    assert fixed.exit_code == 0, fixed.output
    assert not store.exists(orphan.key) and not store.exists(thumb.key)

    clean = runner.invoke(app, ["uploads", "check"])
    assert clean.exit_code == 0 and "0 orphan file(s)" in clean.output


def test_a_young_orphan_is_left_alone_by_fix(store_env):
    store = store_env
    young = store.put(jpeg_with_exif())
    result = CliRunner().invoke(app, ["uploads", "check", "--fix"])
    assert result.exit_code == 1
    assert store.exists(young.key)


@pytest.mark.usefixtures("store_env")
def test_check_reports_a_row_whose_file_is_missing(engine):
    from sqlalchemy import delete
    from sqlalchemy.orm import Session

    from ecogrid.accounts import service as user_service
    from ecogrid.core.models import Case, Complaint, Inspection, Photo, Source, User, Zone
    from ecogrid.inspections.photos.store import original_key
    from tests.inspection_seed import seed_case

    sha = "ab" * 32
    # This check reads committed rows, so the rows are committed here and removed afterwards.
    with Session(engine) as session:
        user = user_service.create(session, username=f"lost-{sha[:6]}", role="inspector", password="x-password-1")
        session.flush()
        seeded = seed_case(session, inspector_id=user.id)
        inspection = Inspection(client_id="lost-file-visit", case_id=seeded.case_id, inspector_id=user.id)
        session.add(inspection)
        session.flush()
        photo = Photo(client_id="lost-file-photo", inspection_id=inspection.id, sha256=sha,
                      storage_key=original_key(sha), mime="image/jpeg", size_bytes=1, width=1, height=1)
        session.add(photo)
        session.commit()
        ids = (photo.id, inspection.id, seeded, user.id)
    try:
        result = CliRunner().invoke(app, ["uploads", "check", "--fix"])
        assert result.exit_code == 1
        assert f"missing file: photo {ids[0]} -> {original_key(sha)}" in result.output
    finally:
        with Session(engine) as session:
            seeded = ids[2]
            session.execute(delete(Photo).where(Photo.id == ids[0]))
            session.execute(delete(Inspection).where(Inspection.id == ids[1]))
            session.execute(delete(Complaint).where(Complaint.id == seeded.complaint_id))
            session.execute(delete(Case).where(Case.id == seeded.case_id))
            session.execute(delete(Source).where(Source.id == seeded.source_id))
            session.execute(delete(Zone).where(Zone.id == seeded.zone_id))
            session.execute(delete(User).where(User.id == ids[3]))
            session.commit()
