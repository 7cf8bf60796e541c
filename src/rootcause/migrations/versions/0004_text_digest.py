"""text_digest: each complaint's 16-byte digest of its redacted text, for theme de-duplication

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07

The theme miner de-duplicates a window by this digest; it had hashed every window text on every
run. Existing complaints are filled in here, a batch at a time; an index on (week, id, digest) lets
the miner read a window without touching the wide complaint rows.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from rootcause.models import text_digest

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_BATCH = 20_000


def upgrade() -> None:
    op.add_column("complaint", sa.Column("text_digest", sa.LargeBinary(), nullable=True))
    conn = op.get_bind()
    complaint = sa.table(
        "complaint", sa.column("id", sa.Integer), sa.column("text_redacted", sa.Text),
        sa.column("text_digest", sa.LargeBinary),
    )  # fmt: skip
    update = (
        sa.update(complaint)
        .where(complaint.c.id == sa.bindparam("cid"))
        .values(text_digest=sa.bindparam("digest"))
    )
    after = 0
    while True:
        rows = conn.execute(
            sa.select(complaint.c.id, complaint.c.text_redacted)
            .where(complaint.c.id > after)
            .order_by(complaint.c.id)
            .limit(_BATCH)
        ).all()
        if not rows:
            break
        conn.execute(update, [{"cid": i, "digest": text_digest(t)} for i, t in rows])
        after = rows[-1][0]
    op.create_index("ix_complaint_week_digest", "complaint", ["week", "id", "text_digest"])


def downgrade() -> None:
    op.drop_index("ix_complaint_week_digest", table_name="complaint")
    with op.batch_alter_table("complaint") as batch:
        batch.drop_column("text_digest")
