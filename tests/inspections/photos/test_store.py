import hashlib
import os
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import BinaryIO

import pytest

from ecogrid.inspections.photos.store import (
    InvalidPhotoKey,
    LocalPhotoStore,
    PhotoNotFound,
    PhotoStore,
    check_store,
    find_corrupt,
    find_incomplete,
    find_missing,
    find_orphans,
    original_key,
    parse_key,
    thumbnail_key,
)

PHOTO = b"\xff\xd8\xff\xe0 pretend these are the bytes of a JPEG \xff\xd9"


def files_under(root: Path) -> list[Path]:
    return sorted(path for path in root.rglob("*") if path.is_file())


class DiskFullStore(LocalPhotoStore):
    """Fails half way through writing, as a full disk or a pulled cable would."""

    def _write_payload(self, handle: BinaryIO, data: bytes) -> None:
        handle.write(data[: len(data) // 2])
        raise OSError(28, "No space left on device")


def test_local_store_satisfies_the_protocol(tmp_path) -> None:
    assert isinstance(LocalPhotoStore(tmp_path), PhotoStore)


def test_original_is_stored_unchanged_under_its_hash(tmp_path) -> None:
    store = LocalPhotoStore(tmp_path)
    sha = hashlib.sha256(PHOTO).hexdigest()

    stored = store.put(PHOTO)

    assert stored.key == f"originals/{sha[:2]}/{sha[2:4]}/{sha}"
    assert (stored.sha256, stored.size, stored.created) == (sha, len(PHOTO), True)
    assert (tmp_path / stored.key).read_bytes() == PHOTO
    assert store.open(stored.key) == PHOTO
    assert store.exists(stored.key)


def test_same_bytes_twice_are_stored_once(tmp_path) -> None:
    store = LocalPhotoStore(tmp_path)

    first = store.put(PHOTO)
    second = store.put(PHOTO)

    assert first.created is True and second.created is False
    assert second.key == first.key
    assert files_under(tmp_path) == [tmp_path / first.key]


def test_failed_write_leaves_neither_file_nor_temp_file(tmp_path) -> None:
    store = DiskFullStore(tmp_path)

    with pytest.raises(OSError, match="No space left"):
        store.put(PHOTO)

    assert files_under(tmp_path) == []
    assert not LocalPhotoStore(tmp_path).exists(original_key(hashlib.sha256(PHOTO).hexdigest()))


def test_failed_write_keeps_the_earlier_thumbnail(tmp_path) -> None:
    sha = hashlib.sha256(PHOTO).hexdigest()
    LocalPhotoStore(tmp_path).put_thumbnail(sha, max_side=320, data=b"old thumbnail")

    with pytest.raises(OSError):
        DiskFullStore(tmp_path).put_thumbnail(sha, max_side=320, data=b"new thumbnail", replace=True)

    key = thumbnail_key(sha, max_side=320)
    assert LocalPhotoStore(tmp_path).open(key) == b"old thumbnail"
    assert files_under(tmp_path) == [tmp_path / key]


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores directory permissions")
def test_read_only_root_refuses_the_write_and_leaves_nothing(tmp_path) -> None:
    root = tmp_path / "photos"
    (root / "originals").mkdir(parents=True)
    (root / "originals").chmod(0o555)
    try:
        with pytest.raises(OSError):
            LocalPhotoStore(root).put(PHOTO)
        assert files_under(root) == []
    finally:
        (root / "originals").chmod(0o755)


@pytest.mark.parametrize(
    "key",
    [
        "originals/../../etc/passwd",
        "../originals/ab/cd/" + "a" * 64,
        "/etc/passwd",
        "originals/ab/cd/" + "ab" * 32 + "/../x",
        "originals/00/00/" + "ab" * 32,  # folders must match the hash
        "thumbs/0/ab/ab/" + "ab" * 32 + ".jpg",
        "originals/AB/AB/" + "AB" * 32,
        "",
    ],
)
def test_keys_outside_the_grammar_are_refused(tmp_path, key: str) -> None:
    store = LocalPhotoStore(tmp_path)

    with pytest.raises(InvalidPhotoKey):
        store.open(key)
    with pytest.raises(InvalidPhotoKey):
        store.delete(key)


def test_symlink_planted_in_the_store_is_not_followed(tmp_path) -> None:
    root, outside = tmp_path / "store", tmp_path / "outside"
    outside.mkdir()
    sha = hashlib.sha256(PHOTO).hexdigest()
    (root / "originals").mkdir(parents=True)
    (root / "originals" / sha[:2]).symlink_to(outside, target_is_directory=True)
    store = LocalPhotoStore(root)

    with pytest.raises(InvalidPhotoKey, match="symbolic link"):
        store.put(PHOTO)
    with pytest.raises(InvalidPhotoKey):
        store.exists(original_key(sha))
    assert files_under(outside) == []


def test_missing_photo_is_reported_as_not_found(tmp_path) -> None:
    with pytest.raises(PhotoNotFound):
        LocalPhotoStore(tmp_path).open(original_key("0" * 64))


def test_delete_removes_the_file_and_is_harmless_twice(tmp_path) -> None:
    store = LocalPhotoStore(tmp_path)
    key = store.put(PHOTO).key

    store.delete(key)
    store.delete(key)

    assert not store.exists(key)


def test_thumbnails_live_beside_their_original_by_its_hash(tmp_path) -> None:
    store = LocalPhotoStore(tmp_path)
    original = store.put(PHOTO)

    small = store.put_thumbnail(original.sha256, max_side=320, data=b"small")
    again = store.put_thumbnail(original.sha256, max_side=320, data=b"other")

    sha = original.sha256
    assert small.key == f"thumbs/320/{sha[:2]}/{sha[2:4]}/{sha}.jpg"
    assert (small.created, again.created) == (True, False)
    assert store.open(small.key) == b"small"
    assert parse_key(small.key).max_side == 320
    assert sorted(store.iter_keys()) == sorted([original.key, small.key])


def test_stored_original_cannot_be_written_in_place(tmp_path) -> None:
    key = LocalPhotoStore(tmp_path).put(PHOTO).key

    assert (tmp_path / key).stat().st_mode & 0o222 == 0


def test_orphans_are_files_no_row_knows(tmp_path) -> None:
    store = LocalPhotoStore(tmp_path)
    known = store.put(b"known photo")
    orphan = store.put(b"orphan photo")
    known_thumb = store.put_thumbnail(known.sha256, max_side=320, data=b"t1")
    orphan_thumb = store.put_thumbnail(orphan.sha256, max_side=1280, data=b"t2")

    orphans = find_orphans(store, {known.key})

    assert orphans == sorted([orphan.key, orphan_thumb.key])
    assert known_thumb.key not in orphans


def test_missing_files_are_the_known_keys_not_in_the_store(tmp_path) -> None:
    store = LocalPhotoStore(tmp_path)
    present = store.put(PHOTO).key
    gone = original_key("f" * 64)

    assert find_missing(store, {present, gone}) == [gone]


def test_corrupt_original_is_found_by_rehashing(tmp_path) -> None:
    store = LocalPhotoStore(tmp_path)
    good = store.put(b"good").key
    bad = store.put(b"bad").key
    (tmp_path / bad).chmod(0o644)
    (tmp_path / bad).write_bytes(b"tampered")

    assert find_corrupt(store) == [bad]
    assert good not in find_corrupt(store)


def leave_temp_file(folder: Path, name: str, *, age: timedelta) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(b"half a photo")
    stamp = time.time() - age.total_seconds()
    os.utime(path, (stamp, stamp))
    return path


def test_leftover_temp_files_are_found_once_old_enough(tmp_path) -> None:
    store = LocalPhotoStore(tmp_path)
    old = leave_temp_file(tmp_path / "originals" / "ab" / "cd", ".tmp-crashed", age=timedelta(hours=3))
    leave_temp_file(tmp_path / "thumbs" / "320" / "ab" / "cd", ".tmp-writing", age=timedelta(seconds=5))

    found = find_incomplete(store, older_than=timedelta(hours=1))

    assert [item.name for item in found] == [old.relative_to(tmp_path).as_posix()]
    assert list(store.iter_keys()) == []


def test_check_with_fix_removes_old_leftovers_and_orphans_but_reports_missing(tmp_path) -> None:
    store = LocalPhotoStore(tmp_path)
    known = store.put(b"known photo")
    orphan = store.put(b"orphan photo")
    temp = leave_temp_file(tmp_path / "originals" / "ab" / "cd", ".tmp-crashed", age=timedelta(hours=3))
    gone = original_key("e" * 64)
    later = datetime.now(UTC) + timedelta(hours=2)

    report = check_store(store, {known.key, gone}, fix=True, now=later)

    assert report.orphans == [orphan.key]
    assert report.missing == [gone]
    assert sorted(report.removed) == sorted([orphan.key, temp.relative_to(tmp_path).as_posix()])
    assert not store.exists(orphan.key) and not temp.exists()
    assert store.exists(known.key)


def test_check_with_fix_spares_a_fresh_orphan_still_being_registered(tmp_path) -> None:
    store = LocalPhotoStore(tmp_path)
    fresh = store.put(b"upload whose row is not committed yet")

    report = check_store(store, set(), fix=True)

    assert report.orphans == [fresh.key]
    assert report.removed == []
    assert store.exists(fresh.key)


def test_check_of_a_consistent_store_is_clean(tmp_path) -> None:
    store = LocalPhotoStore(tmp_path)
    key = store.put(PHOTO).key

    assert check_store(store, {key}, verify_hashes=True).clean


def test_temp_file_removal_refuses_names_outside_the_store(tmp_path) -> None:
    store = LocalPhotoStore(tmp_path / "store")
    victim = tmp_path / ".tmp-victim"
    victim.write_bytes(b"x")

    with pytest.raises(ValueError):
        store.discard_incomplete("../.tmp-victim")
    assert victim.exists()
