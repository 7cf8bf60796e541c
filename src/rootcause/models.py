"""The database tables, one SQLModel class each, and the enums they use.

Timestamps are stored as UTC and always come back timezone-aware (`UTCDateTime`), on SQLite as on
PostgreSQL. Each complaint also stores its ISO week (`2026-W47`), because every report question is
"per week" and an indexed column answers it the same way on both databases.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from enum import StrEnum
from hashlib import blake2b
from typing import Any

from sqlalchemy import JSON, Column, DateTime, Index, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp that is stored in UTC and read back timezone-aware on every database."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _ts(*, index: bool = False, nullable: bool = True) -> Any:
    return Field(default=None, sa_column=Column(UTCDateTime(), index=index, nullable=nullable))


def _json(default: Any) -> Any:
    return Field(default_factory=default, sa_column=Column(JSON, nullable=False))


class FixStatus(StrEnum):
    proposed = "proposed"
    in_progress = "in_progress"
    shipped = "shipped"
    verified = "verified"
    ineffective = "ineffective"
    abandoned = "abandoned"
    reopened = "reopened"


def text_digest(text_redacted: str) -> bytes:
    """16 bytes that tell one redacted text from another. Stored with each complaint at ingest,
    so the theme miner de-duplicates a window of a million complaints by reading 16 bytes each
    instead of their texts. (Not `text_hash`: that ignores case and spacing, and is per source.)
    """
    return blake2b(text_redacted.encode(), digest_size=16).digest()


class IngestRun(SQLModel, table=True):
    """One `rootcause ingest` of one file; counts are updated with each committed batch."""

    id: int | None = Field(default=None, primary_key=True)
    source: str = Field(max_length=100, index=True)
    path: str = Field(sa_column=Column(Text, nullable=False))
    file_format: str = Field(max_length=20)
    encoding: str = Field(max_length=20)
    started_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    finished_at: datetime | None = _ts()
    rows_read: int = 0
    inserted: int = 0
    duplicates: int = 0
    quarantined: int = 0
    warnings: list[str] = _json(list)


class Complaint(SQLModel, table=True):
    __table_args__ = (
        UniqueConstraint("source", "external_id", name="uq_complaint_source_external_id"),
        UniqueConstraint("source", "text_hash", name="uq_complaint_source_text_hash"),
        Index("ix_complaint_week_channel", "week", "channel"),
        # Covers the theme miner's read of a window (id, week, digest) without the wide rows,
        # and hands the window's ids out in id order, so joins to the verdicts and assignments
        # walk those tables in order. On a 1.2M-complaint window (warm cache): the miner's read
        # 7.0 s -> 1.1 s, the report's theme tally 7 s -> 4 s.
        Index("ix_complaint_week_digest", "week", "id", "text_digest"),
    )

    id: int | None = Field(default=None, primary_key=True)
    source: str = Field(max_length=100)
    external_id: str | None = Field(default=None, max_length=200)
    text_original: str = Field(sa_column=Column(Text, nullable=False))
    text_redacted: str = Field(sa_column=Column(Text, nullable=False))
    text_hash: str = Field(max_length=40)
    # `text_digest(text_redacted)`: themes tell repeated texts apart by it, without reading them
    text_digest: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    received_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False, index=True))
    week: str = Field(max_length=8)  # indexed with channel, below
    channel: str | None = Field(default=None, max_length=40)
    customer_id: str | None = Field(default=None, max_length=200, index=True)
    order_id: str | None = Field(default=None, max_length=200)
    agent_id: str | None = Field(default=None, max_length=200)
    product: str | None = Field(default=None, max_length=200)
    first_response_at: datetime | None = _ts()
    resolved_at: datetime | None = _ts()
    ingested_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    ingest_run_id: int | None = Field(default=None, foreign_key="ingestrun.id")


class Quarantine(SQLModel, table=True):
    """A rejected input row, kept verbatim with the reason, so nothing is silently dropped."""

    __table_args__ = (
        UniqueConstraint("source", "line", "raw_hash", name="uq_quarantine_source_line_raw"),
    )

    id: int | None = Field(default=None, primary_key=True)
    ingest_run_id: int | None = Field(default=None, foreign_key="ingestrun.id", index=True)
    source: str = Field(max_length=100)
    path: str = Field(sa_column=Column(Text, nullable=False))
    line: int
    code: str = Field(max_length=40, index=True)
    message: str = Field(sa_column=Column(Text, nullable=False))
    raw: str = Field(sa_column=Column(Text, nullable=False))
    raw_hash: str = Field(max_length=40)
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class Classification(SQLModel, table=True):
    """The model's verdict on one complaint; a human `Label` overrides it."""

    complaint_id: int = Field(foreign_key="complaint.id", primary_key=True)
    cause: str = Field(max_length=40, index=True)
    confidence: float
    scores: dict[str, float] = _json(dict)
    secondary: list[str] = _json(list)
    evidence: list[dict[str, Any]] = _json(list)
    needs_review: bool = Field(default=False, index=True)
    churn_risk: bool = False
    model_version: str = Field(max_length=40)
    taxonomy_version: str = Field(max_length=40)
    classified_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class Label(SQLModel, table=True):
    """A cause set by a person; the newest label for a complaint wins over the model."""

    id: int | None = Field(default=None, primary_key=True)
    complaint_id: int = Field(foreign_key="complaint.id", index=True)
    cause: str = Field(max_length=40)
    author: str = Field(max_length=100)
    origin: str = Field(default="cli", max_length=40)
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class Theme(SQLModel, table=True):
    """A recurring failure with an id and a label that survive refits."""

    id: int | None = Field(default=None, primary_key=True)
    label: str = Field(max_length=200)
    label_locked: bool = False
    keywords: list[str] = _json(list)
    centroid: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    # Which embedder's space `centroid` lives in: a centre from another embedder is not comparable.
    centroid_embedder: str | None = Field(default=None, max_length=80)
    first_seen_week: str = Field(max_length=8)
    last_seen_week: str = Field(max_length=8)
    merged_into_id: int | None = Field(default=None, foreign_key="theme.id")
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    updated_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class ThemeAssignment(SQLModel, table=True):
    complaint_id: int = Field(foreign_key="complaint.id", primary_key=True)
    theme_id: int | None = Field(default=None, foreign_key="theme.id", index=True)
    probability: float = 0.0
    window_end_week: str = Field(max_length=8)
    assigned_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class Embedding(SQLModel, table=True):
    """Cached document vectors, so a weekly run embeds only the new complaints."""

    complaint_id: int = Field(foreign_key="complaint.id", primary_key=True)
    embedder: str = Field(max_length=80, primary_key=True)
    vector: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class EmbedderState(SQLModel, table=True):
    """A fitted embedder (e.g. TF-IDF + SVD), so cached vectors stay valid between weekly runs.

    `id` is a hash of the fitted state and is the `embedder` key of the cached `Embedding` rows.
    """

    id: str = Field(primary_key=True, max_length=80)
    kind: str = Field(max_length=40, index=True)
    params: dict[str, Any] = _json(dict)
    state: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    fitted_week: str = Field(max_length=8)
    documents: int = 0
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class Fix(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    title: str = Field(max_length=300)
    description: str = Field(default="", sa_column=Column(Text, nullable=False))
    owner: str = Field(max_length=200, index=True)
    theme_id: int | None = Field(default=None, foreign_key="theme.id", index=True)
    cause: str | None = Field(default=None, max_length=40)
    # A plain string, not a database enum: adding a status must not need an ALTER TYPE.
    status: str = Field(
        default=FixStatus.proposed.value, sa_column=Column(String(20), nullable=False)
    )
    success_criterion: str = Field(default="", max_length=500)
    due: date | None = None
    shipped: date | None = None
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    updated_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class FixEvent(SQLModel, table=True):
    """Who changed what on a fix, and when."""

    id: int | None = Field(default=None, primary_key=True)
    fix_id: int = Field(foreign_key="fix.id", index=True)
    at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    actor: str = Field(max_length=100)
    action: str = Field(max_length=40)
    details: dict[str, Any] = _json(dict)


class Volume(SQLModel, table=True):
    """Denominators for rates: contacts and orders per ISO week and channel (`volumes import`)."""

    week: str = Field(max_length=8, primary_key=True)
    channel: str = Field(max_length=40, primary_key=True)  # "" when the file has no channel
    contacts: int | None = None
    orders: int | None = None
    imported_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class ReportRun(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    week: str = Field(max_length=8)  # indexed with channel, below
    path: str = Field(sa_column=Column(Text, nullable=False))
    sha256: str | None = Field(default=None, max_length=64)
    pages: int | None = None
    started_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    finished_at: datetime | None = _ts()


class ModelVersion(SQLModel, table=True):
    """A classifier, embedder or taxonomy version that produced stored results."""

    id: str = Field(primary_key=True, max_length=40)
    kind: str = Field(max_length=20, index=True)
    path: str = Field(default="", sa_column=Column(Text, nullable=False))
    metrics: dict[str, Any] = _json(dict)
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
