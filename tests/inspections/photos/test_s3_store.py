"""The S3 photo store against a real S3-protocol server (moto's, on 127.0.0.1)."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pytest

from ecogrid.core.metrics import PHOTO_STORE_ERRORS
from ecogrid.inspections.photos.s3_store import S3PhotoStore, _client
from ecogrid.inspections.photos.store import (
    PhotoNotFound,
    PhotoStore,
    PhotoStoreUnavailable,
    check_store,
    original_key,
    thumbnail_key,
)
from tests.s3_server import ACCESS_KEY, REGION, SECRET_KEY

PHOTO = b"\xff\xd8\xff\xe0 pretend these are the bytes of a JPEG \xff\xd9" * 1000


def test_s3_store_satisfies_the_protocol(s3_bucket):
    assert isinstance(s3_bucket.store(), PhotoStore)


def test_original_is_stored_unchanged_under_its_hash_with_thumbnails_beside_it(s3_bucket):
    store = s3_bucket.store(prefix="city/")
    sha = hashlib.sha256(PHOTO).hexdigest()

    stored = store.put(PHOTO)
    thumb = store.put_thumbnail(sha, max_side=320, data=b"small jpeg")

    assert (stored.key, stored.sha256, stored.created) == (original_key(sha), sha, True)
    assert store.open(stored.key) == PHOTO
    assert s3_bucket.keys() == [f"city/{original_key(sha)}", f"city/{thumbnail_key(sha, max_side=320)}"]
    assert sorted(store.iter_keys()) == sorted([stored.key, thumb.key])
    head = s3_bucket.server.client().head_object(Bucket=s3_bucket.name, Key=f"city/{stored.key}")
    assert head["Metadata"]["sha256"] == sha
    assert store.stat(stored.key).size == len(PHOTO)


def test_same_bytes_twice_are_stored_once(s3_bucket):
    store = s3_bucket.store()
    assert store.put(PHOTO).created is True
    assert store.put(PHOTO).created is False
    assert len(s3_bucket.keys()) == 1


def test_reads_stream_in_chunks(s3_bucket):
    store = s3_bucket.store()
    key = store.put(PHOTO).key
    chunks = list(store.stream(key, chunk_bytes=4096))
    assert len(chunks) == -(-len(PHOTO) // 4096)
    assert b"".join(chunks) == PHOTO


def test_a_missing_object_is_not_found_before_any_byte(s3_bucket):
    store = s3_bucket.store()
    key = original_key("ab" * 32)
    assert store.exists(key) is False
    with pytest.raises(PhotoNotFound):
        store.open(key)
    with pytest.raises(PhotoNotFound):
        store.stream(key)
    with pytest.raises(PhotoNotFound):
        store.stat(key)
    store.delete(key)  # deleting what is not there is not an error, as in the local store


def test_a_put_into_a_missing_bucket_fails_clearly_and_is_counted(s3_server):
    store = S3PhotoStore(s3_server.client(), "no-such-bucket")
    before = PHOTO_STORE_ERRORS.labels("s3", "put")._value.get()
    with pytest.raises(PhotoStoreUnavailable, match="NoSuchBucket"):
        store.put(PHOTO)
    assert PHOTO_STORE_ERRORS.labels("s3", "put")._value.get() == before + 1


def test_a_store_that_cannot_be_reached_is_unavailable_not_missing():
    # Port 9 (discard) on loopback: nothing listens, the connection is refused at once.
    client = _client("http://127.0.0.1:9", REGION, ACCESS_KEY, SECRET_KEY, "path", 1.0, 1.0, 1)
    store = S3PhotoStore(client, "photos")
    with pytest.raises(PhotoStoreUnavailable, match="could not be reached"):
        store.put(PHOTO)
    with pytest.raises(PhotoStoreUnavailable):
        store.exists(original_key("ab" * 32))


def test_check_over_the_bucket_finds_orphans_missing_corrupt_and_interrupted_uploads(s3_bucket):
    store = s3_bucket.store()
    raw = s3_bucket.server.client()
    kept = store.put(PHOTO)
    orphan = store.put(PHOTO + b"orphan")
    damaged = store.put(PHOTO + b"damaged")
    raw.put_object(Bucket=s3_bucket.name, Key=damaged.key, Body=b"overwritten")
    lost = original_key("cd" * 32)
    upload = raw.create_multipart_upload(Bucket=s3_bucket.name, Key=original_key("ef" * 32))

    later = datetime.now(UTC) + timedelta(hours=2)
    report = check_store(store, {kept.key, damaged.key, lost}, verify_hashes=True, now=later)
    assert report.orphans == [orphan.key]
    assert report.missing == [lost]
    assert report.corrupt == [damaged.key]
    assert [item.name for item in report.incomplete] == [f"{original_key('ef' * 32)}?uploadId={upload['UploadId']}"]

    fixed = check_store(store, {kept.key, damaged.key, lost}, fix=True, now=later)
    assert set(fixed.removed) == {orphan.key, fixed.incomplete[0].name}
    assert not store.exists(orphan.key) and store.exists(kept.key)
    assert raw.list_multipart_uploads(Bucket=s3_bucket.name).get("Uploads", []) == []


def test_a_key_prefix_must_end_with_a_slash(s3_bucket):
    with pytest.raises(ValueError, match="s3_prefix"):
        s3_bucket.store(prefix="city")
