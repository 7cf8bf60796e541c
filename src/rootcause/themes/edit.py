"""What a person changes in the registry: a theme's label, and two themes that are one."""

from __future__ import annotations

from sqlalchemy import Engine

from rootcause.db import session_scope
from rootcause.errors import RootcauseError
from rootcause.models import Theme, utcnow
from rootcause.themes import queries

MAX_LABEL = 200


def rename_theme(engine: Engine, theme_id: int, label: str) -> Theme:
    """Set a theme's label and lock it, so later fits keep it (they still update keywords)."""
    label = " ".join(label.split())
    if not label:
        raise RootcauseError("a theme label cannot be empty")
    if len(label) > MAX_LABEL:
        raise RootcauseError(f"a theme label has at most {MAX_LABEL} characters")
    with session_scope(engine) as session:
        theme = queries.get_theme(session=session, theme_id=theme_id)
        if theme.merged_into_id is not None:
            raise RootcauseError(
                f"theme {theme_id} was merged into {theme.merged_into_id}; rename that one"
            )
        theme.label = label
        theme.label_locked = True
        theme.updated_at = utcnow()
        session.add(theme)
    return theme


def merge_themes(engine: Engine, into_id: int, from_id: int) -> Theme:
    """Merge theme `from_id` into `into_id`: its complaints and fixes move, it points at the
    survivor (`merged_into_id`), and later fits map anything like it to the survivor."""
    if into_id == from_id:
        raise RootcauseError(f"cannot merge theme {into_id} into itself")
    with session_scope(engine) as session:
        target = queries.get_theme(session=session, theme_id=into_id)
        source = queries.get_theme(session=session, theme_id=from_id)
        for theme in (target, source):
            if theme.merged_into_id is not None:
                raise RootcauseError(
                    f"theme {theme.id} was already merged into {theme.merged_into_id}"
                )
        now = utcnow()
        queries.move_theme(session=session, source=from_id, target=into_id, now=now)
        source.merged_into_id = into_id
        source.updated_at = now
        target.first_seen_week = min(target.first_seen_week, source.first_seen_week)
        target.last_seen_week = max(target.last_seen_week, source.last_seen_week)
        target.updated_at = now
        session.add_all([source, target])
    return target
