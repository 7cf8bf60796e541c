"""A fix's life: proposed -> in_progress -> shipped -> verified | ineffective, or abandoned,
and reopened when the problem comes back. Every change writes a `FixEvent` (who, when, what,
old and new values), so the register can always say how a fix got where it is.

    proposed     -> in_progress, shipped, abandoned
    in_progress  -> shipped, abandoned
    shipped      -> verified, ineffective, reopened
    verified     -> reopened            (the theme came back)
    ineffective  -> reopened            (the owner tries again)
    reopened     -> in_progress, shipped, abandoned
    abandoned    (final)

A fix is shipped on a date (today unless given); giving a ship date to a fix that has not
shipped ships it. Functions take a keyword-only `session=` and never commit.

A fix is linked to a theme (`Fix.theme_id`) and/or a cause. A problem can show up in more than
one theme (after a fix, customers often describe the same failure in new words), so a fix may
also carry extra themes; they live in the event log (`changes.extra_themes`, or the created
event's values), the newest entry winning, and are measured together with the main theme.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from rootcause.errors import ConfigError, RootcauseError
from rootcause.fixes.criterion import DEFAULT_CRITERION, Criterion, parse_criterion
from rootcause.fixes.errors import TransitionError, UnknownFixError
from rootcause.fixes.fields import MAX_OWNER, MAX_TITLE, check_cause, clean_text, parse_status
from rootcause.models import Fix, FixEvent, FixStatus, Theme, utcnow

S = FixStatus
TRANSITIONS: dict[FixStatus, tuple[FixStatus, ...]] = {
    S.proposed: (S.in_progress, S.shipped, S.abandoned),
    S.in_progress: (S.shipped, S.abandoned),
    S.shipped: (S.verified, S.ineffective, S.reopened),
    S.verified: (S.reopened,),
    S.ineffective: (S.reopened,),
    S.reopened: (S.in_progress, S.shipped, S.abandoned),
    S.abandoned: (),
}
OPEN_STATUSES = frozenset({S.proposed, S.in_progress, S.shipped, S.reopened})
UNSHIPPED = frozenset({S.proposed, S.in_progress, S.reopened})  # the ones that can be overdue
CLOSING = (S.verified, S.ineffective, S.abandoned)
# Statuses with a ship date whose effect is measured (reopened: the last shipment's effect).
MEASURED = frozenset({S.shipped, S.verified, S.ineffective, S.reopened})
EDITABLE = ("title", "owner", "description", "status", "due", "shipped", "criterion",
            "theme_id", "cause", "extra_themes")  # fmt: skip
SPECIAL = ("criterion", "extra_themes")  # not plain Fix attributes
SYSTEM_ACTOR = "rootcause"


def allowed_next(status: str) -> tuple[FixStatus, ...]:
    return TRANSITIONS[FixStatus(status)]


def get_fix(*, session: Session, fix_id: int) -> Fix:
    fix = session.get(Fix, fix_id)
    if fix is None:
        raise UnknownFixError(fix_id)
    return fix


def fix_events(*, session: Session, fix_id: int) -> list[FixEvent]:
    """A fix's event log, oldest first."""
    q = select(FixEvent).where(col(FixEvent.fix_id) == fix_id).order_by(col(FixEvent.id))
    return list(session.scalars(q))


def _jsonable(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    return value.value if isinstance(value, FixStatus) else value


def _check_theme(session: Session, theme_id: int) -> None:
    from rootcause.themes.queries import get_theme

    theme: Theme = get_theme(session=session, theme_id=theme_id)
    if theme.merged_into_id is not None:
        raise RootcauseError(
            f"theme {theme_id} was merged into theme {theme.merged_into_id}; link the fix to that"
        )


def _check_extra_themes(session: Session, theme_id: int | None, extra: Sequence[int]) -> list[int]:
    """Extra themes, checked: each registered and not merged, distinct, beside a main theme."""
    out: list[int] = []
    for t in extra:
        if t == theme_id or t in out:
            continue
        _check_theme(session, int(t))
        out.append(int(t))
    if out and theme_id is None:
        raise ConfigError("extra themes need a main theme (the first --theme)")
    return out


def _survivor(session: Session, theme_id: int) -> int:
    """The theme a (possibly merged) theme lives on as."""
    seen = {theme_id}
    theme = session.get(Theme, theme_id)
    while theme is not None and theme.merged_into_id is not None:
        if theme.merged_into_id in seen:
            break
        seen.add(theme.merged_into_id)
        theme = session.get(Theme, theme.merged_into_id)
    return theme.id if theme is not None and theme.id is not None else theme_id


def extra_themes(*, session: Session, fix: Fix) -> list[int]:
    """The fix's extra themes from its event log (merged ones followed to their survivor)."""
    assert fix.id is not None
    found: list[int] = []
    for event in reversed(fix_events(session=session, fix_id=fix.id)):
        change = event.details.get("changes", {}).get("extra_themes")
        if change is not None:
            found = list(change.get("new") or [])
            break
        if event.action == "created":
            found = list(event.details.get("values", {}).get("extra_themes") or [])
            break
    out: list[int] = []
    for t in found:
        alive = _survivor(session, int(t))
        if alive != fix.theme_id and alive not in out:
            out.append(alive)
    return out


def linked_themes(*, session: Session, fix: Fix) -> list[int]:
    """The main theme, then the extra ones: every theme the fix is measured on."""
    if fix.theme_id is None:
        return []
    return [fix.theme_id, *extra_themes(session=session, fix=fix)]


def _check_ship_date(shipped: date, today: date) -> None:
    if shipped > today:
        raise ConfigError(
            f"ship date {shipped.isoformat()} is in the future; a fix is shipped when it is live "
            "(plan it with --due)"
        )


def _log(
    session: Session, fix: Fix, *, actor: str, action: str, details: dict[str, Any], at: datetime
) -> FixEvent:
    assert fix.id is not None
    event = FixEvent(fix_id=fix.id, at=at, actor=actor, action=action, details=details)
    session.add(event)
    return event


def validate_new_fix(
    *,
    session: Session,
    title: str,
    owner: str,
    causes: Sequence[str],
    theme_id: int | None = None,
    cause: str | None = None,
    shipped: date | None = None,
    extra_theme_ids: Sequence[int] = (),
    now: datetime | None = None,
) -> tuple[str, str, list[int]]:
    """The checks `add_fix` makes, without writing; returns the cleaned title and owner, and
    the extra themes."""
    if theme_id is None and cause is None:
        raise ConfigError("a fix needs a theme (--theme ID) or a cause (--cause CAUSE)")
    if theme_id is not None:
        _check_theme(session, theme_id)
    extra = _check_extra_themes(session, theme_id, extra_theme_ids)
    if cause is not None:
        check_cause(cause, causes)
    if shipped is not None:
        _check_ship_date(shipped, (now or utcnow()).astimezone(UTC).date())
    return clean_text(title, "title", MAX_TITLE), clean_text(owner, "owner", MAX_OWNER), extra


def add_fix(
    *,
    session: Session,
    title: str,
    owner: str,
    causes: Sequence[str],
    actor: str,
    theme_id: int | None = None,
    cause: str | None = None,
    description: str = "",
    due: date | None = None,
    shipped: date | None = None,
    criterion: Criterion = DEFAULT_CRITERION,
    extra_theme_ids: Sequence[int] = (),
    now: datetime | None = None,
) -> Fix:
    """Register a fix linked to a theme (plus extra themes) and/or a cause (with both, it
    counts the themes' complaints of that cause). A ship date makes it shipped from the start."""
    now = now or utcnow()
    title, owner, extra = validate_new_fix(
        session=session,
        title=title,
        owner=owner,
        causes=causes,
        theme_id=theme_id,
        cause=cause,
        shipped=shipped,
        extra_theme_ids=extra_theme_ids,
        now=now,
    )
    fix = Fix(
        title=title,
        description=description.strip(),
        owner=owner,
        theme_id=theme_id,
        cause=cause,
        status=(S.shipped if shipped else S.proposed).value,
        success_criterion=criterion.text,
        due=due,
        shipped=shipped,
        created_at=now,
        updated_at=now,
    )
    session.add(fix)
    session.flush()
    values = {k: _jsonable(_current(fix, k)) for k in EDITABLE if k not in SPECIAL}
    values["criterion"] = criterion.as_dict()
    values["extra_themes"] = extra
    _log(session, fix, actor=actor, action="created", details={"values": values}, at=now)
    return fix


def _current(fix: Fix, name: str) -> Any:
    return fix.success_criterion if name == "criterion" else getattr(fix, name)


def _clean(session: Session, name: str, value: Any, causes: Sequence[str]) -> Any:
    """One field's new value in its stored form; raises on a bad one."""
    if name in ("title", "owner"):
        return clean_text(value, name, MAX_TITLE if name == "title" else MAX_OWNER)
    if name == "description":
        return (value or "").strip()
    if name == "status":
        return parse_status(str(value)).value
    if name == "criterion":
        return (value if isinstance(value, Criterion) else parse_criterion(value)).text
    if name == "theme_id" and value is not None:
        _check_theme(session, int(value))
    elif name == "cause" and value is not None:
        check_cause(value, causes)
    return value


def _ship_and_status(
    fix: Fix, changes: Mapping[str, Any], new: dict[str, Any], today: date
) -> None:
    """Complete `new` with the status a ship date implies and the date shipping needs, and
    refuse a transition the lifecycle does not allow."""
    current = FixStatus(fix.status)
    status = FixStatus(new.get("status", current))
    if "shipped" in new and new["shipped"] is not None:
        _check_ship_date(new["shipped"], today)
        if "status" not in changes and current in UNSHIPPED | {S.abandoned}:
            status = S.shipped  # giving a ship date ships it
    if status is S.shipped and current is not S.shipped:
        ship = changes.get("shipped") or today
        _check_ship_date(ship, today)
        if ship != fix.shipped:
            new["shipped"] = ship
    elif "shipped" in new and status in UNSHIPPED:
        raise ConfigError(
            f"fix {fix.id} would be {status.value}: a ship date goes with status shipped or later"
        )
    if status is not current:
        if status not in TRANSITIONS[current]:
            raise TransitionError(
                int(fix.id or 0),
                fix.title,
                current.value,
                status.value,
                [s.value for s in TRANSITIONS[current]],
            )
        new["status"] = status.value


def _normalise(
    session: Session, fix: Fix, changes: Mapping[str, Any], causes: Sequence[str], today: date
) -> dict[str, Any]:
    """Validated new values (only those that differ), with the status implied by a ship date."""
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise ConfigError(f"a fix has no field {sorted(unknown)[0]!r}")
    new: dict[str, Any] = {}
    for name, given in changes.items():
        if name == "extra_themes":
            continue  # checked below, against the main theme it will have
        value = _clean(session, name, given, causes)
        if value != _current(fix, name):
            new[name] = value
    if "extra_themes" in changes:
        theme_id = new.get("theme_id", fix.theme_id)
        extra = _check_extra_themes(session, theme_id, changes["extra_themes"] or ())
        if extra != extra_themes(session=session, fix=fix):
            new["extra_themes"] = extra
    _ship_and_status(fix, changes, new, today)
    if "theme_id" in new or "cause" in new:
        theme_id = new.get("theme_id", fix.theme_id)
        if theme_id is None and new.get("cause", fix.cause) is None:
            raise ConfigError(f"fix {fix.id} needs a theme or a cause")
        if (
            theme_id is None
            and "extra_themes" not in changes
            and extra_themes(session=session, fix=fix)
        ):
            new["extra_themes"] = []  # no main theme, no extra ones
    return new


def update_fix(
    *,
    session: Session,
    fix_id: int,
    changes: Mapping[str, Any],
    actor: str,
    causes: Sequence[str] = (),
    note: str | None = None,
    extra: Mapping[str, Any] | None = None,
    now: datetime | None = None,
) -> tuple[Fix, FixEvent | None]:
    """Apply `changes` (field -> new value; None clears an optional field) after checking every
    one; returns the fix and the event written (None when nothing changed). A refused status
    change raises TransitionError and changes nothing."""
    now = now or utcnow()
    fix = get_fix(session=session, fix_id=fix_id)
    new = validate_changes(session=session, fix=fix, changes=changes, causes=causes, now=now)
    if not new:
        return fix, None
    before = {k: extra_themes(session=session, fix=fix) if k == "extra_themes"
              else _jsonable(_current(fix, k)) for k in new}  # fmt: skip
    diff = {k: {"old": before[k], "new": _jsonable(v)} for k, v in new.items()}
    for name, value in new.items():
        if name != "extra_themes":  # kept in the event log only
            setattr(fix, "success_criterion" if name == "criterion" else name, value)
    fix.updated_at = now
    session.add(fix)
    details: dict[str, Any] = {"changes": diff}
    if note:
        details["note"] = note
    if extra:
        details.update(extra)
    action = "status" if "status" in new else "updated"
    event = _log(session, fix, actor=actor, action=action, details=details, at=now)
    session.flush()
    return fix, event


def validate_changes(
    *,
    session: Session,
    fix: Fix,
    changes: Mapping[str, Any],
    causes: Sequence[str] = (),
    now: datetime | None = None,
) -> dict[str, Any]:
    """What `update_fix` would change, or the error it would raise; changes nothing."""
    today = (now or utcnow()).astimezone(UTC).date()
    return _normalise(session, fix, changes, causes, today)


def close_fix(
    *,
    session: Session,
    fix_id: int,
    status: str,
    actor: str,
    note: str | None = None,
    evidence: Mapping[str, Any] | None = None,
    now: datetime | None = None,
) -> tuple[Fix, FixEvent | None]:
    """Close a fix as verified, ineffective or abandoned; `evidence` (the verdict and figures
    at the time) is kept in the event, so a later reader sees what the decision rested on."""
    if status not in {s.value for s in CLOSING}:
        raise ConfigError(f"a fix is closed as verified, ineffective or abandoned, not {status!r}")
    extra = {"evidence": dict(evidence)} if evidence else None
    return update_fix(
        session=session,
        fix_id=fix_id,
        changes={"status": status},
        actor=actor,
        note=note,
        extra=extra,
        now=now,
    )


def verified_at(*, session: Session, fix_id: int) -> datetime | None:
    """When the fix last became verified (from its event log)."""
    for event in reversed(fix_events(session=session, fix_id=fix_id)):
        change = event.details.get("changes", {}).get("status", {})
        if change.get("new") == S.verified.value:
            return event.at
    return None


def is_overdue(fix: Fix, today: date) -> bool:
    return fix.due is not None and fix.due < today and FixStatus(fix.status) in UNSHIPPED
