"""Photo evidence through the API and the `uploads` commands with the S3 store (a real S3 server on 127.0.0.1)."""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime
from io import BytesIO

import pytest
from PIL import Image
from sqlalchemy import func, select, text
from typer.testing import CliRunner

from ecogrid.cli import app as cli
from ecogrid.core.models import Photo
from ecogrid.core.settings import get_settings
from ecogrid.inspections.photos import copy as store_copy
from ecogrid.inspections.photos.store import LocalPhotoStore, original_key, thumbnail_key
from tests.inspection_seed import jpeg_with_exif, seed_case


@pytest.fixture
def visit(client, db, make_user, auth, settings, s3_bucket):
    s3_bucket.configure(settings)
    me = make_user("inspector")
    seeded = seed_case(db, inspector_id=me.id)
    resp = client.post("/api/v1/inspections", headers=auth(me),
                       json={"case_id": seeded.case_id, "client_id": str(uuid.uuid4()),
                             "started_at": datetime.now(UTC).isoformat()})
    assert resp.status_code == 201
    return {"headers": auth(me), "inspection_id": resp.json()["id"], "bucket": s3_bucket}


def _upload(client, visit, data: bytes):
    return client.post(f"/api/v1/inspections/{visit['inspection_id']}/photos", headers=visit["headers"],
                       data={"client_id": str(uuid.uuid4())}, files={"file": ("site.jpg", data, "image/jpeg")})


def test_photo_upload_and_read_go_through_the_bucket(client, visit, settings):
    data = jpeg_with_exif(size=(1600, 1200))
    resp = _upload(client, visit, data)
    assert resp.status_code == 201, resp.text
    sha = resp.json()["sha256"]
    assert visit["bucket"].keys() == sorted([original_key(sha), thumbnail_key(sha, max_side=320),
                                             thumbnail_key(sha, max_side=1280)])
    assert not settings.photo_dir.exists()

    original = client.get(f"/api/v1/photos/{resp.json()['id']}", headers=visit["headers"])
    assert original.status_code == 200 and original.content == data
    assert original.headers["content-length"] == str(len(data))
    assert original.headers["x-content-type-options"] == "nosniff"
    thumb = client.get(f"/api/v1/photos/{resp.json()['id']}/thumb", params={"size": 320}, headers=visit["headers"])
    assert thumb.status_code == 200 and max(Image.open(BytesIO(thumb.content)).size) == 320


def test_a_failed_commit_after_the_put_removes_the_objects_it_wrote(client, db, visit):
    # A real database refusal (a trigger): the row fails after the original and thumbnails are in the bucket.
    db.execute(text("""
        CREATE FUNCTION refuse_photo() RETURNS trigger LANGUAGE plpgsql AS
        $$ BEGIN RAISE EXCEPTION 'disk full'; END $$;
        CREATE TRIGGER refuse_photo BEFORE INSERT ON photos FOR EACH ROW EXECUTE FUNCTION refuse_photo();
    """))
    with pytest.raises(Exception, match="disk full"):
        _upload(client, visit, jpeg_with_exif())
    assert visit["bucket"].keys() == []


def test_a_failed_put_is_a_503_and_leaves_no_row(client, db, visit, settings):
    settings.s3_bucket = "bucket-that-was-never-made"
    resp = _upload(client, visit, jpeg_with_exif())
    assert resp.status_code == 503
    assert resp.headers["retry-after"]
    assert "bucket-that-was-never-made" not in resp.text
    assert db.scalar(select(func.count()).select_from(Photo).where(
        Photo.inspection_id == visit["inspection_id"])) == 0


def test_a_photo_whose_object_is_gone_is_404(client, visit):
    resp = _upload(client, visit, jpeg_with_exif())
    visit["bucket"].store().delete(original_key(resp.json()["sha256"]))
    missing = client.get(f"/api/v1/photos/{resp.json()['id']}", headers=visit["headers"])
    assert missing.status_code == 404
    assert "missing from the store" in missing.text


@pytest.fixture
def s3_env(tmp_path, engine, monkeypatch, s3_bucket):
    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("ECOGRID_UPLOAD_DIR", str(tmp_path / "uploads"))
    for name, value in s3_bucket.environment().items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    yield s3_bucket
    get_settings.cache_clear()


def test_uploads_check_runs_over_the_bucket(s3_env):
    store = s3_env.store()
    orphan = store.put(jpeg_with_exif())
    result = CliRunner().invoke(cli, ["uploads", "check", "--grace-minutes", "0"])
    assert f"store: s3://{s3_env.name}/" in result.output
    assert f"orphan file: {orphan.key}" in result.output
    assert result.exit_code == 1

    fixed = CliRunner().invoke(cli, ["uploads", "check", "--fix", "--grace-minutes", "0"])
    assert fixed.exit_code == 0, fixed.output
    assert s3_env.keys() == []


def _local_store_with_photos(root, count: int) -> tuple[LocalPhotoStore, list[str]]:
    store = LocalPhotoStore(root)
    keys = []
    for n in range(count):
        data = jpeg_with_exif(size=(64 + n, 48))
        stored = store.put(data)
        thumb = store.put_thumbnail(stored.sha256, max_side=320, data=b"thumb %d" % n)
        keys += [stored.key, thumb.key]
    return store, sorted(keys)


def test_migrate_copies_the_local_store_and_verifies_every_hash(s3_env, tmp_path):
    _, keys = _local_store_with_photos(tmp_path / "uploads", 3)
    result = CliRunner().invoke(cli, ["uploads", "migrate", "--to", "s3"])
    assert result.exit_code == 0, result.output
    assert "6 copied" in result.output
    assert s3_env.keys() == keys
    store = s3_env.store()
    for key in keys:
        assert store.open(key) == LocalPhotoStore(tmp_path / "uploads").open(key)

    again = CliRunner().invoke(cli, ["uploads", "migrate", "--to", "s3"])
    assert again.exit_code == 0 and "0 copied" in again.output and "6 verified by an earlier run" in again.output


def test_an_interrupted_migration_resumes_where_it_stopped(s3_env, tmp_path):
    source, keys = _local_store_with_photos(tmp_path / "uploads", 4)
    target = s3_env.store()
    journal = store_copy.journal_path(source.root, target.location)

    def interrupt_after_three(_key: str) -> None:
        if len(journal.read_text().splitlines()) == 3:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        store_copy.copy_store(source, target, journal=journal, on_copied=interrupt_after_three)
    assert len(s3_env.keys()) == 3

    resumed = CliRunner().invoke(cli, ["uploads", "migrate", "--to", "s3"])
    assert resumed.exit_code == 0, resumed.output
    assert "5 copied" in resumed.output and "3 verified by an earlier run" in resumed.output
    assert s3_env.keys() == keys


def test_migrate_refuses_a_corrupt_local_original(s3_env, tmp_path):
    source, keys = _local_store_with_photos(tmp_path / "uploads", 2)
    damaged = next(key for key in keys if key.startswith("originals/"))
    path = source.path(damaged)
    path.chmod(0o644)
    path.write_bytes(b"altered evidence")
    result = CliRunner().invoke(cli, ["uploads", "migrate", "--to", "s3"])
    assert result.exit_code == 1
    assert f"not copied, corrupt in the local store: {damaged}" in result.output
    assert damaged not in s3_env.keys()
    assert hashlib.sha256(b"altered evidence").hexdigest() not in " ".join(s3_env.keys())
