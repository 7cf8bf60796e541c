"""`rootcause themes ...`: the recurring-themes commands, a Typer sub-app.

Registered by `cli.py` with `app.add_typer(themes_app, name="themes")`; this module does not
import `cli.py` (no cycle). Like `cli.py` it only parses arguments, calls `rootcause.themes`
and prints; every RootcauseError it raises becomes one line and an exit code in `cli.main()`.
The global `--database-url` is read from the root command's parameters.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from rootcause.cli_common import JsonOpt, WeekOpt, echo_json, settings_from

themes_app = typer.Typer(
    help="Recurring themes: what keeps coming back, and whether it is growing.",
    invoke_without_command=True,
    rich_markup_mode=None,
)

_SPARK = "▁▂▃▄▅▆▇█"


def _spark(counts: tuple[int, ...]) -> str:
    top = max(counts, default=0)
    if top == 0:
        return _SPARK[0] * len(counts)
    return "".join(_SPARK[round(n / top * (len(_SPARK) - 1))] for n in counts)


@themes_app.callback(invoke_without_command=True)
def themes(
    ctx: typer.Context,
    week: WeekOpt = None,
    refit: Annotated[
        bool, typer.Option("--refit", help="Mine the window again even if it is stored.")
    ] = False,
    refit_embedder: Annotated[
        bool,
        typer.Option(
            "--refit-embedder", help="Also refit the TF-IDF embedder (re-embeds every complaint)."
        ),
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """The week's themes: count, 12-week trend, status, causes. Mines the window when no fit
    for it is stored (or with --refit)."""
    if ctx.invoked_subcommand is not None:
        return
    from rootcause.pipeline import open_database, resolve_week
    from rootcause.themes import mine_themes, week_summary, window_mined

    settings = settings_from(ctx)
    engine = open_database(settings)
    iso = resolve_week(engine, week)
    run = None
    if refit or refit_embedder or not window_mined(engine, settings, iso):
        from rootcause.runlock import run_lock

        with run_lock(engine):
            run = mine_themes(engine, settings, iso, refit_embedder=refit_embedder)
        typer.echo(
            f"mined {run.week}: {run.complaints:,} complaints in {len(run.window)} weeks, "
            f"{len(run.themes)} themes, {run.unassigned_share:.1%} unassigned, "
            f"{run.embedded:,} embedded, model fitted on {run.fitted:,} distinct, "
            f"{run.timings.get('total', 0.0):.1f} s",
            err=True,
        )
    # The table shows no causes or quotes (the JSON has both), and counts what was just mined.
    tally = run.tally() if run is not None else None
    summary = week_summary(engine, settings, iso, details=as_json, tally=tally)
    if as_json:
        echo_json(summary.as_dict())
        return
    share = summary.unassigned / summary.complaints if summary.complaints else 0.0
    typer.echo(
        f"{summary.week}: {summary.complaints:,} complaints, {summary.unassigned:,} unassigned "
        f"({share:.1%}); {len(summary.themes)} themes over {len(summary.weeks)} weeks"
    )
    typer.echo(f"{'id':>5}  {'status':<8} {'count':>5}  {'trend':<{len(summary.weeks)}}  label")
    for row in summary.themes:
        typer.echo(f"{row.id:>5}  {row.status:<8} {row.count:>5}  {_spark(row.trend)}  {row.label}")


@themes_app.command()
def show(
    ctx: typer.Context,
    theme_id: Annotated[int, typer.Argument(help="The theme's id.")],
    week: Annotated[
        str | None,
        typer.Option("--week", help="ISO week (default: the week of the latest fit)."),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """One theme: label, keywords, status, weekly counts, causes, representative complaints."""
    from rootcause.errors import RootcauseError
    from rootcause.period import IsoWeek
    from rootcause.pipeline import open_database
    from rootcause.themes import theme_detail

    settings = settings_from(ctx)
    try:
        iso = IsoWeek.parse(week) if week else None
    except ValueError as exc:
        raise RootcauseError(str(exc)) from None
    detail = theme_detail(open_database(settings), settings, theme_id, iso)
    row = detail.row
    if as_json:
        data: dict[str, Any] = {
            "id": detail.id,
            "label": detail.label,
            "label_locked": detail.label_locked,
            "keywords": list(detail.keywords),
            "merged_into": detail.merged_into,
            "first_seen_week": detail.first_seen_week,
            "last_seen_week": detail.last_seen_week,
            "week": detail.week,
        }
        if row is not None:
            data.update(
                status=row.status,
                count=row.count,
                weeks=list(row.weeks),
                trend=list(row.trend),
                baseline=round(row.verdict.baseline, 3),
                p_growth=row.verdict.p_growth,
                p_fade=row.verdict.p_fade,
                causes=row.causes,
                representatives=[
                    {
                        "complaint_id": r.complaint_id,
                        "week": r.week,
                        "similarity": round(r.similarity, 4),
                        "text": r.text,
                    }
                    for r in row.representatives
                ],
            )
        echo_json(data)
        return
    locked = " (label locked)" if detail.label_locked else ""
    typer.echo(f"theme {detail.id}: {detail.label}{locked}")
    if detail.merged_into is not None:
        typer.echo(f"  merged into theme {detail.merged_into}")
        return
    typer.echo(f"  keywords: {', '.join(detail.keywords)}")
    typer.echo(f"  first seen {detail.first_seen_week}, last seen {detail.last_seen_week}")
    if row is None:
        typer.echo(f"  no complaints in the window ending {detail.week or '(never mined)'}")
        return
    v = row.verdict
    typer.echo(
        f"  {detail.week}: {row.status}, {row.count} complaints "
        f"(baseline {v.baseline:.1f}/week, p(growth) {v.p_growth:.3g}, p(fade) {v.p_fade:.3g})"
    )
    weekly = zip(row.weeks, row.trend, strict=True)
    typer.echo("  weekly: " + ", ".join(f"{w} {n}" for w, n in weekly))
    typer.echo("  causes: " + ", ".join(f"{c} {n}" for c, n in row.causes.items()))
    for r in row.representatives:
        text = " ".join(r.text.split())
        typer.echo(f"  #{r.complaint_id} ({r.week}): {text[:200]}")


@themes_app.command()
def rename(
    ctx: typer.Context,
    theme_id: Annotated[int, typer.Argument(help="The theme's id.")],
    label: Annotated[str, typer.Argument(help='The new label, e.g. "refund delay".')],
) -> None:
    """Set a theme's label; refits keep it from then on."""
    from rootcause.pipeline import open_database
    from rootcause.themes import rename_theme

    settings = settings_from(ctx)
    theme = rename_theme(open_database(settings), theme_id, label)
    typer.echo(f'theme {theme.id}: "{theme.label}" (locked)')


@themes_app.command()
def merge(
    ctx: typer.Context,
    into_id: Annotated[int, typer.Argument(help="The theme that stays.")],
    from_id: Annotated[int, typer.Argument(help="The theme merged into it.")],
) -> None:
    """Merge theme B into theme A: B's complaints and fixes move to A, and later fits map
    anything like B to A."""
    from rootcause.pipeline import open_database
    from rootcause.themes import merge_themes

    settings = settings_from(ctx)
    target = merge_themes(open_database(settings), into_id, from_id)
    typer.echo(f'theme {from_id} merged into {target.id} ("{target.label}")')
