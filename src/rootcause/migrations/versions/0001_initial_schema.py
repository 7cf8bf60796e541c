"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import rootcause.models

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "ingestrun",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=100), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("file_format", sa.String(length=20), nullable=False),
        sa.Column("encoding", sa.String(length=20), nullable=False),
        sa.Column("started_at", rootcause.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", rootcause.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("rows_read", sa.Integer(), nullable=False),
        sa.Column("inserted", sa.Integer(), nullable=False),
        sa.Column("duplicates", sa.Integer(), nullable=False),
        sa.Column("quarantined", sa.Integer(), nullable=False),
        sa.Column("warnings", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("ingestrun", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ingestrun_source"), ["source"], unique=False)

    op.create_table(
        "modelversion",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("metrics", sa.JSON(), nullable=False),
        sa.Column("created_at", rootcause.models.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("modelversion", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_modelversion_kind"), ["kind"], unique=False)

    op.create_table(
        "reportrun",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("week", sa.String(length=8), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("pages", sa.Integer(), nullable=True),
        sa.Column("started_at", rootcause.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", rootcause.models.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "theme",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("label_locked", sa.Boolean(), nullable=False),
        sa.Column("keywords", sa.JSON(), nullable=False),
        sa.Column("centroid", sa.LargeBinary(), nullable=True),
        sa.Column("first_seen_week", sa.String(length=8), nullable=False),
        sa.Column("last_seen_week", sa.String(length=8), nullable=False),
        sa.Column("merged_into_id", sa.Integer(), nullable=True),
        sa.Column("created_at", rootcause.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", rootcause.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["merged_into_id"],
            ["theme.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "complaint",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=100), nullable=False),
        sa.Column("external_id", sa.String(length=200), nullable=True),
        sa.Column("text_original", sa.Text(), nullable=False),
        sa.Column("text_redacted", sa.Text(), nullable=False),
        sa.Column("text_hash", sa.String(length=40), nullable=False),
        sa.Column("received_at", rootcause.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("week", sa.String(length=8), nullable=False),
        sa.Column("channel", sa.String(length=40), nullable=True),
        sa.Column("customer_id", sa.String(length=200), nullable=True),
        sa.Column("order_id", sa.String(length=200), nullable=True),
        sa.Column("agent_id", sa.String(length=200), nullable=True),
        sa.Column("product", sa.String(length=200), nullable=True),
        sa.Column("first_response_at", rootcause.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("resolved_at", rootcause.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("ingested_at", rootcause.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ingest_run_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["ingest_run_id"],
            ["ingestrun.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("source", "external_id", name="uq_complaint_source_external_id"),
        sa.UniqueConstraint("source", "text_hash", name="uq_complaint_source_text_hash"),
    )
    with op.batch_alter_table("complaint", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_complaint_customer_id"), ["customer_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_complaint_received_at"), ["received_at"], unique=False)
        batch_op.create_index("ix_complaint_week_channel", ["week", "channel"], unique=False)

    op.create_table(
        "fix",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("owner", sa.String(length=200), nullable=False),
        sa.Column("theme_id", sa.Integer(), nullable=True),
        sa.Column("cause", sa.String(length=40), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("success_criterion", sa.String(length=500), nullable=False),
        sa.Column("due", sa.Date(), nullable=True),
        sa.Column("shipped", sa.Date(), nullable=True),
        sa.Column("created_at", rootcause.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", rootcause.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["theme_id"],
            ["theme.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("fix", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_fix_owner"), ["owner"], unique=False)
        batch_op.create_index(batch_op.f("ix_fix_theme_id"), ["theme_id"], unique=False)

    op.create_table(
        "quarantine",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ingest_run_id", sa.Integer(), nullable=True),
        sa.Column("source", sa.String(length=100), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("line", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("raw", sa.Text(), nullable=False),
        sa.Column("raw_hash", sa.String(length=40), nullable=False),
        sa.Column("created_at", rootcause.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["ingest_run_id"],
            ["ingestrun.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("source", "line", "raw_hash", name="uq_quarantine_source_line_raw"),
    )
    with op.batch_alter_table("quarantine", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_quarantine_code"), ["code"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_quarantine_ingest_run_id"), ["ingest_run_id"], unique=False
        )

    op.create_table(
        "classification",
        sa.Column("complaint_id", sa.Integer(), nullable=False),
        sa.Column("cause", sa.String(length=40), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("scores", sa.JSON(), nullable=False),
        sa.Column("secondary", sa.JSON(), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("needs_review", sa.Boolean(), nullable=False),
        sa.Column("churn_risk", sa.Boolean(), nullable=False),
        sa.Column("model_version", sa.String(length=40), nullable=False),
        sa.Column("taxonomy_version", sa.String(length=40), nullable=False),
        sa.Column("classified_at", rootcause.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["complaint_id"],
            ["complaint.id"],
        ),
        sa.PrimaryKeyConstraint("complaint_id"),
    )
    with op.batch_alter_table("classification", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_classification_cause"), ["cause"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_classification_needs_review"), ["needs_review"], unique=False
        )

    op.create_table(
        "embedding",
        sa.Column("complaint_id", sa.Integer(), nullable=False),
        sa.Column("embedder", sa.String(length=80), nullable=False),
        sa.Column("vector", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["complaint_id"],
            ["complaint.id"],
        ),
        sa.PrimaryKeyConstraint("complaint_id", "embedder"),
    )
    op.create_table(
        "fixevent",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("fix_id", sa.Integer(), nullable=False),
        sa.Column("at", rootcause.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["fix_id"],
            ["fix.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("fixevent", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_fixevent_fix_id"), ["fix_id"], unique=False)

    op.create_table(
        "label",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("complaint_id", sa.Integer(), nullable=False),
        sa.Column("cause", sa.String(length=40), nullable=False),
        sa.Column("author", sa.String(length=100), nullable=False),
        sa.Column("origin", sa.String(length=40), nullable=False),
        sa.Column("created_at", rootcause.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["complaint_id"],
            ["complaint.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("label", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_label_complaint_id"), ["complaint_id"], unique=False)

    op.create_table(
        "themeassignment",
        sa.Column("complaint_id", sa.Integer(), nullable=False),
        sa.Column("theme_id", sa.Integer(), nullable=True),
        sa.Column("probability", sa.Float(), nullable=False),
        sa.Column("window_end_week", sa.String(length=8), nullable=False),
        sa.Column("assigned_at", rootcause.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["complaint_id"],
            ["complaint.id"],
        ),
        sa.ForeignKeyConstraint(
            ["theme_id"],
            ["theme.id"],
        ),
        sa.PrimaryKeyConstraint("complaint_id"),
    )
    with op.batch_alter_table("themeassignment", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_themeassignment_theme_id"), ["theme_id"], unique=False)


def downgrade() -> None:

    with op.batch_alter_table("themeassignment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_themeassignment_theme_id"))

    op.drop_table("themeassignment")
    with op.batch_alter_table("label", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_label_complaint_id"))

    op.drop_table("label")
    with op.batch_alter_table("fixevent", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_fixevent_fix_id"))

    op.drop_table("fixevent")
    op.drop_table("embedding")
    with op.batch_alter_table("classification", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_classification_needs_review"))
        batch_op.drop_index(batch_op.f("ix_classification_cause"))

    op.drop_table("classification")
    with op.batch_alter_table("quarantine", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_quarantine_ingest_run_id"))
        batch_op.drop_index(batch_op.f("ix_quarantine_code"))

    op.drop_table("quarantine")
    with op.batch_alter_table("fix", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_fix_theme_id"))
        batch_op.drop_index(batch_op.f("ix_fix_owner"))

    op.drop_table("fix")
    with op.batch_alter_table("complaint", schema=None) as batch_op:
        batch_op.drop_index("ix_complaint_week_channel")
        batch_op.drop_index(batch_op.f("ix_complaint_received_at"))
        batch_op.drop_index(batch_op.f("ix_complaint_customer_id"))

    op.drop_table("complaint")
    op.drop_table("theme")
    op.drop_table("reportrun")
    with op.batch_alter_table("modelversion", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_modelversion_kind"))

    op.drop_table("modelversion")
    with op.batch_alter_table("ingestrun", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ingestrun_source"))

    op.drop_table("ingestrun")
