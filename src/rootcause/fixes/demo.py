"""The demo's two fixes (data/fixtures/demo/fixes.json), linked to the themes that hold their
stories, so `make report` shows one fix that worked and one that changed nothing.

Theme ids are whatever the fit gave, so each fix is linked to the theme holding most of its
story's complaints in the latest mined window: truth.csv names each complaint's story by
(source, external id). A story can also land in other themes, notably after its fix ships:
once the billing line offers a call-back, customers complain that the call-back never came,
and the fit puts those with other promised call-backs. Measured on its main theme alone, that
fix would look as if it worked. So any other theme holding a large part of the story's
complaints before or after the ship week (`EXTRA_SHARE`, at least `EXTRA_MIN` complaints) is
linked as an extra theme. Before any themes are mined, the fix is linked to the story's cause.
"""

from __future__ import annotations

import csv
import json
from collections import Counter
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select, tuple_
from sqlmodel import Session, col

from rootcause.db import session_scope
from rootcause.errors import InputError
from rootcause.fixes.lifecycle import add_fix
from rootcause.models import Complaint, Fix, ThemeAssignment
from rootcause.period import IsoWeek
from rootcause.resources import demo_dir
from rootcause.settings import Settings
from rootcause.taxonomy import load_taxonomy

DEMO_ACTOR = "demo"
EXTRA_SHARE = 0.15
EXTRA_MIN = 5


def _read_fixes(folder: Path) -> list[dict[str, Any]]:
    path = folder / "fixes.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError:
        raise InputError(path, "demo data missing from this installation") from None
    except json.JSONDecodeError as exc:
        raise InputError(path, f"not valid JSON: {exc.msg}", line=exc.lineno) from None
    if not isinstance(data, list):
        raise InputError(path, "expected a list of fixes")
    return data


def _story_keys(folder: Path, story: str) -> list[tuple[str, str]]:
    """(source, external id) of every complaint of one story."""
    path = folder / "truth.csv"
    if not path.is_file():
        raise InputError(path, "demo data missing from this installation")
    with path.open(newline="", encoding="utf-8") as fh:
        return [(r["source"], r["id"]) for r in csv.DictReader(fh) if r["theme"] == story]


def story_themes(
    session: Session, keys: Sequence[tuple[str, str]], weeks: Sequence[str], ship: IsoWeek
) -> list[int]:
    """The main theme of a story (most of its complaints in `weeks`, lowest id on a tie), then
    the extra ones (see the module docstring); empty when none of it is mined."""
    if not keys or not weeks:
        return []
    q = (
        select(col(ThemeAssignment.theme_id), col(Complaint.week))
        .join(Complaint, col(Complaint.id) == col(ThemeAssignment.complaint_id))
        .where(
            tuple_(col(Complaint.source), col(Complaint.external_id)).in_(list(keys)),
            col(Complaint.week).in_(list(weeks)),
            col(ThemeAssignment.theme_id).is_not(None),
        )
    )
    found = [(int(t), IsoWeek.parse(w)) for t, w in session.execute(q) if t is not None]
    votes = Counter(t for t, _ in found)
    if not votes:
        return []
    main = min(votes, key=lambda t: (-votes[t], t))
    extra: set[int] = set()
    for side in ([t for t, w in found if w < ship], [t for t, w in found if w > ship]):
        for theme, n in Counter(side).items():
            if theme != main and n >= EXTRA_MIN and n >= EXTRA_SHARE * len(side):
                extra.add(theme)
    return [main, *sorted(extra)]


def register_demo_fixes(engine: Engine, settings: Settings) -> list[Fix]:
    """Add the demo fixes that are not there yet (matched by title); returns those added."""
    from rootcause.themes.queries import latest_mined_week

    folder = demo_dir()
    causes = load_taxonomy(settings.taxonomy_path).cause_names
    added: list[Fix] = []
    with session_scope(engine) as session:
        existing = set(session.scalars(select(col(Fix.title))))
        latest = latest_mined_week(session=session)
        weeks = (
            [str(w) for w in IsoWeek.parse(latest).window(settings.themes.window_weeks)]
            if latest
            else []
        )
        for spec in _read_fixes(folder):
            if spec["title"] in existing:
                continue
            shipped = date.fromisoformat(spec["shipped"]) if spec.get("shipped") else None
            ship = IsoWeek.of(shipped or date.today())
            themes = story_themes(session, _story_keys(folder, spec["theme"]), weeks, ship)
            theme_id = themes[0] if themes else None
            fix = add_fix(
                session=session,
                title=spec["title"],
                owner=spec["owner"],
                causes=causes,
                actor=DEMO_ACTOR,
                theme_id=theme_id,
                cause=None if theme_id is not None else spec["cause"],
                description=f"Demo fix for the '{spec['theme']}' story.",
                due=date.fromisoformat(spec["due"]) if spec.get("due") else None,
                shipped=shipped,
                extra_theme_ids=themes[1:],
            )
            added.append(fix)
    return added
