"""`rootcause fix ...`: the fix register for process owners, a Typer sub-app.

Registered by `cli.py` with `app.add_typer(fix_app, name="fix")`; this module does not import
`cli.py` (no cycle). It only parses arguments, calls `rootcause.fixes` and prints; every
RootcauseError becomes one line and an exit code in `cli.main()` (2 for a bad date, status,
cause or criterion; 1 for an unknown fix or theme, or a refused status change).
"""

from __future__ import annotations

import getpass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from rootcause.cli_common import JsonOpt, echo_json, settings_from

if TYPE_CHECKING:
    from sqlalchemy import Engine
    from sqlmodel import Session

    from rootcause.fixes import FixRow
    from rootcause.period import IsoWeek
    from rootcause.settings import Settings

fix_app = typer.Typer(
    help="Fixes: who owns what, status and due dates, and whether each fix worked.",
    no_args_is_help=True,
    rich_markup_mode=None,
)

WeekOpt = Annotated[
    str | None,
    typer.Option(
        "--week",
        help="Judge as of this ISO week, e.g. 2026-W47 (default: the latest complete week).",
    ),
]
ActorOpt = Annotated[
    str | None, typer.Option("--actor", help="Who makes the change (default: $USER).")
]
NoteOpt = Annotated[str | None, typer.Option("--note", help="Why, kept in the event log.")]
FixId = Annotated[int, typer.Argument(help="The fix's id (see `rootcause fix list`).")]


def _open(ctx: typer.Context) -> tuple[Settings, Engine]:
    from rootcause.pipeline import open_database

    settings = settings_from(ctx)
    return settings, open_database(settings)


def _causes(settings: Settings) -> tuple[str, ...]:
    from rootcause.pipeline import taxonomy_for

    return taxonomy_for(settings).cause_names


def _week(engine: Engine, week: str | None) -> IsoWeek:
    """The week asked for; else the latest complete week in the data; else last week."""
    from rootcause.errors import RootcauseError
    from rootcause.period import IsoWeek
    from rootcause.pipeline import resolve_week

    if week:
        return resolve_week(engine, week)
    try:
        return resolve_week(engine, None)
    except RootcauseError:  # no complaints yet: verdicts are all null anyway
        return IsoWeek.of(date.today()).shift(-1)


def _date(text: str | None, flag: str) -> date | None:
    from rootcause.fixes.fields import parse_optional_date

    return parse_optional_date(text, flag)


def _actor(actor: str | None) -> str:
    return (actor or "").strip() or getpass.getuser()


def _row(session: Session, fix_id: int, week: IsoWeek) -> FixRow:
    from rootcause.fixes import get_fix
    from rootcause.fixes.register import fix_row

    return fix_row(session, get_fix(session=session, fix_id=fix_id), week, today=date.today())


def _describe(row: FixRow) -> str:
    due = f", due {row.due}" if row.due else ""
    late = f" (OVERDUE {row.days_overdue} days)" if row.overdue else ""
    shipped = f", shipped {row.shipped}" if row.shipped else ""
    return (
        f'fix {row.id} "{row.title}": {row.status}, owner {row.owner}{due}{late}{shipped}; '
        f"{row.subject}"
    )


def _event_text(action: str, details: dict[str, Any]) -> str:
    """An event as one line: "status proposed -> shipped, shipped None -> 2026-10-21"."""
    changes = details.get("changes") or {}
    parts = [f"{k} {v.get('old')} -> {v.get('new')}" for k, v in changes.items()]
    text = ", ".join(parts) if parts else action
    return text + (f" ({details['note']})" if details.get("note") else "")


def _print_row(row: FixRow, as_json: bool) -> None:
    if as_json:
        echo_json(row.as_dict())
    else:
        typer.echo(_describe(row))


@fix_app.command()
def add(
    ctx: typer.Context,
    title: Annotated[str, typer.Option("--title", help="What the fix is, in a few words.")],
    owner: Annotated[str, typer.Option("--owner", help="The team or person who owns it.")],
    theme: Annotated[
        list[int] | None,
        typer.Option(
            "--theme",
            help="Link to this theme id (rootcause themes); repeat it to measure the fix on "
            "more themes (the first is the main one).",
        ),
    ] = None,
    cause: Annotated[
        str | None,
        typer.Option("--cause", help="Link to this cause (with --theme: its complaints only)."),
    ] = None,
    due: Annotated[str | None, typer.Option("--due", help="Due date, YYYY-MM-DD.")] = None,
    shipped: Annotated[
        str | None, typer.Option("--shipped", help="Ship date, YYYY-MM-DD (makes it shipped).")
    ] = None,
    description: Annotated[str, typer.Option("--description", help="Details.")] = "",
    criterion: Annotated[
        str | None,
        typer.Option(
            "--criterion",
            help='Success criterion, e.g. "50% within 4 weeks" (default: 30% within 4 weeks).',
        ),
    ] = None,
    actor: ActorOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Register a fix for a theme or a cause; prints it with its id."""
    from rootcause.db import session_scope
    from rootcause.errors import ConfigError
    from rootcause.fixes import add_fix, parse_criterion

    if not theme and cause is None:
        raise ConfigError("give --theme ID or --cause CAUSE (or both)")
    parsed = parse_criterion(criterion)
    due_date, ship_date = _date(due, "--due"), _date(shipped, "--shipped")
    settings, engine = _open(ctx)
    week = _week(engine, None)
    with session_scope(engine) as session:
        fix = add_fix(
            session=session,
            title=title,
            owner=owner,
            causes=_causes(settings),
            actor=_actor(actor),
            theme_id=theme[0] if theme else None,
            extra_theme_ids=theme[1:] if theme else (),
            cause=cause,
            description=description,
            due=due_date,
            shipped=ship_date,
            criterion=parsed,
        )
        assert fix.id is not None
        row = _row(session, fix.id, week)
    _print_row(row, as_json)


@fix_app.command("list")
def list_(
    ctx: typer.Context,
    status: Annotated[
        list[str] | None, typer.Option("--status", help="Only this status (repeatable).")
    ] = None,
    owner: Annotated[str | None, typer.Option("--owner", help="Only this owner.")] = None,
    open_only: Annotated[
        bool, typer.Option("--open", help="Only open fixes (not verified/ineffective/abandoned).")
    ] = False,
    week: WeekOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """The register: overdue fixes first, then by due date, with each shipped fix's verdict."""
    from rootcause.fixes import fix_register
    from rootcause.fixes.fields import parse_status

    statuses = [parse_status(s).value for s in status] if status else None
    _, engine = _open(ctx)
    iso = _week(engine, week)
    rows = fix_register(
        engine,
        iso,
        today=iso.sunday if week else date.today(),
        statuses=statuses,
        owner=owner,
        include_closed=not open_only,
    )
    if as_json:
        echo_json([r.as_dict() for r in rows])
        return
    if not rows:
        typer.echo("no fixes" + (" match" if status or owner or open_only else " yet"))
        return
    for r in rows:
        verdict = f"  [{r.verdict}]" if r.verdict else ""
        typer.echo(_describe(r) + verdict)


@fix_app.command()
def show(ctx: typer.Context, fix_id: FixId, week: WeekOpt = None, as_json: JsonOpt = False) -> None:
    """One fix: its verdict with the figures behind it, the weekly series and the event log."""
    from rootcause.db import session_scope
    from rootcause.fixes import VERDICT_RULES, fix_effects, fix_events, get_fix

    _, engine = _open(ctx)
    iso = _week(engine, week)
    with session_scope(engine) as session:
        get_fix(session=session, fix_id=fix_id)  # unknown id: a clear error first
        row = _row(session, fix_id, iso)
        effects = fix_effects(session, iso, fix_ids=[fix_id])
        log = fix_events(session=session, fix_id=fix_id)
    events = [
        {"at": e.at.isoformat(), "actor": e.actor, "action": e.action, "details": e.details}
        for e in log
    ]
    measured = effects[0] if effects else None
    if as_json:
        data = row.as_dict()
        data.update(
            week=str(iso),
            subject=row.subject,
            effect=measured.effect.as_dict() if measured else None,
            series=measured.as_dict()["series"] if measured else [],
            events=events,
            rules=VERDICT_RULES,
        )
        echo_json(data)
        return
    typer.echo(_describe(row))
    typer.echo(f"  success criterion: {row.criterion}")
    if measured is None:
        typer.echo("  verdict: none until it ships")
    else:
        typer.echo(f"  verdict as of {iso}: {row.verdict}")
        typer.echo(f"  {measured.effect.explanation}")
    typer.echo("  events:")
    for e in log:
        typer.echo(f"    {e.at:%Y-%m-%d %H:%M}  {e.actor}: {_event_text(e.action, e.details)}")


@fix_app.command()
def update(
    ctx: typer.Context,
    fix_id: FixId,
    status: Annotated[
        str | None, typer.Option("--status", help="New status (see the allowed transitions).")
    ] = None,
    owner: Annotated[str | None, typer.Option("--owner", help="New owner.")] = None,
    theme: Annotated[
        list[int] | None,
        typer.Option("--theme", help="Relink to these themes (repeatable; the first is main)."),
    ] = None,
    due: Annotated[str | None, typer.Option("--due", help="New due date, YYYY-MM-DD.")] = None,
    shipped: Annotated[
        str | None, typer.Option("--shipped", help="Ship date, YYYY-MM-DD (ships it if not yet).")
    ] = None,
    title: Annotated[str | None, typer.Option("--title", help="New title.")] = None,
    description: Annotated[
        str | None, typer.Option("--description", help="New description.")
    ] = None,
    criterion: Annotated[
        str | None,
        typer.Option("--criterion", help='New success criterion, e.g. "50% within 4 weeks".'),
    ] = None,
    note: NoteOpt = None,
    actor: ActorOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Change a fix's status, owner, themes, dates or title; every change goes to its event
    log."""
    from rootcause.db import session_scope
    from rootcause.fixes import update_fix
    from rootcause.fixes.fields import parse_status

    changes: dict[str, Any] = {}
    if status is not None:
        changes["status"] = parse_status(status).value
    if theme:
        changes["theme_id"], changes["extra_themes"] = theme[0], theme[1:]
    if due is not None:
        changes["due"] = _date(due, "--due")
    if shipped is not None:
        changes["shipped"] = _date(shipped, "--shipped")
    for name, value in (("owner", owner), ("title", title), ("description", description),
                        ("criterion", criterion)):  # fmt: skip
        if value is not None:
            changes[name] = value
    settings, engine = _open(ctx)
    week = _week(engine, None)
    with session_scope(engine) as session:
        _, event = update_fix(
            session=session,
            fix_id=fix_id,
            changes=changes,
            actor=_actor(actor),
            causes=_causes(settings),
            note=note,
        )
        row = _row(session, fix_id, week)
    if event is None and not as_json:
        typer.echo(f"fix {fix_id}: nothing to change", err=True)
    _print_row(row, as_json)


@fix_app.command()
def close(
    ctx: typer.Context,
    fix_id: FixId,
    status: Annotated[str, typer.Option("--status", help="verified, ineffective or abandoned.")],
    note: NoteOpt = None,
    actor: ActorOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Close a fix; the verdict and figures at that moment are kept in its event log."""
    from rootcause.db import session_scope
    from rootcause.fixes import close_fix, fix_effects, get_fix

    _, engine = _open(ctx)
    week = _week(engine, None)
    with session_scope(engine) as session:
        get_fix(session=session, fix_id=fix_id)
        effects = fix_effects(session, week, fix_ids=[fix_id])
        evidence = (
            {"week": str(week), **effects[0].effect.as_dict()} if effects else {"week": str(week)}
        )
        close_fix(
            session=session,
            fix_id=fix_id,
            status=status.strip().lower(),
            actor=_actor(actor),
            note=note,
            evidence=evidence,
        )
        row = _row(session, fix_id, week)
    wanted = {"verified": "effective", "ineffective": "not_effective"}.get(row.status)
    if wanted and row.verdict and row.verdict != wanted and not as_json:
        typer.echo(f"note: as of {week} the data say {row.verdict} for this fix", err=True)
    _print_row(row, as_json)


@fix_app.command("export")
def export_(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="The CSV file to write.")],
) -> None:
    """Write the register to a CSV file for a spreadsheet (formula-like cells neutralised)."""
    from rootcause.db import session_scope
    from rootcause.fixes import export_fixes

    _, engine = _open(ctx)
    with session_scope(engine) as session:
        n = export_fixes(file, session=session)
    typer.echo(f"{file}: {n:,} fixes")


@fix_app.command("import")
def import_(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="A CSV file from `rootcause fix export`.")],
    actor: ActorOpt = None,
) -> None:
    """Read the register back from CSV: all rows or none; rows without an id add fixes."""
    from rootcause.db import session_scope
    from rootcause.fixes import import_fixes

    settings, engine = _open(ctx)
    with session_scope(engine) as session:
        outcome = import_fixes(file, session=session, causes=_causes(settings), actor=_actor(actor))
    typer.echo(
        f"{file}: {outcome.created:,} added, {outcome.updated:,} updated, "
        f"{outcome.unchanged:,} unchanged"
    )


@fix_app.command()
def suggest(ctx: typer.Context, week: WeekOpt = None, as_json: JsonOpt = False) -> None:
    """New or growing themes with no open fix, with the owner the taxonomy gives their cause."""
    from rootcause.db import session_scope
    from rootcause.fixes import unowned_growing_themes
    from rootcause.themes import queries

    settings, engine = _open(ctx)
    iso = _week(engine, week)
    weeks = [str(w) for w in iso.window(settings.themes.window_weeks)]
    with session_scope(engine) as session:
        mined = queries.window_is_mined(session=session, week=str(iso), weeks=weeks)
    if not mined:
        typer.echo(
            f"warning: the themes of {iso} are not mined (or are stale); "
            f"run `rootcause themes --week {iso}` first",
            err=True,
        )
    found = unowned_growing_themes(engine, settings, iso)
    if as_json:
        echo_json({"week": str(iso), "mined": mined, "themes": [s.as_dict() for s in found]})
        return
    if not found:
        typer.echo(f"{iso}: every new or growing theme has an open fix")
        return
    for s in found:
        typer.echo(
            f'theme {s.theme_id} "{s.label}": {s.status}, {s.count} this week; {s.cause} -> '
            f'rootcause fix add --theme {s.theme_id} --owner "{s.owner}" --title "..."'
        )


@fix_app.command()
def check(ctx: typer.Context, week: WeekOpt = None, as_json: JsonOpt = False) -> None:
    """Reopen verified fixes whose problem came back (the weekly run does this too)."""
    from rootcause.fixes import RECURRENCE_RULE, reopen_recurring

    _, engine = _open(ctx)
    iso = _week(engine, week)
    reopened = reopen_recurring(engine, iso)
    if as_json:
        echo_json(
            {
                "week": str(iso),
                "reopened": [
                    {"id": r.fix_id, "title": r.title, **r.recurrence.as_dict()} for r in reopened
                ],
                "rule": RECURRENCE_RULE,
            }
        )
        return
    if not reopened:
        typer.echo(f"{iso}: no verified fix has come back")
    for r in reopened:
        typer.echo(f'fix {r.fix_id} "{r.title}" reopened: {r.recurrence.explanation}')
