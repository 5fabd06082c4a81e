from __future__ import annotations

import uuid
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import func, select, text

from ecogrid.core.models import Inspection, Photo
from ecogrid.inspections.photos.store import LocalPhotoStore, original_key, thumbnail_key
from tests.inspection_seed import SITE_LAT, SITE_LON, jpeg_with_exif, seed_case


def _cid() -> str:
    return str(uuid.uuid4())


def _files_in(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


@pytest.fixture
def visit(client, db, make_user, auth):
    me = make_user("inspector")
    seeded = seed_case(db, inspector_id=me.id)
    resp = client.post("/api/v1/inspections", headers=auth(me),
                       json={"case_id": seeded.case_id, "client_id": _cid(),
                             "started_at": datetime.now(UTC).isoformat()})
    assert resp.status_code == 201
    return {"user": me, "headers": auth(me), "inspection_id": resp.json()["id"], "case_id": seeded.case_id}


def _upload(client, visit, data: bytes, name: str = "site.jpg", client_id: str | None = None):
    return client.post(f"/api/v1/inspections/{visit['inspection_id']}/photos", headers=visit["headers"],
                       data={"client_id": client_id or _cid()}, files={"file": (name, data, "image/jpeg")})


def test_photo_is_stored_unchanged_with_thumbnails_and_exif(client, visit, settings):
    data = jpeg_with_exif(lon=SITE_LON, lat=SITE_LAT)
    resp = _upload(client, visit, data)
    assert resp.status_code == 201, resp.text
    body = resp.json()
    store = LocalPhotoStore(settings.upload_dir)
    assert store.open(original_key(body["sha256"])) == data
    for side in (320, 1280):
        assert store.exists(thumbnail_key(body["sha256"], max_side=side))
    assert body["exif_location"]["coordinates"] == pytest.approx([SITE_LON, SITE_LAT], abs=1e-5)
    assert body["flags"] == []

    original = client.get(f"/api/v1/photos/{body['id']}", headers=visit["headers"])
    assert original.status_code == 200 and original.content == data
    thumb = client.get(f"/api/v1/photos/{body['id']}/thumb", params={"size": 320}, headers=visit["headers"])
    assert thumb.status_code == 200
    image = Image.open(BytesIO(thumb.content))
    assert max(image.size) == 320 and not image.getexif()


def test_photo_far_from_the_site_is_flagged_not_refused(client, db, visit):
    # 0.018 degrees of latitude is about 2 km north.
    resp = _upload(client, visit, jpeg_with_exif(lon=SITE_LON, lat=SITE_LAT + 0.018))
    assert resp.status_code == 201
    codes = [f["code"] for f in resp.json()["flags"]]
    assert codes == ["far_from_site"]
    inspection = db.get(Inspection, visit["inspection_id"])
    db.refresh(inspection)
    assert [f["code"] for f in inspection.flags] == ["far_from_site"]
    assert inspection.flags[0]["photo_id"] == resp.json()["id"]


def test_repeated_client_id_is_stored_once(client, db, visit, settings):
    client_id = _cid()
    data = jpeg_with_exif()
    first = _upload(client, visit, data, client_id=client_id)
    second = _upload(client, visit, data, client_id=client_id)
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json()["id"] == second.json()["id"]
    assert db.scalar(select(func.count()).select_from(Photo).where(Photo.client_id == client_id)) == 1
    assert len([p for p in _files_in(settings.upload_dir) if "originals" in p.parts]) == 1


def test_path_in_the_file_name_is_kept_as_metadata_only(client, visit, settings):
    resp = _upload(client, visit, jpeg_with_exif(), name="../../etc/passwd.jpg")
    assert resp.status_code == 201
    assert resp.json()["original_name"] == "passwd.jpg"
    root = settings.upload_dir.resolve()
    assert all(p.resolve().is_relative_to(root) for p in _files_in(root))
    assert not (root.parent / "etc").exists()


def _png_header_only(width: int, height: int) -> bytes:
    import struct
    import zlib

    def chunk(kind: bytes, payload: bytes) -> bytes:
        return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
            + chunk(b"IEND", b""))


@pytest.mark.parametrize("kind", ["truncated_jpeg", "text_named_jpg", "png_bomb", "over_limit", "empty"])
def test_bad_upload_is_4xx_and_leaves_nothing_stored(client, db, visit, settings, kind):
    settings.max_upload_bytes = 200_000
    good = jpeg_with_exif(size=(800, 600))
    data = {
        "truncated_jpeg": good[: len(good) // 2],
        "text_named_jpg": b"hello, this is not a picture\n" * 20,
        "png_bomb": _png_header_only(50_000, 50_000),
        "over_limit": good + b"\x00" * 200_001,
        "empty": b"",
    }[kind]
    resp = _upload(client, visit, data, name="evidence.jpg")
    assert 400 <= resp.status_code < 500, resp.text
    assert resp.json()["detail"][0]["loc"][-1] == "file"
    assert _files_in(settings.upload_dir) == []
    assert db.scalar(select(func.count()).select_from(Photo).where(
        Photo.inspection_id == visit["inspection_id"])) == 0


def test_failed_commit_removes_the_file_it_wrote(client, db, visit, settings):
    # A real database refusal (a trigger), not a mocked session: the row fails after the file is written.
    db.execute(text("""
        CREATE FUNCTION refuse_photo() RETURNS trigger LANGUAGE plpgsql AS
        $$ BEGIN RAISE EXCEPTION 'disk full'; END $$;
        CREATE TRIGGER refuse_photo BEFORE INSERT ON photos FOR EACH ROW EXECUTE FUNCTION refuse_photo();
    """))
    with pytest.raises(Exception, match="disk full"):
        _upload(client, visit, jpeg_with_exif())
    assert _files_in(settings.upload_dir) == []


def test_only_staff_who_may_see_the_case_see_the_photo(client, visit, auth):
    resp = _upload(client, visit, jpeg_with_exif())
    photo_id = resp.json()["id"]
    # Another inspector's evidence is not found, like the rest of a case not theirs.
    assert client.get(f"/api/v1/photos/{photo_id}", headers=auth("inspector")).status_code == 404
    assert client.get(f"/api/v1/photos/{photo_id}", headers=auth("clerk")).status_code == 403
    assert client.get(f"/api/v1/photos/{photo_id}").status_code == 401
    assert client.get(f"/api/v1/photos/{photo_id}", headers=auth("chief")).status_code == 200
    assert client.get(f"/api/v1/photos/{photo_id}/thumb", params={"size": 99},
                      headers=auth("chief")).status_code == 422
