"""Which growing problems nobody owns: new or growing themes with no open fix, each with the
owner the taxonomy gives the theme's main cause, so a quality lead can assign it in one step.

Theme statuses come from `rootcause.themes` (its one-sided Poisson rule); a theme counts as
owned when an open fix (proposed, in progress, shipped or reopened) is linked to it, as its main
theme or an extra one. A verified
fix does not count: a theme that grows again after one is exactly what should come back here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, select
from sqlmodel import col

from rootcause.db import session_scope
from rootcause.fixes.lifecycle import OPEN_STATUSES, linked_themes
from rootcause.models import Fix
from rootcause.period import IsoWeek
from rootcause.settings import Settings
from rootcause.taxonomy import FALLBACK_CAUSE, Taxonomy, load_taxonomy

if TYPE_CHECKING:
    from rootcause.themes import ThemeRow

SUGGESTED_STATUSES = ("new", "growing")


@dataclass(frozen=True)
class Suggestion:
    theme_id: int
    label: str
    status: str
    count: int  # this week
    trend: tuple[int, ...]
    weeks: tuple[str, ...]
    cause: str  # the theme's main cause over the window
    owner: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def main_cause(causes: dict[str, int], known: tuple[str, ...]) -> str:
    """The theme's most frequent known cause (ties by name); FALLBACK_CAUSE when none."""
    ranked = sorted(
        ((n, c) for c, n in causes.items() if c in known), key=lambda nc: (-nc[0], nc[1])
    )
    return ranked[0][1] if ranked else FALLBACK_CAUSE


def unowned_growing_themes(
    engine: Engine,
    settings: Settings,
    week: IsoWeek,
    *,
    taxonomy: Taxonomy | None = None,
    themes: Sequence[ThemeRow] | None = None,
) -> list[Suggestion]:
    """New or growing themes in `week` without an open fix, busiest first. `themes` are the
    week's rows when the caller already read them (the report does)."""
    from rootcause.themes import week_themes

    taxonomy = taxonomy or load_taxonomy(settings.taxonomy_path)
    if themes is None:
        themes = week_themes(engine, settings, week)
    rows = [r for r in themes if r.status in SUGGESTED_STATUSES]
    if not rows:
        return []
    with session_scope(engine) as session:
        q = select(Fix).where(
            col(Fix.theme_id).is_not(None),
            col(Fix.status).in_([s.value for s in OPEN_STATUSES]),
        )
        owned = {t for fix in session.scalars(q) for t in linked_themes(session=session, fix=fix)}
    out = []
    for row in rows:
        if row.id in owned:
            continue
        cause = main_cause(row.causes, taxonomy.cause_names)
        out.append(
            Suggestion(
                theme_id=row.id,
                label=row.label,
                status=row.status,
                count=row.count,
                trend=row.trend,
                weeks=row.weeks,
                cause=cause,
                owner=taxonomy.cause(cause).owner,
            )
        )
    return sorted(out, key=lambda s: (-s.count, s.theme_id))
