from __future__ import annotations

import pytest
from pydantic import ValidationError

from ecogrid.core.settings import Settings


def test_production_refuses_the_default_secret():
    with pytest.raises(ValidationError, match="ECOGRID_SECRET_KEY"):
        Settings(mode="production")


def test_production_accepts_a_long_random_secret():
    assert Settings(mode="production", secret_key="x" * 40).mode == "production"


def test_database_url_is_read_from_the_environment(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql://u:p@db/eco")
    assert Settings().database_url == "postgresql://u:p@db/eco"
    assert not Settings().embedded


def test_base_map_must_be_a_known_provider():
    assert Settings(base_map="gaode").base_map == "gaode"
    with pytest.raises(ValidationError, match="unknown base map"):
        Settings(base_map="gcj02")
