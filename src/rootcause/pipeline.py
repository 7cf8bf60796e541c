"""Where the stages meet: open the database, resolve the week, run each stage, render the PDF.

Each function takes explicit inputs (an engine, settings, a taxonomy, a week) and returns what it
did; the CLI only parses arguments and prints these results.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

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


def run_week(
    engine: Engine, settings: Settings, taxonomy: Taxonomy, week: IsoWeek, out: Path | None = None
) -> ReportOutcome:
    """Every stage for one week. Today: the report; classification and themes join it as
    they are built, each reading what is pending in the database."""
    return render_week(engine, settings, taxonomy, week, out)
