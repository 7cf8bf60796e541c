"""The `rootcause` command: parses arguments, calls plain functions, prints their results.

This is the only module that prints. Every RootcauseError becomes one line on stderr,
`rootcause: error: <what> — <where>`, and its exit code (2 for unusable input or settings, 1
otherwise); anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer

from rootcause import __version__
from rootcause.cli_common import WeekOpt, echo_json
from rootcause.cli_fixes import fix_app
from rootcause.cli_themes import themes_app
from rootcause.errors import ConfigError, InputError, RootcauseError

app = typer.Typer(
    help="Mine customer complaints for their root causes and write a weekly PDF.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    rich_markup_mode=None,
)
demo_app = typer.Typer(help="The bundled demo data.", no_args_is_help=True)
app.add_typer(demo_app, name="demo")
app.add_typer(themes_app, name="themes")
app.add_typer(fix_app, name="fix")

_state: dict[str, Any] = {}


def _settings(**flags: Any) -> Any:
    from rootcause.settings import load_settings

    overrides: dict[str, Any] = {}
    if _state.get("database_url"):
        overrides["database_url"] = _state["database_url"]
    overrides.update({k: v for k, v in flags.items() if v is not None})
    return load_settings(overrides)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"rootcause {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    database_url: Annotated[
        str | None,
        typer.Option(
            "--database-url",
            envvar="ROOTCAUSE_DATABASE_URL",
            help="SQLAlchemy URL, e.g. sqlite:///rootcause.db or postgresql://user@host/db.",
        ),
    ] = None,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="Log progress to stderr.")
    ] = False,
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    _state["database_url"] = database_url


def _parse_columns(pairs: list[str]) -> dict[str, str]:
    from rootcause.ingest.readers import CANONICAL_COLUMNS

    mapping: dict[str, str] = {}
    for pair in pairs:
        target, sep, column = pair.partition("=")
        target = target.strip().lower()
        if not sep or not column.strip():
            raise ConfigError(f"--column {pair!r}: expected FIELD=COLUMN, e.g. --column text=body")
        if target not in CANONICAL_COLUMNS:
            known = ", ".join(CANONICAL_COLUMNS)
            raise ConfigError(f"--column {pair!r}: unknown field {target!r} (known: {known})")
        mapping[target] = column.strip()
    return mapping


def _progress(
    label: str, *, total: int | None = None, unit: str = "B", enabled: bool = True
) -> tuple[Callable[[int], None] | None, Callable[[], None]]:
    """A progress bar on stderr when it is a terminal: (update, close)."""
    if not enabled or not sys.stderr.isatty():
        return None, lambda: None
    from tqdm import tqdm

    bar = tqdm(
        total=total, unit=unit, unit_scale=unit == "B", desc=label, leave=False, file=sys.stderr
    )
    return bar.update, bar.close


@app.command()
def ingest(
    paths: Annotated[list[Path], typer.Argument(help="CSV or JSON Lines files (.gz is fine).")],
    source: Annotated[
        str | None,
        typer.Option(
            help="Source name for de-duplication (default: the file name without extension)."
        ),
    ] = None,
    column: Annotated[
        list[str] | None,
        typer.Option(
            "--column", "-c", help="Map a field to a column: --column text=body (repeatable)."
        ),
    ] = None,
    encoding: Annotated[
        str | None,
        typer.Option(help="Force an encoding (default: UTF-8, falling back to cp1252 per line)."),
    ] = None,
    strict: Annotated[
        bool, typer.Option(help="Stop at the first bad row and load nothing from the file.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the counts as JSON.")] = False,
) -> None:
    """Load complaint exports: validate, redact, de-duplicate, quarantine bad rows."""
    from rootcause.ingest import ingest_path
    from rootcause.pipeline import open_database, taxonomy_for

    for path in paths:
        if not path.exists():
            raise InputError(path, "no such file")
    column_map = _parse_columns(column or [])
    settings = _settings()
    taxonomy = taxonomy_for(settings)
    engine = open_database(settings)
    totals = {"inserted": 0, "duplicates": 0, "quarantined": 0}
    problems: list[dict[str, Any]] = []
    files: list[dict[str, Any]] = []
    failed: list[InputError] = []
    for path in paths:
        update, close = _progress(path.name, total=path.stat().st_size, enabled=not as_json)
        try:
            result = ingest_path(
                path,
                engine=engine,
                settings=settings,
                taxonomy=taxonomy,
                source=source,
                column_map=column_map,
                encoding=encoding,
                strict=strict,
                on_bytes=update,
            )
        except InputError as exc:
            failed.append(exc)
            typer.echo(f"rootcause: error: {exc}", err=True)
            continue
        finally:
            close()
        for key in totals:
            totals[key] += getattr(result, key)
        problems.extend(p.as_dict() for p in result.problems)
        files.append(result.as_dict())
        if not as_json:
            typer.echo(
                f"{path}: {result.inserted:,} inserted, {result.duplicates:,} duplicates, "
                f"{result.quarantined:,} quarantined (source '{result.source}')"
            )
            for problem in result.problems[:10]:
                typer.echo(f"  quarantined: {problem}", err=True)
            if len(result.problems) > 10 or result.quarantined > len(result.problems[:10]):
                typer.echo("  (all quarantined rows: rootcause quarantine)", err=True)
            for warning in result.warnings[:5]:
                typer.echo(f"  warning: {warning}", err=True)
    if as_json:
        echo_json({**totals, "problems": problems, "files": files})
    if failed:
        raise typer.Exit(2)


@app.command()
def status(as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """What the database holds: complaints, quarantined rows, classifications, themes, fixes."""
    from rootcause import store
    from rootcause.db import session_scope
    from rootcause.pipeline import open_database

    engine = open_database(_settings())
    with session_scope(engine) as session:
        counts = store.status_counts(session=session)
    if as_json:
        echo_json(counts)
    else:
        for key, value in counts.items():
            typer.echo(f"{key:>13}: {value:,}")


@app.command()
def quarantine(
    limit: Annotated[int, typer.Option(help="How many rows to show.")] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON Lines.")] = False,
) -> None:
    """List quarantined rows with the file, line and reason."""
    from rootcause import store
    from rootcause.db import session_scope
    from rootcause.pipeline import open_database

    engine = open_database(_settings())
    with session_scope(engine) as session:
        rows = store.quarantine_rows(session=session, limit=limit)
    for q in rows:
        if as_json:
            echo_json(
                {
                    "id": q.id,
                    "source": q.source,
                    "path": q.path,
                    "line": q.line,
                    "code": q.code,
                    "message": q.message,
                    "raw": q.raw[:2000],
                }
            )
        else:
            typer.echo(f"{q.path}: line {q.line}: {q.message} [{q.code}]")


volumes_app = typer.Typer(help="Denominators: contacts and orders per week.", no_args_is_help=True)
app.add_typer(volumes_app, name="volumes")


@volumes_app.command("import")
def volumes_import(
    path: Annotated[Path, typer.Argument(help="CSV with week, contacts and/or orders[, channel].")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Load contacts and orders per ISO week, so the report can give rates per 1,000 and fixes
    are judged per order. All or nothing; a week loaded again is replaced."""
    from rootcause.db import session_scope
    from rootcause.pipeline import open_database
    from rootcause.volumes import import_volumes

    settings = _settings()
    with session_scope(open_database(settings)) as session:
        result = import_volumes(path, session=session)
    if as_json:
        echo_json({"rows": result.rows, "weeks": result.weeks})
        return
    typer.echo(f"{path}: {result.rows:,} rows for {result.weeks:,} weeks")


@demo_app.command("load")
def demo_load(as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """Load the bundled demo complaints into the configured database (idempotent)."""
    from rootcause.pipeline import load_demo, open_database, taxonomy_for

    settings = _settings()
    results = load_demo(open_database(settings), settings, taxonomy_for(settings))
    if as_json:
        echo_json([r.as_dict() for r in results])
        return
    for r in results:
        typer.echo(
            f"{r.path}: {r.inserted:,} inserted, {r.duplicates:,} duplicates, "
            f"{r.quarantined:,} quarantined"
        )


def _classifier(model: Path | None) -> Any:
    from rootcause.pipeline import load_classifier

    return load_classifier(_settings(**({"classify": {"model_path": model}} if model else {})))


ModelOpt = Annotated[
    Path | None,
    typer.Option(
        "--model", help="A trained model directory (default: the one shipped with rootcause)."
    ),
]


@app.command()
def train(
    data: Annotated[
        list[Path] | None,
        typer.Option(
            "--data",
            help="Training files or folders (JSON Lines / CSV with text and cause); "
            "default: data/fixtures/training.",
        ),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out", help="Where to save the model (default: the shipped model's folder)."
        ),
    ] = None,
    with_labels: Annotated[
        bool,
        typer.Option(
            "--with-labels", help="Add the labels people set in the database (rootcause label)."
        ),
    ] = False,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the training report as JSON.")
    ] = False,
) -> None:
    """Train the cause classifier (fixed seed, config in the package) and print dev/test metrics."""
    from dataclasses import asdict

    from rootcause.classify.predict import DEFAULT_MODEL
    from rootcause.classify.train import load_config, train_classifier
    from rootcause.pipeline import open_database, taxonomy_for, training_examples

    settings = _settings()
    taxonomy = taxonomy_for(settings)
    engine = open_database(settings) if with_labels else None
    examples = training_examples(taxonomy, data, engine)
    config, raw = load_config()
    report = train_classifier(
        examples, taxonomy, out or DEFAULT_MODEL, config=config, config_bytes=raw
    )
    if as_json:
        echo_json(asdict(report))
        return
    _echo_train_report(report)
    typer.echo(report.path)


def _echo_train_report(report: Any) -> None:
    typer.echo(
        f"model {report.version}: {sum(report.examples.values()):,} examples "
        f"(train {report.examples['train']:,}, dev {report.examples['dev']:,}, "
        f"test {report.examples['test']:,})"
    )
    typer.echo(
        f"  rule weight {report.rule_weight}, temperature {report.temperature}, "
        f"needs_review below {report.review_threshold}"
    )
    for split in ("dev", "test"):
        m = getattr(report, split)
        typer.echo(f"  {split}: accuracy {m['accuracy']:.3f}, macro-F1 {m['macro_f1']:.3f}")
    typer.echo(
        f"  test ECE {report.ece_test_before:.3f} before calibration, "
        f"{report.ece_test_after:.3f} after"
    )


@app.command()
def adapt(
    out: Annotated[Path, typer.Option("--out", help="Where to save the adapted model.")] = Path(
        "models/adapted"
    ),
    data: Annotated[
        list[Path] | None,
        typer.Option("--data", help="Team training files or folders (default: the bundled ones)."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Self-train on the complaints in the database: learn from the verdicts a rule backs or
    that are very confident, keep the team data, and save a new model (the shipped one stays)."""
    from dataclasses import asdict

    from rootcause.pipeline import adapt_classifier, open_database, taxonomy_for

    settings = _settings()
    engine = open_database(settings)
    advance, close = _progress("reading complaints", unit="complaints", enabled=not as_json)
    try:
        outcome = adapt_classifier(
            engine, settings, taxonomy_for(settings), out, data=data, on_batch=advance
        )
    finally:
        close()
    if as_json:
        echo_json({"read": outcome.read, "pseudo_labels": outcome.pseudo_labels,
                    "report": asdict(outcome.report)})  # fmt: skip
        return
    labels = ", ".join(f"{c} {n:,}" for c, n in outcome.pseudo_labels.items())
    typer.echo(f"read {outcome.read:,} complaints; learned from {labels}")
    _echo_train_report(outcome.report)
    typer.echo(
        f"use it with ROOTCAUSE_CLASSIFY__MODEL_PATH={out} (or classify.model_path in "
        "rootcause.toml); `rootcause classify` only fills what is pending"
    )
    typer.echo(outcome.report.path)


@app.command()
def predict(
    file: Annotated[
        Path | None, typer.Option("--file", help="Read JSON Lines from this file instead of stdin.")
    ] = None,
    model: ModelOpt = None,
) -> None:
    """Classify JSON Lines ({"text", "id"?}) from stdin; one JSON line out per line in."""
    if file is not None and not file.is_file():
        raise InputError(file, "no such file")
    name = str(file) if file else "<stdin>"
    handle = file.open(encoding="utf-8-sig") if file else sys.stdin
    clf = _classifier(model)
    failed = 0

    def flush(chunk: list[tuple[int, Any]]) -> None:
        texts = [obj["text"] for _, obj in chunk if isinstance(obj, dict)]
        predictions = iter(clf.predict(texts))
        for line_no, obj in chunk:
            if isinstance(obj, dict):
                echo_json({"id": obj.get("id"), **next(predictions).as_dict()})
            else:
                echo_json({"id": None, "error": f"line {line_no}: {obj}"})

    chunk: list[tuple[int, Any]] = []
    try:
        for line_no, line in enumerate(handle, 1):
            try:
                obj = json.loads(line)
                if not isinstance(obj, dict) or not isinstance(obj.get("text"), str):
                    raise ValueError("expected an object with a string 'text'")
            except ValueError as exc:
                failed += 1
                reason = str(exc).split(": line")[0]
                typer.echo(f"rootcause: error: {name}: line {line_no}: {reason}", err=True)
                obj = reason
            chunk.append((line_no, obj))
            if len(chunk) >= 512:
                flush(chunk)
                chunk = []
        flush(chunk)
    finally:
        if file:
            handle.close()
    if failed:
        raise typer.Exit(2)


@app.command()
def evaluate(
    data: Annotated[Path, typer.Option("--data", help="CSV or JSON Lines with text and cause.")],
    model: ModelOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Per-cause precision / recall / F1, macro-F1, accuracy and the confusion matrix."""
    from rootcause.classify.data import read_labelled
    from rootcause.classify.evaluate import classification_metrics

    clf = _classifier(model)
    causes = list(clf.meta["causes"])
    examples = read_labelled(data, causes)
    preds = [p.cause for p in clf.predict(ex.text for ex in examples)]
    metrics = classification_metrics([ex.cause for ex in examples], preds, causes)
    metrics["model_version"] = clf.version
    if as_json:
        echo_json(metrics)
        return
    typer.echo(f"{data}: {metrics['n']:,} complaints, model {clf.version}")
    typer.echo(
        f"accuracy {metrics['accuracy']:.3f} (always '{metrics['majority_class']}': "
        f"{metrics['majority_baseline']:.3f}), macro-F1 {metrics['macro_f1']:.3f}"
    )
    typer.echo(f"{'cause':<14}{'precision':>10}{'recall':>8}{'F1':>7}{'n':>6}")
    for cause, m in metrics["per_cause"].items():
        typer.echo(
            f"{cause:<14}{m['precision']:>10.3f}{m['recall']:>8.3f}{m['f1']:>7.3f}{m['support']:>6}"
        )
    typer.echo("confusion (rows: true, columns: predicted)")
    typer.echo(" " * 14 + "".join(f"{c[:12]:>13}" for c in causes))
    for g in causes:
        typer.echo(f"{g:<14}" + "".join(f"{metrics['confusion'][g][p]:>13}" for p in causes))


@app.command()
def classify(as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """Classify every complaint in the database that has no verdict yet (resumable)."""
    from rootcause.pipeline import classify_pending, open_database, taxonomy_for

    settings = _settings()
    engine = open_database(settings)
    update, close = _progress("classify", unit=" complaints", enabled=not as_json)
    try:
        outcome = classify_pending(engine, settings, taxonomy_for(settings), on_batch=update)
    finally:
        close()
    if as_json:
        echo_json(
            {
                "classified": outcome.classified,
                "read": outcome.read,
                "needs_review": outcome.needs_review,
                "model_version": outcome.model_version,
            }
        )
    else:
        typer.echo(
            f"{outcome.classified:,} classified ({outcome.needs_review:,} need review), "
            f"model {outcome.model_version}"
        )


@app.command()
def label(
    complaint_id: Annotated[int, typer.Argument(help="The complaint's id (rootcause's own).")],
    cause: Annotated[str, typer.Argument(help="One of the taxonomy's causes.")],
    author: Annotated[str | None, typer.Option(help="Who sets it (default: $USER).")] = None,
) -> None:
    """Set a complaint's cause by hand; a human label always wins over the model."""
    import getpass

    from rootcause import store
    from rootcause.db import session_scope
    from rootcause.pipeline import open_database, taxonomy_for

    settings = _settings()
    taxonomy = taxonomy_for(settings)
    if cause not in taxonomy.cause_names:
        raise ConfigError(f"unknown cause {cause!r} (known: {', '.join(taxonomy.cause_names)})")
    with session_scope(open_database(settings)) as session:
        try:
            saved = store.add_label(
                session=session,
                complaint_id=complaint_id,
                cause=cause,
                author=author or getpass.getuser(),
            )
        except LookupError as exc:
            raise RootcauseError(str(exc)) from None
    typer.echo(f"complaint {complaint_id}: {cause} (by {saved.author})")


@app.command()
def review(
    export: Annotated[
        Path | None,
        typer.Option(
            "--export", help="Write the needs-review queue to this CSV (fill its 'label' column)."
        ),
    ] = None,
    import_: Annotated[
        Path | None,
        typer.Option("--import", help="Read labels back from such a CSV (all rows or none)."),
    ] = None,
    limit: Annotated[int | None, typer.Option(help="Export at most this many rows.")] = None,
    author: Annotated[str | None, typer.Option(help="Who labels (default: $USER).")] = None,
) -> None:
    """Round-trip the needs-review queue through a spreadsheet; imported labels win and join
    the next `rootcause train --with-labels`."""
    import getpass

    from rootcause.db import session_scope
    from rootcause.pipeline import open_database, taxonomy_for
    from rootcause.review import export_queue, import_labels

    if (export is None) == (import_ is None):
        raise ConfigError("give exactly one of --export FILE or --import FILE")
    settings = _settings()
    engine = open_database(settings)
    with session_scope(engine) as session:
        if export is not None:
            n = export_queue(export, session=session, limit=limit)
            typer.echo(f"{export}: {n:,} complaints to review")
            return
        assert import_ is not None
        outcome = import_labels(
            import_,
            session=session,
            causes=taxonomy_for(settings).cause_names,
            author=author or getpass.getuser(),
        )
    typer.echo(
        f"{import_}: {outcome.labelled:,} labels imported, {outcome.skipped:,} rows left blank"
    )


def _week_and_out(
    week: str | None, out: Path | None, *, run_all: bool, demo_if_empty: bool, wait: bool = False
) -> None:
    from rootcause.pipeline import (
        ensure_data,
        is_demo_database,
        open_database,
        render_week,
        resolve_week,
        run_week,
        taxonomy_for,
    )

    settings = _settings()
    taxonomy = taxonomy_for(settings)
    engine = open_database(settings)
    demo = False
    if demo_if_empty:
        for r in ensure_data(engine, settings, taxonomy):
            typer.echo(f"loaded demo data: {r.path}: {r.inserted:,} inserted", err=True)
        demo = is_demo_database(engine)
    iso = resolve_week(engine, week)
    if run_all:
        outcome = run_week(engine, settings, taxonomy, iso, out, demo_fixes=demo, wait=wait)
    else:
        outcome = render_week(engine, settings, taxonomy, iso, out)
    typer.echo(f"{outcome.week}: {outcome.pages} pages", err=True)
    typer.echo(str(outcome.path))


OutOpt = Annotated[
    Path | None,
    typer.Option(
        "--out", help="Where to write the PDF (default: reports/out/rootcause-<week>.pdf)."
    ),
]


@app.command()
def run(
    week: WeekOpt = None,
    out: OutOpt = None,
    demo_if_empty: Annotated[
        bool,
        typer.Option(
            "--demo-if-empty", help="Load the demo data first when the database is empty."
        ),
    ] = False,
    wait: Annotated[
        bool,
        typer.Option(
            "--wait", help="If another run holds the database, wait for it instead of failing."
        ),
    ] = False,
) -> None:
    """Run every stage for a week and write its PDF; prints the PDF's path last.

    One run per database at a time: a second run fails at once (exit 75) unless --wait."""
    _week_and_out(week, out, run_all=True, demo_if_empty=demo_if_empty, wait=wait)


@app.command()
def report(week: WeekOpt = None, out: OutOpt = None) -> None:
    """Render the week's PDF from what the database holds; prints the PDF's path."""
    _week_and_out(week, out, run_all=False, demo_if_empty=False)


def _database_url() -> str | None:
    """This run's database URL (flag, environment or settings file), so that an error message can
    name the database and no message can show its password."""
    if _state.get("database_url"):
        return str(_state["database_url"])
    try:
        from rootcause.settings import load_settings

        return load_settings().database_url
    except Exception:  # the settings are what failed; there is no URL to name or hide
        return None


def _environment_failure(exc: Exception) -> str | None:
    """One line for a failure of the environment (a full or read-only disk, a missing folder, a
    database that went away), or None for anything else: a bug, which keeps its traceback."""
    from rootcause.errors import FILE_ERRNOS, describe_os_error

    sa_exc = sys.modules.get("sqlalchemy.exc")  # not imported: not a database error
    if sa_exc is not None and (
        isinstance(exc, sa_exc.OperationalError) or type(exc) is sa_exc.DatabaseError
    ):  # connection lost, disk full, locked, not a database file; not IntegrityError and kin
        from rootcause.db import describe_database_error

        return describe_database_error(exc, _database_url())
    if isinstance(exc, OSError) and exc.errno in FILE_ERRNOS:
        return (
            f"{exc.filename}: {describe_os_error(exc)}" if exc.filename else describe_os_error(exc)
        )
    return None


def _error_line(message: str) -> str:
    """`rootcause: error: ...` on one line, with the database password hidden whatever said it."""
    from rootcause.errors import hide_password

    line = " ".join(part.strip() for part in message.splitlines() if part.strip())
    return f"rootcause: error: {hide_password(line, _database_url())}"


def main(argv: list[str] | None = None) -> None:
    """Console entry point: one line per known error, with its exit code. Always exits."""
    try:
        app(args=argv, prog_name="rootcause")
    except RootcauseError as exc:
        typer.echo(_error_line(str(exc)), err=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        typer.echo("rootcause: interrupted", err=True)
        sys.exit(130)
    except Exception as exc:
        message = _environment_failure(exc)
        if message is None:
            raise
        typer.echo(_error_line(message), err=True)
        sys.exit(1)


if __name__ == "__main__":
    main()
