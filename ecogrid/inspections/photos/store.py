"""Content-addressed storage for photo files.

Keys
    An original is stored under `originals/ab/cd/<sha256>` where `ab` and `cd` are the first
    four hex digits of the SHA-256 of its bytes; its derived thumbnails live under
    `thumbs/<max_side>/ab/cd/<sha256>.jpg`, named by the ORIGINAL's hash. Keys follow this
    grammar exactly (`original_key`, `thumbnail_key`, `parse_key`); any other string is
    refused, so no key can name a path outside the store. The original bytes are stored
    unchanged: the key is their hash, so anyone can check that the evidence was not altered.

Protocol
    Callers depend on `PhotoStore` and the key functions only. `LocalPhotoStore` keeps files
    in a folder; `s3_store.S3PhotoStore` keeps them in an S3-compatible bucket with the same
    keys (`photo_store(settings)` picks one by ECOGRID_PHOTO_STORE). `stream` hands a file on
    in chunks and reports a missing one before the first chunk. A store that cannot be reached
    raises PhotoStoreUnavailable (a 503 for the API). `LocalPhotoStore.path` is local only.

Checks
    `find_orphans`, `find_missing`, `find_corrupt` and `check_store` are the consistency
    checks behind `ecogrid uploads check [--fix]`: files no row refers to, rows whose file
    is gone, originals whose bytes no longer match their hash, and temporary files left by
    an interrupted write.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, Protocol, runtime_checkable

from ecogrid.core.metrics import PHOTO_STORE_ERRORS

if TYPE_CHECKING:
    from ecogrid.core.settings import Settings

ORIGINALS_PREFIX = "originals"
THUMBS_PREFIX = "thumbs"
TEMP_PREFIX = ".tmp-"
# Reads are handed on in pieces of this size: an original is never held whole to be served.
STREAM_CHUNK_BYTES = 256 * 1024

_SHA256 = re.compile(r"[0-9a-f]{64}")
_ORIGINAL_KEY = re.compile(r"originals/([0-9a-f]{2})/([0-9a-f]{2})/([0-9a-f]{64})")
_THUMB_KEY = re.compile(r"thumbs/([1-9][0-9]{0,4})/([0-9a-f]{2})/([0-9a-f]{2})/([0-9a-f]{64})\.jpg")

# Stored files are never rewritten in place; read-only modes make an accidental write fail.
_FILE_MODE = 0o444


class PhotoStoreError(ValueError):
    def __init__(self, message: str, *, field: str = "key") -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


class InvalidPhotoKey(PhotoStoreError):
    pass


class PhotoNotFound(PhotoStoreError):
    pass


class PhotoStoreUnavailable(RuntimeError):
    """The store could not be reached or refused an operation (not a missing object): try later."""


@dataclass(frozen=True)
class StoredObject:
    key: str
    # SHA-256 of the bytes stored under `key` (for a thumbnail: of the thumbnail itself).
    sha256: str
    size: int
    created: bool


@dataclass(frozen=True)
class ObjectInfo:
    key: str
    size: int
    modified_at: datetime


@dataclass(frozen=True)
class ParsedKey:
    kind: str  # "original" or "thumbnail"
    sha256: str
    max_side: int | None


@dataclass(frozen=True)
class IncompleteWrite:
    """A write that never finished (a temp file, or an S3 multipart upload)."""

    name: str
    modified_at: datetime


@runtime_checkable
class PhotoStore(Protocol):
    def put(self, data: bytes) -> StoredObject: ...

    def put_thumbnail(
        self, original_sha256: str, *, max_side: int, data: bytes, replace: bool = False
    ) -> StoredObject: ...

    def open(self, key: str) -> bytes: ...

    def stream(self, key: str, *, chunk_bytes: int = STREAM_CHUNK_BYTES) -> Iterator[bytes]: ...

    @property
    def location(self) -> str: ...

    def exists(self, key: str) -> bool: ...

    def stat(self, key: str) -> ObjectInfo: ...

    def delete(self, key: str) -> None: ...

    def iter_keys(self) -> Iterator[str]: ...

    def iter_incomplete(self) -> Iterator[IncompleteWrite]: ...

    def discard_incomplete(self, name: str) -> None: ...


def original_key(sha256: str) -> str:
    _check_sha256(sha256)
    return f"{ORIGINALS_PREFIX}/{sha256[0:2]}/{sha256[2:4]}/{sha256}"


def thumbnail_key(sha256: str, *, max_side: int) -> str:
    _check_sha256(sha256)
    if not 1 <= max_side <= 99999:
        raise InvalidPhotoKey(f"thumbnail size must be 1..99999 pixels, got {max_side}", field="max_side")
    return f"{THUMBS_PREFIX}/{max_side}/{sha256[0:2]}/{sha256[2:4]}/{sha256}.jpg"


def parse_key(key: str) -> ParsedKey:
    """Validate a key against the store's grammar; raises InvalidPhotoKey for anything else."""
    if not isinstance(key, str):
        raise InvalidPhotoKey("a key must be a string")
    match = _ORIGINAL_KEY.fullmatch(key)
    if match is not None:
        first, second, sha = match.groups()
        if sha[0:2] == first and sha[2:4] == second:
            return ParsedKey(kind="original", sha256=sha, max_side=None)
    match = _THUMB_KEY.fullmatch(key)
    if match is not None:
        size, first, second, sha = match.groups()
        if sha[0:2] == first and sha[2:4] == second:
            return ParsedKey(kind="thumbnail", sha256=sha, max_side=int(size))
    raise InvalidPhotoKey(f"{key[:200]!r} is not a photo store key")


class LocalPhotoStore:
    """Photo files in a local folder, written atomically (temp file, fsync, rename)."""

    def __init__(self, root: Path) -> None:
        # The root itself may be a symlink to a larger disk; below it, no symlinks are followed.
        self._root = Path(root).resolve()

    @property
    def root(self) -> Path:
        return self._root

    @property
    def location(self) -> str:
        return str(self._root)

    def put(self, data: bytes) -> StoredObject:
        if not data:
            raise PhotoStoreError("refusing to store an empty file", field="file")
        sha = hashlib.sha256(data).hexdigest()
        key = original_key(sha)
        path = self.path(key)
        if path.is_file():
            return StoredObject(key=key, sha256=sha, size=len(data), created=False)
        self._write_atomic(path, data)
        return StoredObject(key=key, sha256=sha, size=len(data), created=True)

    def put_thumbnail(
        self, original_sha256: str, *, max_side: int, data: bytes, replace: bool = False
    ) -> StoredObject:
        if not data:
            raise PhotoStoreError("refusing to store an empty thumbnail", field="file")
        key = thumbnail_key(original_sha256, max_side=max_side)
        sha = hashlib.sha256(data).hexdigest()
        path = self.path(key)
        if path.is_file() and not replace:
            return StoredObject(key=key, sha256=sha, size=len(data), created=False)
        self._write_atomic(path, data)
        return StoredObject(key=key, sha256=sha, size=len(data), created=True)

    def path(self, key: str) -> Path:
        """The file for `key` (which need not exist yet); local stores only."""
        parse_key(key)
        candidate = self._root / key
        # The grammar rules out `..` and absolute keys; this catches symlinks planted below the root.
        if candidate.resolve() != candidate:
            raise InvalidPhotoKey(f"{key!r} passes through a symbolic link inside the photo store")
        return candidate

    def open(self, key: str) -> bytes:
        path = self.path(key)
        try:
            return path.read_bytes()
        except FileNotFoundError as exc:
            raise PhotoNotFound(f"no stored photo file for {key!r}") from exc

    def stream(self, key: str, *, chunk_bytes: int = STREAM_CHUNK_BYTES) -> Iterator[bytes]:
        path = self.path(key)
        try:
            handle = path.open("rb")
        except FileNotFoundError as exc:
            raise PhotoNotFound(f"no stored photo file for {key!r}") from exc
        return _chunks_of(handle, chunk_bytes)

    def exists(self, key: str) -> bool:
        return self.path(key).is_file()

    def stat(self, key: str) -> ObjectInfo:
        try:
            result = self.path(key).stat()
        except FileNotFoundError as exc:
            raise PhotoNotFound(f"no stored photo file for {key!r}") from exc
        return ObjectInfo(
            key=key, size=result.st_size, modified_at=datetime.fromtimestamp(result.st_mtime, UTC)
        )

    def delete(self, key: str) -> None:
        path = self.path(key)
        with contextlib.suppress(FileNotFoundError):
            path.unlink()

    def iter_keys(self) -> Iterator[str]:
        for path in self._iter_files():
            key = path.relative_to(self._root).as_posix()
            with contextlib.suppress(InvalidPhotoKey):
                parse_key(key)
                yield key

    def iter_incomplete(self) -> Iterator[IncompleteWrite]:
        for path in self._iter_files():
            if path.name.startswith(TEMP_PREFIX):
                modified = datetime.fromtimestamp(path.lstat().st_mtime, UTC)
                yield IncompleteWrite(name=path.relative_to(self._root).as_posix(), modified_at=modified)

    def discard_incomplete(self, name: str) -> None:
        path = self._root / name
        inside = path.resolve().is_relative_to(self._root) and ".." not in Path(name).parts
        if Path(name).is_absolute() or not inside or not path.name.startswith(TEMP_PREFIX):
            raise PhotoStoreError(f"{name!r} is not a temporary file of this store", field="name")
        with contextlib.suppress(FileNotFoundError):
            path.unlink()

    def _write_payload(self, handle: BinaryIO, data: bytes) -> None:
        handle.write(data)

    def _write_atomic(self, path: Path, data: bytes) -> None:
        directory = path.parent
        directory.mkdir(parents=True, exist_ok=True)
        # The temp file sits in the target directory so os.replace is a same-filesystem rename.
        fd, temp_name = tempfile.mkstemp(prefix=TEMP_PREFIX, dir=directory)
        try:
            with os.fdopen(fd, "wb") as handle:
                self._write_payload(handle, data)
                handle.flush()
                os.fsync(handle.fileno())
            os.chmod(temp_name, _FILE_MODE)
            os.replace(temp_name, path)
        except BaseException as exc:
            with contextlib.suppress(OSError):
                os.unlink(temp_name)
            if isinstance(exc, OSError):
                PHOTO_STORE_ERRORS.labels("local", "put").inc()
            raise
        _fsync_directory(directory)

    def _iter_files(self) -> Iterator[Path]:
        for prefix in (ORIGINALS_PREFIX, THUMBS_PREFIX):
            top = self._root / prefix
            if top.is_symlink() or not top.is_dir():
                continue
            for folder, _subdirs, files in os.walk(top, followlinks=False):
                for name in files:
                    path = Path(folder) / name
                    if not path.is_symlink():
                        yield path


def _chunks_of(handle: BinaryIO, chunk_bytes: int) -> Iterator[bytes]:
    with handle:
        while chunk := handle.read(chunk_bytes):
            yield chunk


def _fsync_directory(directory: Path) -> None:
    # Makes the rename itself durable; not every platform lets a directory be opened for this.
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        with contextlib.suppress(OSError):
            os.fsync(fd)
    finally:
        os.close(fd)


def _check_sha256(sha256: str) -> None:
    if not isinstance(sha256, str) or _SHA256.fullmatch(sha256) is None:
        raise InvalidPhotoKey("expected 64 lowercase hex digits", field="sha256")


def find_orphans(store: PhotoStore, known_keys: set[str]) -> list[str]:
    """Stored keys no database row refers to, sorted.

    A thumbnail belongs to its original: it is an orphan only when neither its own key nor
    the key of its original is known.
    """
    orphans = []
    for key in store.iter_keys():
        if key in known_keys:
            continue
        parsed = parse_key(key)
        if parsed.kind == "thumbnail" and original_key(parsed.sha256) in known_keys:
            continue
        orphans.append(key)
    return sorted(orphans)


def find_missing(store: PhotoStore, known_keys: Iterable[str]) -> list[str]:
    """Known keys whose file is gone from the store, sorted."""
    return sorted(key for key in set(known_keys) if not store.exists(key))


def find_corrupt(store: PhotoStore, keys: Iterable[str] | None = None) -> list[str]:
    """Originals whose bytes no longer hash to their key, sorted (reads every file: slow)."""
    corrupt = []
    for key in store.iter_keys() if keys is None else keys:
        parsed = parse_key(key)
        if parsed.kind != "original":
            continue
        with contextlib.suppress(PhotoNotFound):
            if hashlib.sha256(store.open(key)).hexdigest() != parsed.sha256:
                corrupt.append(key)
    return sorted(corrupt)


def find_incomplete(
    store: PhotoStore, *, older_than: timedelta = timedelta(hours=1), now: datetime | None = None
) -> list[IncompleteWrite]:
    """Interrupted writes older than `older_than` (younger ones may still be in progress)."""
    cutoff = (now or datetime.now(UTC)) - older_than
    return sorted(
        (item for item in store.iter_incomplete() if item.modified_at <= cutoff), key=lambda item: item.name
    )


@dataclass
class StoreCheck:
    orphans: list[str]
    missing: list[str]
    incomplete: list[IncompleteWrite]
    corrupt: list[str]
    removed: list[str] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not (self.orphans or self.missing or self.incomplete or self.corrupt)


def check_store(
    store: PhotoStore,
    known_keys: set[str],
    *,
    fix: bool = False,
    verify_hashes: bool = False,
    grace: timedelta = timedelta(hours=1),
    now: datetime | None = None,
) -> StoreCheck:
    """Compare the store with the keys the database knows.

    With `fix`, interrupted writes and orphan files older than `grace` are removed (a younger
    orphan may belong to an upload whose row is not committed yet). Missing and corrupt
    files are only reported: they are evidence problems a person must look at.
    """
    moment = now or datetime.now(UTC)
    report = StoreCheck(
        orphans=find_orphans(store, known_keys),
        missing=find_missing(store, known_keys),
        incomplete=find_incomplete(store, older_than=grace, now=moment),
        corrupt=find_corrupt(store) if verify_hashes else [],
    )
    if not fix:
        return report
    for item in report.incomplete:
        store.discard_incomplete(item.name)
        report.removed.append(item.name)
    for key in report.orphans:
        with contextlib.suppress(PhotoNotFound):
            if store.stat(key).modified_at <= moment - grace:
                store.delete(key)
                report.removed.append(key)
    return report


def photo_store(settings: Settings) -> PhotoStore:
    """The configured photo store (ECOGRID_PHOTO_STORE); callers depend on the PhotoStore protocol only."""
    if settings.photo_store == "s3":
        from ecogrid.inspections.photos.s3_store import S3PhotoStore

        return S3PhotoStore.from_settings(settings)
    return LocalPhotoStore(settings.photo_dir)
