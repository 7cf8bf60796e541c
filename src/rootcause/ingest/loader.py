"""Load one export into the database, one transaction per batch.

Every row read ends in exactly one of three counts: inserted, duplicate or quarantined. A batch
is committed together with its ingest-run counters, so a crash loses at most the batch under way,
and a re-run skips what is already in (as duplicates) and finishes the rest.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session

from rootcause import store
from rootcause.db import session_scope
from rootcause.errors import InputError
from rootcause.ingest.normalize import RowRules, normalise_row, plausible_range
from rootcause.ingest.problems import IngestProblem, RowRejected
from rootcause.ingest.readers import RawRow, open_source
from rootcause.redact import RedactionPolicy
from rootcause.settings import Settings
from rootcause.taxonomy import Taxonomy

log = logging.getLogger(__name__)
PROBLEMS_KEPT = 100  # problems returned to the caller; all of them are in the quarantine table


@dataclass
class IngestResult:
    path: str
    source: str
    inserted: int = 0
    duplicates: int = 0
    quarantined: int = 0
    problems: list[IngestProblem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    run_id: int | None = None

    @property
    def rows(self) -> int:
        return self.inserted + self.duplicates + self.quarantined

    def as_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "source": self.source,
            "inserted": self.inserted,
            "duplicates": self.duplicates,
            "quarantined": self.quarantined,
            "problems": [p.as_dict() for p in self.problems],
            "warnings": self.warnings,
        }


@dataclass
class _Batch:
    good: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    bad: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.good) + len(self.bad)


def _quarantine_row(
    row: RawRow,
    code: str,
    reason: str,
    *,
    source: str,
    path: str,
    run_id: int | None,
    now: datetime,
) -> dict[str, Any]:
    raw = row.raw.replace("\x00", "\\x00")
    return {
        "ingest_run_id": run_id, "source": source, "path": path, "line": row.line,
        "code": code, "message": reason, "raw": raw,
        "raw_hash": hashlib.sha1(raw.encode("utf-8", "replace")).hexdigest(),
        "created_at": now,
    }  # fmt: skip


def _write_batch(
    session: Session, batch: _Batch, result: IngestResult, now: datetime, *, finished: bool
) -> None:
    for _, row in batch.good:
        row.update(source=result.source, ingested_at=now, ingest_run_id=result.run_id)
    inserted = store.insert_complaints(session=session, rows=[r for _, r in batch.good])
    store.insert_quarantine(session=session, rows=batch.bad)
    duplicates = len(batch.good) - inserted
    assert result.run_id is not None
    store.add_to_ingest_run(
        session=session,
        run_id=result.run_id,
        inserted=inserted,
        duplicates=duplicates,
        quarantined=len(batch.bad),
        warnings=batch.warnings,
        finished=finished,
    )
    result.inserted += inserted
    result.duplicates += duplicates
    result.quarantined += len(batch.bad)


def ingest_path(
    path: Path,
    *,
    engine: Engine,
    settings: Settings,
    taxonomy: Taxonomy,
    source: str | None = None,
    column_map: Mapping[str, str] | None = None,
    encoding: str | None = None,
    strict: bool = False,
    now: datetime | None = None,
    on_bytes: Callable[[int], None] | None = None,
) -> IngestResult:
    """Ingest one CSV or JSON Lines file; raise InputError if the file cannot be used at all.

    With `strict`, the whole file is one transaction and the first bad row aborts it (nothing
    is loaded); otherwise bad rows go to the quarantine and the rest is loaded batch by batch.
    """
    now = now or datetime.now(UTC)
    opened = open_source(path, column_map=column_map, encoding=encoding, on_bytes=on_bytes)
    source_name = (source or path.name.split(".")[0]).strip()[:100] or "default"
    result = IngestResult(path=str(path), source=source_name)
    earliest, latest = plausible_range(
        settings.ingest.earliest_year, settings.ingest.max_future_days, now
    )
    rules = RowRules(
        max_text_chars=settings.ingest.max_text_chars, earliest=earliest, latest=latest,
        redaction=RedactionPolicy(mask_order_numbers=taxonomy.mask_order_numbers),
    )  # fmt: skip
    default_date: datetime | None = None
    if opened.file_format == "csv" and "received_at" not in opened.columns:
        default_date = now
        opened.warnings.append(
            f"{path}: no 'received_at' column; every row is dated now ({now:%Y-%m-%d}). "
            "Map one with --column received_at=NAME"
        )
    with session_scope(engine) as session:
        run = store.start_ingest_run(
            session=session,
            source=source_name,
            path=str(path),
            file_format=opened.file_format,
            encoding=opened.encoding,
        )
        result.run_id = run.id

    strict_session = Session(engine, expire_on_commit=False) if strict else None
    batch = _Batch()
    try:
        for raw in opened.rows:
            row_warnings: list[str] = []
            try:
                if raw.problem:
                    raise RowRejected(*raw.problem)
                record = normalise_row(
                    raw.values, rules=rules, default_received_at=default_date, warnings=row_warnings
                )
            except RowRejected as rej:
                problem = IngestProblem(str(path), raw.line, rej.code, rej.reason)
                if strict:
                    raise InputError(
                        path, f"{rej.reason} [{rej.code}] (--strict: nothing loaded)", line=raw.line
                    ) from None
                if len(result.problems) < PROBLEMS_KEPT:
                    result.problems.append(problem)
                batch.bad.append(
                    _quarantine_row(
                        raw,
                        rej.code,
                        rej.reason,
                        source=source_name,
                        path=str(path),
                        run_id=result.run_id,
                        now=now,
                    )
                )
            else:
                batch.good.append((raw.line, record))
                batch.warnings.extend(f"{path}: line {raw.line}: {w}" for w in row_warnings)
            if len(batch) >= settings.ingest.batch_size:
                _flush(engine, strict_session, batch, result, now)
                batch = _Batch()
    except InputError:
        # The rest of the file is unreadable (a corrupt gzip tail, a broken UTF-16 pair): keep
        # the rows already read, so a re-run on the repaired file counts them as duplicates.
        # (--strict loads nothing of a file it cannot finish.)
        if strict_session is None:
            _flush(engine, None, batch, result, now)
        raise
    else:
        _flush(engine, strict_session, batch, result, now, finished=True)
        if strict_session is not None:
            strict_session.commit()
    finally:
        if strict_session is not None:
            strict_session.close()
    if opened.warnings:
        result.warnings[:0] = opened.warnings
        with session_scope(engine) as session:
            store.add_to_ingest_run(
                session=session,
                run_id=run.id or 0,
                inserted=0,
                duplicates=0,
                quarantined=0,
                warnings=opened.warnings,
            )
    return result


def _flush(
    engine: Engine,
    strict_session: Session | None,
    batch: _Batch,
    result: IngestResult,
    now: datetime,
    *,
    finished: bool = False,
) -> None:
    """Write a batch: into the file's one transaction with --strict, else in its own."""
    if strict_session is not None:
        _write_batch(strict_session, batch, result, now, finished=finished)
    else:
        with session_scope(engine) as session:
            _write_batch(session, batch, result, now, finished=finished)
    result.warnings.extend(batch.warnings[: max(0, PROBLEMS_KEPT - len(result.warnings))])
