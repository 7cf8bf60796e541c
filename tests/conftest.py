"""Shared fixtures: settings on a temporary database (SQLite, and PostgreSQL when CI gives one).

Database fixtures are parametrised over both backends; the PostgreSQL case runs when
ROOTCAUSE_TEST_POSTGRES_URL names a server (CI starts one on 127.0.0.1) and is skipped otherwise.
Each PostgreSQL test gets a database of its own, created and dropped around it.
"""

from __future__ import annotations

import contextlib
import os
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from rootcause.settings import Settings, load_settings
from rootcause.taxonomy import Taxonomy, load_taxonomy
from tests import socket_guard

PG_URL = os.environ.get("ROOTCAUSE_TEST_POSTGRES_URL")
REPO = Path(__file__).resolve().parent.parent


def _allowed_addresses() -> set[tuple[str, int]]:
    if not PG_URL:
        return set()
    url = make_url(PG_URL)
    host, port = url.host or "127.0.0.1", url.port or 5432
    addresses = {(host, port)}
    with contextlib.suppress(OSError):
        addresses |= {(info[4][0], port) for info in socket.getaddrinfo(host, port)}
    return addresses


@pytest.fixture(scope="session", autouse=True)
def no_network() -> Iterator[None]:
    """Fail any test that connects anywhere but the test PostgreSQL (tests/socket_guard.py)."""
    uninstall = socket_guard.install(_allowed_addresses())
    yield
    uninstall()


@pytest.fixture(scope="session")
def taxonomy() -> Taxonomy:
    return load_taxonomy()


def _pg_database() -> Iterator[str]:
    assert PG_URL
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    name = f"rootcause_test_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


# Both databases a database test runs on; PostgreSQL only when CI (or you) gives a server.
DATABASES = [
    "sqlite",
    pytest.param("postgres", marks=[
        pytest.mark.postgres,
        pytest.mark.skipif(not PG_URL, reason="ROOTCAUSE_TEST_POSTGRES_URL not set"),
    ]),
]  # fmt: skip


@pytest.fixture(params=DATABASES)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'rootcause.db'}"
    else:
        yield from _pg_database()


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    return load_settings(
        {"database_url": db_url, "report": {"out_dir": str(tmp_path / "out")}},
        environ={},
        cwd=tmp_path,
    )


@pytest.fixture
def engine(settings: Settings) -> Iterator[Engine]:
    from rootcause.pipeline import open_database

    eng = open_database(settings)
    yield eng
    eng.dispose()


@pytest.fixture
def cli_env(db_url: str, tmp_path: Path) -> dict[str, str]:
    """Environment for running the CLI against the test database, with no user config."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ROOTCAUSE_")}
    env["ROOTCAUSE_DATABASE_URL"] = db_url
    env["ROOTCAUSE_REPORT__OUT_DIR"] = str(tmp_path / "out")
    return env
