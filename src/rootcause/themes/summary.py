"""The themes of a week as the report and the CLI show them, read from the stored fit.

Nothing here fits a model or imports BERTopic: counts, trends, statuses, cause mixes and
representative complaints are all queries over `theme`, `themeassignment`, `complaint`,
`classification` and `label`, so every figure can be traced to the database.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine

from rootcause.db import session_scope
from rootcause.period import IsoWeek
from rootcause.settings import Settings
from rootcause.themes import queries
from rootcause.themes.queries import Representative
from rootcause.themes.status import StatusVerdict, status_rule, theme_status


@dataclass(frozen=True)
class ThemeRow:
    """One theme in one week. `trend` is the weekly count over `weeks` (oldest first), `count`
    this week's; `causes` is the cause mix of its complaints over the whole window."""

    id: int
    label: str
    label_locked: bool
    keywords: tuple[str, ...]
    weeks: tuple[str, ...]
    trend: tuple[int, ...]
    count: int
    verdict: StatusVerdict
    first_seen_week: str
    last_seen_week: str
    causes: dict[str, int]
    representatives: tuple[Representative, ...] = ()

    @property
    def status(self) -> str:
        return self.verdict.status.value

    @property
    def window_count(self) -> int:
        return sum(self.trend)

    def as_dict(self) -> dict[str, Any]:
        """The `rootcause themes --json` contract for one theme."""
        return {
            "id": self.id,
            "label": self.label,
            "keywords": list(self.keywords),
            "causes": dict(self.causes),
            "count": self.count,
            "trend": list(self.trend),
            "status": self.status,
        }


@dataclass(frozen=True)
class WeekThemes:
    """A week's themes plus the totals around them. `complaints`/`unassigned` are this week's."""

    week: str
    weeks: tuple[str, ...]
    complaints: int
    unassigned: int
    window_complaints: int
    window_unassigned: int
    themes: tuple[ThemeRow, ...]
    rule: str
    mined: bool = True
    # The window's classified complaints per (week, cause), counted with the themes when the
    # window is mined and details were asked for; else empty (see `WindowTally.week_causes`).
    week_causes: dict[tuple[str, str], int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "week": self.week,
            "complaints": self.complaints,
            "unassigned": self.unassigned,
            "themes": [t.as_dict() for t in self.themes],
        }


@dataclass(frozen=True)
class ThemeDetail:
    """A registered theme and, if it had complaints in the window ending at `week`, its row."""

    id: int
    label: str
    label_locked: bool
    keywords: tuple[str, ...]
    first_seen_week: str
    last_seen_week: str
    merged_into: int | None
    week: str | None
    row: ThemeRow | None


def window_mined(engine: Engine, settings: Settings, week: IsoWeek) -> bool:
    """Whether the window ending at `week` is mined as it stands (`WeekThemes.mined`), without
    building the summary: at a million complaints that took as long as a third of a mining."""
    weeks = [str(w) for w in week.window(settings.themes.window_weeks)]
    with session_scope(engine) as session:
        return queries.window_is_mined(session=session, week=str(week), weeks=weeks)


def week_summary(
    engine: Engine,
    settings: Settings,
    week: IsoWeek,
    *,
    details: bool = True,
    tally: queries.WindowTally | None = None,
) -> WeekThemes:
    """Every theme with complaints in the window ending at `week`, busiest this week first.

    `details=False` leaves out each theme's cause mix and representative complaints (empty),
    which a table of counts and trends does not show: at a million complaints the causes
    alone were half the time. With `details=False`, `tally` gives the window's counts when the
    caller has them (`ThemeRun.tally()` right after mining) instead of counting a million rows
    again; with details it is counted anyway, since a handed tally has no cause mix.
    """
    cfg = settings.themes
    weeks = [str(w) for w in week.window(cfg.window_weeks)]
    this = str(week)
    with session_scope(engine) as session:
        if tally is None or details:  # a handed tally has no cause mix
            tally = queries.window_tally(session=session, weeks=weeks, week=this, causes=details)
        counts, causes = tally.weekly, tally.causes
        per_week = queries.complaints_per_week(session=session, weeks=weeks)
        total = sum(per_week.values())
        mined = queries.is_mined(total, tally.assigned_now)
        theme_ids = sorted({t for t, _ in counts if t is not None})
        themes = {t: queries.get_theme(session=session, theme_id=t) for t in theme_ids}
        reps = (
            queries.representatives(
                session=session,
                theme_ids=theme_ids,
                weeks=weeks,
                limit=cfg.representatives,
                mined_for=this if mined else None,
            )
            if details
            else {}
        )
    # Weeks without a single complaint (before the data starts, or a gap in the exports) say
    # nothing about a theme's baseline, so the status test leaves them out.
    observed = {w for w in weeks if per_week.get(w, 0) > 0} | {this}
    mix: dict[int, dict[str, int]] = defaultdict(dict)
    for (theme_id, cause), n in sorted(causes.items()):
        mix[theme_id][cause] = n
    rows = []
    for theme_id in theme_ids:
        theme = themes[theme_id]
        trend = tuple(counts.get((theme_id, w), 0) for w in weeks)
        verdict = _verdict(theme.first_seen_week, trend, weeks, observed, settings)
        rows.append(
            ThemeRow(
                id=theme_id,
                label=theme.label,
                label_locked=theme.label_locked,
                keywords=tuple(theme.keywords),
                weeks=tuple(weeks),
                trend=trend,
                count=trend[-1],
                verdict=verdict,
                first_seen_week=theme.first_seen_week,
                last_seen_week=theme.last_seen_week,
                causes=dict(sorted(mix[theme_id].items(), key=lambda kv: (-kv[1], kv[0]))),
                representatives=tuple(reps.get(theme_id, [])),
            )
        )
    rows.sort(key=lambda r: (-r.count, -r.window_count, r.id))
    return WeekThemes(
        week=this,
        weeks=tuple(weeks),
        complaints=per_week.get(this, 0),
        unassigned=per_week.get(this, 0) - sum(r.count for r in rows),
        window_complaints=sum(per_week.values()),
        window_unassigned=sum(per_week.values()) - sum(r.window_count for r in rows),
        themes=tuple(rows),
        rule=status_rule(cfg),
        mined=mined,
        week_causes=dict(tally.week_causes) if mined and details else {},
    )


def _verdict(
    first_seen_week: str,
    trend: tuple[int, ...],
    weeks: list[str],
    observed: set[str],
    settings: Settings,
) -> StatusVerdict:
    kept = [(w, n) for w, n in zip(weeks, trend, strict=True) if w in observed]
    series = [n for _, n in kept]
    first = next((i for i, (w, _) in enumerate(kept) if w >= first_seen_week), None)
    if first is not None and first_seen_week < kept[0][0]:
        first = None  # first seen before the window: not new
    return theme_status(series, first_seen_index=first, settings=settings.themes)


def week_themes(engine: Engine, settings: Settings, week: IsoWeek) -> list[ThemeRow]:
    """The per-theme rows of `week_summary` (what the report's theme pages need)."""
    return list(week_summary(engine, settings, week).themes)


def themes_by_cause(rows: list[ThemeRow], *, top: int = 5) -> dict[str, list[tuple[ThemeRow, int]]]:
    """For each cause, the themes with most complaints of that cause over the window."""
    out: dict[str, list[tuple[ThemeRow, int]]] = defaultdict(list)
    for row in rows:
        for cause, n in row.causes.items():
            out[cause].append((row, n))
    return {
        cause: sorted(items, key=lambda item: (-item[1], item[0].id))[:top]
        for cause, items in sorted(out.items())
    }


def theme_detail(
    engine: Engine, settings: Settings, theme_id: int, week: IsoWeek | None = None
) -> ThemeDetail:
    """One theme in `week` (default: the week of the latest fit); raises UnknownThemeError."""
    with session_scope(engine) as session:
        theme = queries.get_theme(session=session, theme_id=theme_id)
        latest = queries.latest_mined_week(session=session)
    chosen = week or (IsoWeek.parse(latest) if latest else None)
    row = None
    if chosen is not None and theme.merged_into_id is None:
        row = next((r for r in week_themes(engine, settings, chosen) if r.id == theme_id), None)
    return ThemeDetail(
        id=theme_id,
        label=theme.label,
        label_locked=theme.label_locked,
        keywords=tuple(theme.keywords),
        first_seen_week=theme.first_seen_week,
        last_seen_week=theme.last_seen_week,
        merged_into=theme.merged_into_id,
        week=str(chosen) if chosen else None,
        row=row,
    )
