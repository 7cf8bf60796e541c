"""Where the stages meet: open the database, resolve the week, run each stage, render the PDF.

Each function takes explicit inputs (an engine, settings, a taxonomy, a week) and returns what it
did; the CLI only parses arguments and prints these results.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
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
    volumes = folder / "volumes.csv"
    if volumes.is_file():  # the demo's denominators: contacts and orders per week and channel
        from rootcause.volumes import import_volumes

        with session_scope(engine) as session:
            import_volumes(volumes, session=session)
    return results


def ensure_data(engine: Engine, settings: Settings, taxonomy: Taxonomy) -> list[IngestResult]:
    """Load the demo data only when the database is empty (what `make report` relies on)."""
    with session_scope(engine) as session:
        empty = store.count_complaints(session=session) == 0
    return load_demo(engine, settings, taxonomy) if empty else []


def is_demo_database(engine: Engine) -> bool:
    """True when the database holds the bundled demo data and nothing else."""
    with session_scope(engine) as session:
        sources = set(store.source_counts(session=session))
    return sources == {source for _, source in DEMO_FILES}


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
    from rootcause.themes import week_summary

    out = out or default_report_path(settings, week)
    started = utcnow()
    themes = week_summary(engine, settings, week)
    # A mined theme window over the trend's weeks has counted the causes per week already: a
    # second pass over the window's verdicts cost 2-3 s at 1.2M complaints.
    trend = tuple(str(w) for w in week.window(settings.report.trend_weeks))
    by_cause = themes.week_causes if themes.mined and themes.weeks == trend else None
    with session_scope(engine) as session:
        context = build_context(
            session=session,
            week=week,
            taxonomy=taxonomy,
            title=settings.report.title,
            trend_weeks=settings.report.trend_weeks,
            by_cause=by_cause,
        )
    context = _with_later_stages(engine, settings, taxonomy, week, context, themes)
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


def _model_meta(settings: Settings) -> dict[str, Any]:
    import json

    from rootcause.classify.predict import DEFAULT_MODEL
    from rootcause.classify.train import META_FILE

    path = (settings.classify.model_path or DEFAULT_MODEL) / META_FILE
    return dict(json.loads(path.read_text())) if path.is_file() else {}


def _with_later_stages(
    engine: Engine,
    settings: Settings,
    taxonomy: Taxonomy,
    week: IsoWeek,
    context: Any,
    themes: Any,
) -> Any:
    """Add what the themes (`themes`: the week's summary) and fixes stages stored for `week`,
    and the summary written from it all. A stage that has not run leaves its sections out
    (the report says so)."""
    from dataclasses import replace

    from rootcause.report import kpis
    from rootcause.report.summary import summarise
    from rootcause.themes import themes_by_cause

    meta = _model_meta(settings)
    extra: dict[str, Any] = {}
    if meta:
        test = meta.get("test", {})
        extra["model_eval"] = {
            "version": meta.get("version"), "accuracy": test.get("accuracy", 0.0),
            "macro_f1": test.get("macro_f1", 0.0), "n": test.get("n", 0),
            "ece": meta.get("ece_test_after", 0.0),
        }  # fmt: skip
        extra["review_threshold"] = meta.get("review_threshold")
    if themes.mined and themes.themes:
        extra["themes"] = list(themes.themes)
        extra["theme_window"] = themes
        extra["themes_by_cause"] = themes_by_cause(list(themes.themes), top=3)
        with session_scope(engine) as session:
            extra["theme_splits"] = {
                t.id: kpis.theme_split(session=session, theme_id=t.id, weeks=themes.weeks)
                for t in themes.themes[:3]
            }
    extra.update(_fix_sections(engine, settings, taxonomy, week, themes))
    context = replace(context, **extra)
    return replace(context, summary=summarise(context))


def _fix_sections(
    engine: Engine, settings: Settings, taxonomy: Taxonomy, week: IsoWeek, themes: Any
) -> dict[str, Any]:
    """The fix register, verdicts, unowned growing themes and the ship-date markers."""
    from rootcause.fixes import VERDICT_RULES, fix_effects, fix_register, unowned_growing_themes
    from rootcause.fixes.suggest import main_cause

    labels = {c.name: c.label for c in taxonomy.causes}
    register = fix_register(engine, week)
    effects = fix_effects(engine, week)  # per order when `volumes import` gave every week's orders
    cause_of = {t.id: main_cause(t.causes, taxonomy.cause_names) for t in themes.themes}
    markers: dict[str, list[tuple[str, str]]] = {}
    theme_fixes: dict[int, str] = {}
    for row in [*register, *(e.fix for e in effects)]:
        if row.theme_id is not None:
            theme_fixes.setdefault(row.theme_id, f"#{row.id} {row.status.replace('_', ' ')}")
    for e in effects:
        cause = e.fix.cause or cause_of.get(e.fix.theme_id or -1)
        if cause in labels:
            markers.setdefault(labels[cause], []).append((e.effect.ship_week, f"#{e.fix.id}"))
    unowned = (
        unowned_growing_themes(engine, settings, week, taxonomy=taxonomy, themes=themes.themes)
        if themes.mined
        else []
    )
    return {
        "fix_register": register, "fix_effects": effects, "unowned_themes": unowned,
        "fix_markers": markers, "theme_fixes": theme_fixes, "fix_rule": VERDICT_RULES,
    }  # fmt: skip


def load_classifier(settings: Settings) -> Any:
    """The trained pipeline named in settings (the one shipped with rootcause by default)."""
    from rootcause.classify.predict import DEFAULT_MODEL, Classifier

    return Classifier(settings.classify.model_path or DEFAULT_MODEL)


def training_examples(
    taxonomy: Taxonomy, paths: Sequence[Path] | None = None, engine: Engine | None = None
) -> list[Any]:
    """The team-written training data (or the files named), plus the labels people set in the
    database when an engine is given."""
    from rootcause.classify.data import LabelledText, read_dir, read_labelled
    from rootcause.resources import training_dir

    examples: list[LabelledText] = []
    for path in paths or [training_dir()]:
        examples += (
            read_dir(path, taxonomy.cause_names)
            if path.is_dir()
            else read_labelled(path, taxonomy.cause_names)
        )
    if engine is not None:
        with session_scope(engine) as session:
            examples += [
                LabelledText(t, c, "database label")
                for t, c in store.labelled_texts(session=session)
            ]
    return examples


@dataclass(frozen=True)
class AdaptOutcome:
    read: int
    pseudo_labels: dict[str, int]
    report: Any  # classify.train.TrainReport


def adapt_classifier(
    engine: Engine,
    settings: Settings,
    taxonomy: Taxonomy,
    out_dir: Path,
    *,
    data: Sequence[Path] | None = None,
    on_batch: Callable[[int], None] | None = None,
) -> AdaptOutcome:
    """Self-train on the database's complaints (see classify/adapt.py) and save the new model.

    Reads the texts a page at a time; only the kept pseudo-labels are held in memory.
    """
    from rootcause.classify.adapt import (
        PseudoLabelRule,
        as_examples,
        keep_best,
        pseudo_label_counts,
        trusted,
    )
    from rootcause.classify.train import load_config, train_classifier

    config, raw = load_config()
    classifier = load_classifier(settings)
    team = training_examples(taxonomy, data, engine)
    team_counts: dict[str, int] = {}
    for ex in team:
        team_counts[ex.cause] = team_counts.get(ex.cause, 0) + 1
    rule = PseudoLabelRule(
        config.adapt_rule_confidence,
        None if config.adapt_require_rule else config.adapt_bare_confidence,
        config.adapt_max_ratio,
    )
    candidates: list[Any] = []
    read = 0
    with session_scope(engine) as session:
        for texts in store.complaint_text_pages(
            session=session, page_size=settings.classify.batch_size
        ):
            candidates = keep_best(
                [*candidates, *trusted(texts, classifier.predict(texts), rule)],
                team_counts,
                rule.max_ratio,
            )
            read += len(texts)
            if on_batch:
                on_batch(len(texts))
    pseudo = as_examples(candidates)
    if not pseudo:
        raise RootcauseError(
            f"none of the {read:,} complaints in the database was classified confidently enough "
            "to learn from; nothing to adapt to"
        )
    report = train_classifier(
        team, taxonomy, out_dir, config=config, config_bytes=raw, train_only=pseudo
    )
    return AdaptOutcome(read, pseudo_label_counts(pseudo), report)


@dataclass(frozen=True)
class ClassifyOutcome:
    classified: int
    needs_review: int
    model_version: str
    read: int = 0  # complaints this worker predicted (equals `classified` unless it lost a race)


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
    starts from what is still pending. Several workers can run at once: on PostgreSQL each
    claims its batch (see `store.pending_complaints`), and on any database the primary key and
    ON CONFLICT DO NOTHING keep one verdict per complaint.

    Each batch starts past the previous one's last id; when nothing is left there, one more
    look from the start picks up what another worker claimed and then released (killed).
    """
    from contextlib import ExitStack

    from rootcause.classify.parallel import PredictPool, worker_count

    processes = 1 if classifier is not None else worker_count(settings.classify.processes)
    classifier = classifier or load_classifier(settings)
    size = settings.classify.batch_size
    pool: PredictPool | None = None
    done = review = read = after = 0
    with ExitStack() as stack:
        while True:
            batch, got = _classify_batch(engine, taxonomy, classifier, pool, size, after)
            if not batch:
                if after == 0:
                    break
                after = 0
                continue
            after = max(r["complaint_id"] for r in batch)
            done += got
            review += sum(r["needs_review"] for r in batch)
            read += len(batch)
            if on_batch:
                on_batch(len(batch))
            if pool is None and processes > 1 and len(batch) == size:
                # More than one batch to do: worth starting a worker per core. Each then
                # takes a share of a batch of `size` per worker.
                pool = stack.enter_context(PredictPool(classifier.path, processes))
                size = settings.classify.batch_size * processes
    return ClassifyOutcome(done, review, classifier.version, read)


def _classify_batch(
    engine: Engine, taxonomy: Taxonomy, classifier: Any, pool: Any, limit: int, after: int
) -> tuple[list[dict[str, Any]], int]:
    """Classify and commit one batch of pending complaints past id `after`; its rows and how
    many were new."""
    with session_scope(engine) as session:
        batch = store.pending_complaints(session=session, limit=limit, after=after)
        if not batch:
            return [], 0
        now = utcnow()
        texts = [text for _, text in batch]
        predictions = pool.predict(texts) if pool is not None else classifier.predict(texts)
        rows = [
            {"complaint_id": cid, "cause": p.cause, "confidence": p.confidence,
             "scores": p.scores, "secondary": p.secondary, "evidence": p.evidence,
             "needs_review": p.needs_review, "churn_risk": p.churn_risk,
             "model_version": classifier.version, "taxonomy_version": taxonomy.version,
             "classified_at": now}
            for (cid, _), p in zip(batch, predictions, strict=True)
        ]  # fmt: skip
        return rows, store.insert_classifications(session=session, rows=rows)


def run_week(
    engine: Engine,
    settings: Settings,
    taxonomy: Taxonomy,
    week: IsoWeek,
    out: Path | None = None,
    *,
    demo_fixes: bool = False,
    wait: bool = False,
) -> ReportOutcome:
    """Every stage for one week: classify what is pending, mine the themes of the window ending
    at `week`, reopen verified fixes whose problem came back, then render the report.
    `demo_fixes` registers the demo's two fixes (linked to the themes just mined).

    One run per database at a time (`runlock`): a second one raises RunLockedError at once,
    or with `wait` starts when the first has finished."""
    from rootcause.fixes import register_demo_fixes, reopen_recurring
    from rootcause.report.render import check_writable
    from rootcause.runlock import run_lock
    from rootcause.themes import mine_themes

    check_writable(out or default_report_path(settings, week))  # fail before, not after, the work
    with run_lock(engine, wait=wait):
        classify_pending(engine, settings, taxonomy)
        mine_themes(engine, settings, week)
        if demo_fixes:
            register_demo_fixes(engine, settings)
        reopen_recurring(engine, week)
        return render_week(engine, settings, taxonomy, week, out)
