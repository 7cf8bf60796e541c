"""Where the stages meet: open the database, resolve the week, run each stage, render the PDF.

Each function takes explicit inputs (an engine, settings, a taxonomy, a week) and returns what it
did; the CLI only parses arguments and prints these results.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from rootcause import store
from rootcause.db import make_engine, migrate, session_scope
from rootcause.errors import InputError, RootcauseError
from rootcause.ingest import IngestResult, ingest_path
from rootcause.models import ReportRun, utcnow
from rootcause.period import IsoWeek, latest_complete_week
from rootcause.resources import demo_dir, templates_dir
from rootcause.settings import Settings
from rootcause.taxonomy import Taxonomy, load_taxonomy

DEMO_FILES = (("helpdesk.csv", "helpdesk"), ("survey.jsonl", "survey"))


def open_database(settings: Settings) -> Engine:
    """An engine on the configured database, migrated to the current schema."""
    engine = make_engine(settings.database_url)
    migrate(engine)
    return engine


def taxonomy_for(settings: Settings) -> Taxonomy:
    return load_taxonomy(settings.taxonomy_path)


def resolve_week(engine: Engine, week: str | None, *, now: datetime | None = None) -> IsoWeek:
    """The week asked for, or the latest complete ISO week in the data."""
    if week:
        try:
            return IsoWeek.parse(week)
        except ValueError as exc:
            raise RootcauseError(str(exc)) from None
    with session_scope(engine) as session:
        last = store.latest_received_at(session=session)
    if last is None:
        raise RootcauseError(
            "the database holds no complaints: load some with `rootcause ingest FILE` "
            "or `rootcause demo load`"
        )
    return latest_complete_week(last, now or datetime.now(UTC))


def load_demo(engine: Engine, settings: Settings, taxonomy: Taxonomy) -> list[IngestResult]:
    """Ingest the bundled demo exports (idempotent: a second load inserts nothing)."""
    folder = demo_dir()
    results = []
    for name, source in DEMO_FILES:
        path = folder / name
        if not path.is_file():
            raise InputError(path, "demo data missing from this installation")
        results.append(
            ingest_path(path, engine=engine, settings=settings, taxonomy=taxonomy, source=source)
        )
    return results


def ensure_data(engine: Engine, settings: Settings, taxonomy: Taxonomy) -> list[IngestResult]:
    """Load the demo data only when the database is empty (what `make report` relies on)."""
    with session_scope(engine) as session:
        empty = store.count_complaints(session=session) == 0
    return load_demo(engine, settings, taxonomy) if empty else []


@dataclass(frozen=True)
class ReportOutcome:
    week: IsoWeek
    path: Path
    pages: int
    sha256: str


def default_report_path(settings: Settings, week: IsoWeek) -> Path:
    return settings.report.out_dir / f"rootcause-{week}.pdf"


def render_week(
    engine: Engine, settings: Settings, taxonomy: Taxonomy, week: IsoWeek, out: Path | None = None
) -> ReportOutcome:
    """Render the report for `week` and record the run."""
    from rootcause.report.context import build_context
    from rootcause.report.render import render_report

    out = out or default_report_path(settings, week)
    started = utcnow()
    with session_scope(engine) as session:
        context = build_context(
            session=session,
            week=week,
            taxonomy=taxonomy,
            title=settings.report.title,
            trend_weeks=settings.report.trend_weeks,
        )
    templates = settings.report.templates_dir or templates_dir()
    rendered = render_report(context, out, templates=templates)
    with session_scope(engine) as session:
        store.record_report_run(
            session=session,
            run=ReportRun(
                week=str(week),
                path=str(out),
                sha256=rendered.sha256,
                pages=rendered.pages,
                started_at=started,
                finished_at=utcnow(),
            ),
        )
    return ReportOutcome(week, out, rendered.pages, rendered.sha256)


def load_classifier(settings: Settings) -> Any:
    """The trained pipeline named in settings (the one shipped with rootcause by default)."""
    from rootcause.classify.predict import DEFAULT_MODEL, Classifier

    return Classifier(settings.classify.model_path or DEFAULT_MODEL)


@dataclass(frozen=True)
class ClassifyOutcome:
    classified: int
    needs_review: int
    model_version: str


def classify_pending(
    engine: Engine,
    settings: Settings,
    taxonomy: Taxonomy,
    *,
    classifier: Any = None,
    on_batch: Callable[[int], None] | None = None,
) -> ClassifyOutcome:
    """Classify every complaint that has no verdict yet, one committed batch at a time.

    Resumable by construction: a killed run loses at most its current batch, and the next run
    starts from what is still pending. Two workers never store two verdicts for one complaint
    (the primary key and ON CONFLICT DO NOTHING see to it).
    """
    classifier = classifier or load_classifier(settings)
    done = review = 0
    while True:
        with session_scope(engine) as session:
            batch = store.pending_complaints(session=session, limit=settings.classify.batch_size)
            if not batch:
                break
            now = utcnow()
            predictions = classifier.predict(text for _, text in batch)
            rows = [
                {"complaint_id": cid, "cause": p.cause, "confidence": p.confidence,
                 "scores": p.scores, "secondary": p.secondary, "evidence": p.evidence,
                 "needs_review": p.needs_review, "churn_risk": p.churn_risk,
                 "model_version": classifier.version, "taxonomy_version": taxonomy.version,
                 "classified_at": now}
                for (cid, _), p in zip(batch, predictions, strict=True)
            ]  # fmt: skip
            done += store.insert_classifications(session=session, rows=rows)
            review += sum(r["needs_review"] for r in rows)
        if on_batch:
            on_batch(len(batch))
    return ClassifyOutcome(done, review, classifier.version)


def run_week(
    engine: Engine, settings: Settings, taxonomy: Taxonomy, week: IsoWeek, out: Path | None = None
) -> ReportOutcome:
    """Every stage for one week: classify what is pending, then render the report.
    (Theme mining joins here as its own stage.)"""
    classify_pending(engine, settings, taxonomy)
    return render_week(engine, settings, taxonomy, week, out)
