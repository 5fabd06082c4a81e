"""No built-in signing secret: a server started without one generates its own, keeps it private, reuses it."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jwt
import pytest
from pydantic import ValidationError

from ecogrid.core import signing_secret
from ecogrid.core.errors import InvalidInput
from ecogrid.core.settings import DEFAULT_SECRET, Settings
from tests.security.sign_in_support import api_sign_in, client_on

ROOT = Path(__file__).resolve().parents[2]


def default_settings(data_dir: Path, monkeypatch) -> Settings:
    """What ``ecogrid serve`` reads when the operator configured nothing about secrets."""
    monkeypatch.delenv("ECOGRID_SECRET_KEY", raising=False)
    monkeypatch.delenv("ECOGRID_MODE", raising=False)
    return Settings(_env_file=None, data_dir=data_dir, database_url="postgresql+psycopg://unused/unused")


def test_a_default_server_refuses_a_token_signed_with_the_old_public_secret(db, engine, make_user, tmp_path,
                                                                             monkeypatch):
    admin = make_user("admin", username="root-admin")
    forged = jwt.encode({"sub": str(admin.id), "role": "admin", "ver": 0,
                         "exp": datetime.now(UTC) + timedelta(hours=1)}, DEFAULT_SECRET, algorithm="HS256")
    with client_on(db, engine, default_settings(tmp_path / "var", monkeypatch)) as client:
        assert client.get("/api/v1/users", headers={"Authorization": f"Bearer {forged}"}).status_code == 401
        # The server still works: a real sign-in gets a token it accepts.
        token = api_sign_in(client, "root-admin").json()["access_token"]
        assert client.get("/api/v1/users", headers={"Authorization": f"Bearer {token}"}).status_code == 200


def test_the_generated_secret_is_private_and_reused_on_the_next_start(db, engine, make_user, tmp_path, monkeypatch):
    make_user("chief", username="restart-chief")
    settings = default_settings(tmp_path / "var", monkeypatch)
    with client_on(db, engine, settings) as first:
        token = api_sign_in(first, "restart-chief").json()["access_token"]
    path = tmp_path / "var" / "secret_key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    stored = path.read_text().strip()
    assert len(stored) >= 32 and stored != DEFAULT_SECRET
    with client_on(db, engine, default_settings(tmp_path / "var", monkeypatch)) as second:
        assert second.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    assert path.read_text().strip() == stored
    # Another data folder is another installation: its own secret, and the token means nothing there.
    with client_on(db, engine, default_settings(tmp_path / "other", monkeypatch)) as elsewhere:
        assert elsewhere.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_processes_starting_at_once_agree_on_one_secret(tmp_path):
    code = "import sys; from pathlib import Path; from ecogrid.core import signing_secret; " \
           "print(signing_secret.load_or_create(Path(sys.argv[1])))"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    target = tmp_path / "var" / "secret_key"
    starts = [subprocess.Popen([sys.executable, "-c", code, str(target)], stdout=subprocess.PIPE, text=True, env=env)
              for _ in range(6)]
    answers = {p.communicate(timeout=60)[0].strip() for p in starts}
    assert all(p.returncode == 0 for p in starts)
    assert answers == {target.read_text().strip()}
    assert [p.name for p in target.parent.iterdir()] == ["secret_key"]  # no temporary files left behind


def test_a_configured_secret_is_used_and_nothing_is_written(tmp_path, monkeypatch):
    monkeypatch.setenv("ECOGRID_SECRET_KEY", "s" * 40)
    settings = signing_secret.resolve(Settings(_env_file=None, data_dir=tmp_path / "var"))
    assert settings.secret_key == "s" * 40
    assert not (tmp_path / "var" / "secret_key").exists()


def test_a_secret_file_others_can_read_is_refused(tmp_path):
    path = tmp_path / "secret_key"
    signing_secret.load_or_create(path)
    path.chmod(0o644)
    with pytest.raises(InvalidInput, match="chmod 600"):
        signing_secret.load_or_create(path)


def test_production_refuses_a_missing_or_weak_secret_and_everyone_refuses_the_public_one(tmp_path, monkeypatch):
    monkeypatch.delenv("ECOGRID_SECRET_KEY", raising=False)
    with pytest.raises(ValidationError, match="ECOGRID_SECRET_KEY"):
        Settings(_env_file=None, mode="production", data_dir=tmp_path)
    with pytest.raises(ValidationError, match="ECOGRID_SECRET_KEY"):
        Settings(_env_file=None, mode="production", secret_key="short-secret")
    with pytest.raises(ValidationError, match="publicly known"):
        Settings(_env_file=None, secret_key=DEFAULT_SECRET)
    assert not (tmp_path / "secret_key").exists()
