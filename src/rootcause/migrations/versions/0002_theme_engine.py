"""theme engine: fitted embedders, and the embedder a theme centre belongs to

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import rootcause.models

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "embedderstate",
        sa.Column("id", sa.String(length=80), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("state", sa.LargeBinary(), nullable=False),
        sa.Column("fitted_week", sa.String(length=8), nullable=False),
        sa.Column("documents", sa.Integer(), nullable=False),
        sa.Column("created_at", rootcause.models.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("embedderstate", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_embedderstate_kind"), ["kind"], unique=False)
    with op.batch_alter_table("theme", schema=None) as batch_op:
        batch_op.add_column(sa.Column("centroid_embedder", sa.String(length=80), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("theme", schema=None) as batch_op:
        batch_op.drop_column("centroid_embedder")
    with op.batch_alter_table("embedderstate", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_embedderstate_kind"))
    op.drop_table("embedderstate")
