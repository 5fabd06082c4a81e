"""Copying one photo store into another (``ecogrid uploads migrate --to s3``), verified and resumable.

Every object is read from the source, written to the target and read back from the target: an
original must hash to its key, a thumbnail to the hash of its source file. Only then is its key
appended to the journal, a text file kept beside the source store. A copy cut off at any point
(Ctrl-C, a crash, a lost network) is started again with the same command: keys in the journal are
skipped, everything else is copied or, when already in the target, read back and verified again.
Keys are content hashes, so writing an object twice is harmless.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ecogrid.inspections.photos.store import PhotoNotFound, PhotoStore, parse_key

# The journal is flushed after every key and made durable every this many keys.
_SYNC_EVERY = 100


@dataclass
class CopyReport:
    copied: list[str] = field(default_factory=list)
    already_there: list[str] = field(default_factory=list)
    skipped_from_journal: int = 0
    # Source originals whose bytes do not match their hash: not copied, a person must look.
    corrupt_in_source: list[str] = field(default_factory=list)
    # Objects in the target whose bytes differ from the source: left as they are, reported.
    mismatched_in_target: list[str] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not (self.corrupt_in_source or self.mismatched_in_target)


def copy_store(source: PhotoStore, target: PhotoStore, *, journal: Path,
               on_copied: Callable[[str], None] | None = None) -> CopyReport:
    """Copy every original and thumbnail of ``source`` into ``target``; see the module docstring."""
    report = CopyReport()
    done = _read_journal(journal)
    with _Journal(journal) as log:
        for key in sorted(source.iter_keys()):
            if key in done:
                report.skipped_from_journal += 1
                continue
            outcome = _copy_one(source, target, key)
            if outcome == "corrupt":
                report.corrupt_in_source.append(key)
                continue
            if outcome == "mismatch":
                report.mismatched_in_target.append(key)
                continue
            (report.copied if outcome == "copied" else report.already_there).append(key)
            log.add(key)
            if on_copied is not None:
                on_copied(key)
    return report


def _copy_one(source: PhotoStore, target: PhotoStore, key: str) -> str:
    parsed = parse_key(key)
    data = source.open(key)
    sha = hashlib.sha256(data).hexdigest()
    if parsed.kind == "original":
        if sha != parsed.sha256:
            return "corrupt"
        created = target.put(data).created
    else:
        assert parsed.max_side is not None
        created = target.put_thumbnail(parsed.sha256, max_side=parsed.max_side, data=data).created
    try:
        readback = hashlib.sha256(target.open(key)).hexdigest()
    except PhotoNotFound:
        return "mismatch"
    if readback != sha:
        return "mismatch"
    return "copied" if created else "already"


def _read_journal(journal: Path) -> set[str]:
    try:
        lines = journal.read_text(encoding="ascii").splitlines()
    except FileNotFoundError:
        return set()
    done = set()
    for line in lines:
        # A line cut short by a crash is not a valid key and is simply done again.
        with contextlib.suppress(ValueError):
            parse_key(line)
            done.add(line)
    return done


class _Journal:
    def __init__(self, path: Path) -> None:
        self._path = path
        self._count = 0

    def __enter__(self) -> _Journal:
        self._path.parent.mkdir(parents=True, exist_ok=True)
        self._handle = self._path.open("a", encoding="ascii")
        return self

    def add(self, key: str) -> None:
        self._handle.write(key + "\n")
        self._handle.flush()
        self._count += 1
        if self._count % _SYNC_EVERY == 0:
            os.fsync(self._handle.fileno())

    def __exit__(self, *_exc: object) -> None:
        self._handle.flush()
        os.fsync(self._handle.fileno())
        self._handle.close()


def journal_path(source_root: Path, target_location: str) -> Path:
    """The journal of copying the store at ``source_root`` to ``target_location`` (one per target)."""
    name = hashlib.sha256(target_location.encode("utf-8")).hexdigest()[:16]
    return source_root / f".copied-to-{name}"

