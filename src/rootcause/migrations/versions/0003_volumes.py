"""volumes: contacts and orders per week and channel, the denominators of rates

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import rootcause.models

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "volume",
        sa.Column("week", sa.String(length=8), nullable=False),
        sa.Column("channel", sa.String(length=40), nullable=False),
        sa.Column("contacts", sa.Integer(), nullable=True),
        sa.Column("orders", sa.Integer(), nullable=True),
        sa.Column("imported_at", rootcause.models.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("week", "channel"),
    )


def downgrade() -> None:
    op.drop_table("volume")
