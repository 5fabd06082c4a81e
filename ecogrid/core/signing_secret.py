"""The token signing secret when none is configured: generated once, kept in ``data_dir/secret_key``.

A fixed default secret in the code would let anyone who has read the code mint an admin token, so
a server started without ``ECOGRID_SECRET_KEY`` makes its own random secret on first start and
reuses it afterwards (tokens survive a restart). The file is readable by its owner only (0600).

Several processes may start at once (workers, a CLI command next to the server): the secret is
written completely to a private temporary file first and then linked into place, which fails if
the file already exists, so exactly one secret wins and nobody reads a half-written file.
"""

from __future__ import annotations

import os
import secrets
import stat
from pathlib import Path

from ecogrid.core.errors import InvalidInput
from ecogrid.core.settings import MIN_SECRET_LENGTH, Settings

FILE_NAME = "secret_key"


def secret_path(settings: Settings) -> Path:
    return settings.data_dir / FILE_NAME


def resolve(settings: Settings) -> Settings:
    """The settings with a signing secret: the configured one, else the stored (or new) one."""
    if settings.secret_key:
        return settings
    return settings.model_copy(update={"secret_key": load_or_create(secret_path(settings))})


def load_or_create(path: Path) -> str:
    if not path.exists():
        _create(path)
    return _read(path)


def _create(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w") as out:
            out.write(secrets.token_urlsafe(48) + "\n")
            out.flush()
            os.fsync(out.fileno())
        try:
            os.link(temporary, path)
        except FileExistsError:
            pass  # another process was first: its secret is the one
    finally:
        temporary.unlink(missing_ok=True)


def _read(path: Path) -> str:
    mode = path.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise InvalidInput(f"{path} is readable by others (mode {stat.filemode(mode)}); chmod 600 it",
                           field="secret_key")
    value = path.read_text().strip()
    if len(value) < MIN_SECRET_LENGTH:
        raise InvalidInput(f"{path} holds no usable secret (fewer than {MIN_SECRET_LENGTH} characters)",
                           field="secret_key")
    return value
