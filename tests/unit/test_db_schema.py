"""The migrations build exactly the schema the models declare, on SQLite and PostgreSQL, and
a schema they do not know is refused with one clear line."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text
from sqlmodel import SQLModel

import rootcause.models  # noqa: F401  (registers every table on SQLModel.metadata)
from rootcause.db import migrate
from rootcause.errors import DatabaseError


def test_db_schema_migrations_match_the_models(engine):
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
    assert diff == []


def test_db_schema_from_a_newer_rootcause_is_one_clear_error(engine):
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0099'"))
    with pytest.raises(DatabaseError, match=r"schema revision '0099' is not one this rootcause"):
        migrate(engine)


def test_db_schema_0004_fills_in_the_digest_of_stored_complaints(engine):
    from alembic import command

    from rootcause.db import _alembic_config
    from rootcause.models import text_digest

    command.downgrade(_alembic_config(engine), "0003")
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO complaint (source, text_original, text_redacted, text_hash, "
                "received_at, week, ingested_at) VALUES ('s', 'Mail ana@example.com', "
                "'Mail [EMAIL]', 'h', '2026-11-18 09:30:00', '2026-W47', '2026-11-18 09:30:00')"
            )
        )
    migrate(engine)
    with engine.connect() as conn:
        digest = conn.execute(text("SELECT text_digest FROM complaint")).scalar_one()
    assert bytes(digest) == text_digest("Mail [EMAIL]")
