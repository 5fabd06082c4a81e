"""Photo uploads cannot exhaust the server's memory, and the photo store lives in the data folder."""

from __future__ import annotations

import importlib.util
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest

from ecogrid.core.settings import Settings
from ecogrid.inspections.photos.images import ImageRejected, inspect_image
from ecogrid.inspections.photos.store import original_key, photo_store
from tests.inspection_seed import jpeg_with_exif, seed_case
from tests.photo_bombs import zero_png

# The benchmark's own measurement (a child process per decode), loaded from its file: bench/ is no package.
_BENCH = Path(__file__).resolve().parents[2] / "bench" / "upload_memory.py"
_spec = importlib.util.spec_from_file_location("upload_memory_bench", _BENCH)
assert _spec and _spec.loader
upload_memory = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(upload_memory)
measure = upload_memory.measure

MB = 1024 * 1024
# Pillow holds an RGB picture in 4 bytes a pixel.
BYTES_PER_PIXEL = 4


def test_the_default_pixel_limit_admits_a_50_megapixel_phone_photo_and_refuses_the_zero_png_bomb() -> None:
    settings = Settings(_env_file=None)
    assert 8192 * 6144 <= settings.max_image_pixels < 8900 * 8900
    bomb = zero_png(8900, 8900)
    assert len(bomb) < 300_000
    with pytest.raises(ImageRejected, match="8900 x 8900 pixels, more than the limit"):
        inspect_image(bomb, max_bytes=settings.max_upload_bytes, max_pixels=settings.max_image_pixels)


def test_the_zero_png_bomb_costs_no_decoding_memory() -> None:
    figures = measure(side=8900)
    assert figures["outcomes"][0].startswith("refused")
    assert figures["decode_mb"] < 30, figures


def test_a_picture_just_under_the_limit_is_decoded_with_one_full_size_buffer() -> None:
    # 7000 x 7000 = 49 MP of zeros, 143 kB on disk: accepted, and checked plus thumbnailed with
    # about one buffer of its pixels (the former three full decodes and copies took 2.3 buffers).
    figures = measure(side=7000)
    assert figures["outcomes"] == ["accepted"]
    one_buffer_mb = 7000 * 7000 * BYTES_PER_PIXEL / MB
    assert figures["decode_mb"] < 1.6 * one_buffer_mb, figures


def test_four_uploads_at_once_decode_at_most_the_configured_number() -> None:
    figures = measure(side=6000, concurrent=4, slots=2)
    assert figures["outcomes"] == ["accepted"]
    assert figures["most_at_once"] == 2, figures
    one_buffer_mb = 6000 * 6000 * BYTES_PER_PIXEL / MB
    # Four unbounded decodes hold four buffers and more; two slots hold two, with their thumbnails.
    assert figures["decode_mb"] < 3.2 * one_buffer_mb, figures


def test_the_photo_store_defaults_to_the_data_folder_not_the_working_directory(tmp_path, monkeypatch) -> None:
    monkeypatch.delenv("ECOGRID_UPLOAD_DIR", raising=False)
    monkeypatch.chdir(tmp_path)
    settings = Settings(_env_file=None, data_dir=tmp_path / "instance-a")
    assert settings.photo_dir == tmp_path / "instance-a" / "uploads"
    other = Settings(_env_file=None, data_dir=tmp_path / "instance-b")
    stored = photo_store(settings).put(b"evidence of instance a")
    assert (tmp_path / "instance-a" / "uploads" / stored.key).is_file()
    assert not photo_store(other).exists(stored.key)
    assert not (tmp_path / "uploads").exists()


def test_an_explicit_upload_dir_is_still_used(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("ECOGRID_UPLOAD_DIR", str(tmp_path / "configured"))
    settings = Settings(_env_file=None, data_dir=tmp_path / "var")
    assert settings.photo_dir == tmp_path / "configured"


def test_an_uploaded_photo_lands_in_the_data_folder_by_default(client, db, make_user, auth, settings) -> None:
    settings.upload_dir = None
    me = make_user("inspector")
    seeded = seed_case(db, inspector_id=me.id)
    visit = client.post("/api/v1/inspections", headers=auth(me),
                        json={"case_id": seeded.case_id, "client_id": str(uuid.uuid4()),
                              "started_at": datetime.now(UTC).isoformat()})
    assert visit.status_code == 201, visit.text
    resp = client.post(f"/api/v1/inspections/{visit.json()['id']}/photos", headers=auth(me),
                       data={"client_id": str(uuid.uuid4())},
                       files={"file": ("site.jpg", jpeg_with_exif(), "image/jpeg")})
    assert resp.status_code == 201, resp.text
    key = original_key(resp.json()["sha256"])
    assert (Path(settings.data_dir) / "uploads" / key).is_file()


def test_the_bomb_sent_to_the_api_is_refused_naming_the_file(client, db, make_user, auth) -> None:
    me = make_user("inspector")
    seeded = seed_case(db, inspector_id=me.id)
    visit = client.post("/api/v1/inspections", headers=auth(me),
                        json={"case_id": seeded.case_id, "client_id": str(uuid.uuid4())})
    resp = client.post(f"/api/v1/inspections/{visit.json()['id']}/photos", headers=auth(me),
                       data={"client_id": str(uuid.uuid4())},
                       files={"file": ("site.png", zero_png(8900, 8900), "image/png")})
    assert resp.status_code == 422
    assert resp.json()["detail"][0]["loc"] == ["body", "file"]
    assert "8900 x 8900" in resp.json()["detail"][0]["msg"]
