"""Shared fixtures: a fresh database per test (SQLite, and PostgreSQL when configured) and the shared data."""

from __future__ import annotations

import os

# huggingface_hub's user-agent telemetry looks up a registry on huggingface.co on the first request,
# whatever endpoint the client uses; tests reach loopback servers only.
os.environ["HF_HUB_DISABLE_TELEMETRY"] = "1"
# A Hub call that a test did not point at its own loopback server fails at once, here, instead of
# reaching the internet (tests that need the Hub start a server and pass its URL).
os.environ["HF_ENDPOINT"] = "http://127.0.0.1:9"
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from peatmoss.core import paths
from peatmoss.db import dispose_all, init_db

PG_URL = os.environ.get("PEATMOSS_TEST_PG_URL")  # e.g. postgresql+psycopg://postgres@127.0.0.1:5432/postgres
SHARED = paths.shared_data()  # $PEATMOSS_SHARED_DATA set but missing fails here, loudly


def pytest_collection_modifyitems(config, items):
    skip_shared = pytest.mark.skip(reason="shared data not found (set PEATMOSS_SHARED_DATA)")
    for item in items:
        if "shared" in item.keywords and SHARED is None:
            item.add_marker(skip_shared)


@pytest.fixture
def shared_data() -> Path:
    if SHARED is None:
        pytest.skip("shared data not found")
    return SHARED


def _pg_database() -> str:
    """Create a throw-away PostgreSQL database and return its URL."""
    name = f"peatmoss_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return PG_URL.rsplit("/", 1)[0] + "/" + name


def _drop_pg(url: str) -> None:
    dispose_all()
    name = url.rsplit("/", 1)[1]
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def new_pg_database():
    """A factory of fresh, empty PostgreSQL databases (URLs), all dropped after the test; skips (fails in CI)
    without PostgreSQL."""
    made: list[str] = []

    def make() -> str:
        if not PG_URL:
            if os.environ.get("CI"):
                pytest.fail("PEATMOSS_TEST_PG_URL is not set in CI")
            pytest.skip("PostgreSQL not configured (PEATMOSS_TEST_PG_URL)")
        made.append(_pg_database())
        return made[-1]

    yield make
    for url in made:
        _drop_pg(url)


BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(params=BACKENDS)
def db_url(request, tmp_path) -> str:
    """A fresh, migrated database URL; runs once on SQLite and once on PostgreSQL (when configured)."""
    if request.param == "postgres":
        if not PG_URL:
            if os.environ.get("CI"):
                pytest.fail("PEATMOSS_TEST_PG_URL is not set in CI")
            pytest.skip("PostgreSQL not configured (PEATMOSS_TEST_PG_URL)")
        url = _pg_database()
    else:
        url = f"sqlite:///{tmp_path / 'test.db'}"
    init_db(url)
    yield url
    if request.param == "postgres":
        _drop_pg(url)
    else:
        dispose_all()


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    """A fresh, migrated SQLite database only (for tests that need no second backend)."""
    url = f"sqlite:///{tmp_path / 'test.db'}"
    init_db(url)
    yield url
    dispose_all()
