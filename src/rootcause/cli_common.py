"""What every command module shares: JSON output, settings from the root options, option types.

The root command (`cli.py`) owns `--database-url`; sub-apps read it from the click context, so
`rootcause --database-url URL fix list` and `rootcause fix list` with ROOTCAUSE_DATABASE_URL
behave alike.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer

from rootcause.settings import Settings, load_settings

WeekOpt = Annotated[
    str | None,
    typer.Option(
        "--week", help="ISO week, e.g. 2026-W47 (default: the latest complete week in the data)."
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]


def echo_json(data: Any) -> None:
    typer.echo(json.dumps(data, indent=None, ensure_ascii=False, default=str))


def settings_from(ctx: typer.Context, **overrides: Any) -> Settings:
    """Settings with the root command's `--database-url` and any non-None `overrides`."""
    merged: dict[str, Any] = {k: v for k, v in overrides.items() if v is not None}
    database_url = ctx.find_root().params.get("database_url")
    if database_url:
        merged["database_url"] = database_url
    return load_settings(merged or None)
