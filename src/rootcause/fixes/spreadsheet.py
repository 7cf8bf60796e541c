"""The fix register as a spreadsheet round trip, for owners who live in Excel.

Export writes one row per fix; cells a spreadsheet would run as a formula are neutralised with
the review queue's helpers. Import is all or nothing, like the review import: every row is
checked first (dates, statuses and their transitions, causes, themes, duplicate ids), and one
bad row means nothing changes and every problem is reported by file and line. A row with an
empty `id` adds a fix; a row with an id updates only the columns whose value changed, each
change logged as an event by the importing actor. A column left out of the file is left alone.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from rootcause import csvrows
from rootcause.errors import InputError, RootcauseError
from rootcause.fixes.criterion import parse_criterion
from rootcause.fixes.fields import parse_optional_date, parse_status
from rootcause.fixes.lifecycle import (
    add_fix,
    extra_themes,
    get_fix,
    update_fix,
    validate_changes,
    validate_new_fix,
)
from rootcause.models import Fix, utcnow
from rootcause.review import safe_cell, unsafe_cell

COLUMNS = ("id", "title", "owner", "status", "theme_id", "extra_themes", "cause", "due",
           "shipped", "criterion", "description")  # fmt: skip
_LIST_SPLIT = re.compile(r"[;,\s]+")
MAX_REPORTED = 10


def export_fixes(path: Path, *, session: Session) -> int:
    """Write every fix to `path` (atomically, via a .part file); returns the number of rows."""
    fixes = list(session.scalars(select(Fix).order_by(col(Fix.id))))
    tmp = path.with_name(path.name + ".part")
    with tmp.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(COLUMNS)
        for f in fixes:
            extra = ";".join(str(t) for t in extra_themes(session=session, fix=f))
            writer.writerow([safe_cell(v) for v in (
                f.id, f.title, f.owner, f.status, f.theme_id, extra, f.cause,
                f.due.isoformat() if f.due else "", f.shipped.isoformat() if f.shipped else "",
                f.success_criterion, f.description,
            )])  # fmt: skip
    tmp.replace(path)
    return len(fixes)


@dataclass(frozen=True)
class FixImport:
    created: int
    updated: int
    unchanged: int


@dataclass(frozen=True)
class _Row:
    line: int
    fix_id: int | None
    values: dict[str, Any]


def _values(row: dict[str, str | None], columns: Sequence[str]) -> dict[str, Any]:
    """Typed values of the editable columns present; raises RootcauseError on a bad cell."""
    cell = {c: unsafe_cell((row.get(c) or "").strip()) for c in columns}
    out: dict[str, Any] = {}
    for name in columns:
        text = cell[name]
        if name in ("title", "owner", "description"):
            out[name] = text
        elif name == "status":
            if text:  # an empty status leaves it as it is (a new fix: proposed)
                out[name] = parse_status(text).value
        elif name in ("due", "shipped"):
            out[name] = parse_optional_date(text, name)
        elif name == "criterion":
            out[name] = parse_criterion(text)
        elif name == "theme_id":
            if text and not text.isdigit():
                raise RootcauseError(f"theme_id {text!r} is not a number")
            out[name] = int(text) if text else None
        elif name == "cause":
            out[name] = text or None
        elif name == "extra_themes":
            items = [t for t in _LIST_SPLIT.split(text) if t]
            bad = [t for t in items if not t.isdigit()]
            if bad:
                raise RootcauseError(f"extra_themes {text!r}: {bad[0]!r} is not a theme id")
            out[name] = [int(t) for t in items]
    return out


def _read(path: Path) -> tuple[list[str], list[tuple[int, dict[str, str | None]]]]:
    if not path.is_file():
        raise InputError(path, "no such file")
    try:
        with path.open(newline="", encoding="utf-8-sig") as fh:
            reader = csvrows.DictReader(fh)
            header = [h.strip() for h in reader.fieldnames or ()]
            if "id" not in header:
                raise InputError(
                    path, "no 'id' column (export one with `rootcause fix export`)", line=1
                )
            reader.fieldnames = header
            return header, [(reader.record_line, dict(r)) for r in reader]
    except UnicodeDecodeError:
        raise InputError(path, "not UTF-8 text; save the sheet as CSV UTF-8") from None
    except csv.Error as exc:
        raise InputError(path, f"not a readable CSV file: {exc}") from None


def import_fixes(
    path: Path,
    *,
    session: Session,
    causes: Sequence[str],
    actor: str,
    now: datetime | None = None,
) -> FixImport:
    """Check every row, then apply them all; raise InputError listing the bad rows (by line)
    and change nothing when any row is bad."""
    now = now or utcnow()
    header, raw_rows = _read(path)
    columns = [c for c in COLUMNS[1:] if c in header]
    problems: list[str] = []
    rows: list[_Row] = []
    seen: dict[int, int] = {}
    for line, raw in raw_rows:
        if not any((v or "").strip() for v in raw.values() if isinstance(v, str)):
            continue  # a blank line in the sheet
        raw_id = unsafe_cell((raw.get("id") or "").strip())
        try:
            if raw_id and not raw_id.isdigit():
                raise RootcauseError(f"id {raw_id!r} is not a number")
            fix_id = int(raw_id) if raw_id else None
            if fix_id is not None and fix_id in seen:
                raise RootcauseError(f"fix {fix_id} is already on line {seen[fix_id]}")
            values = _values(raw, columns)
            if fix_id is None:
                _check_new(session, values, causes, now)
            else:
                seen[fix_id] = line
                fix = get_fix(session=session, fix_id=fix_id)
                validate_changes(session=session, fix=fix, changes=values, causes=causes, now=now)
            rows.append(_Row(line, fix_id, values))
        except RootcauseError as exc:
            problems.append(f"line {line}: {exc}")
    if problems:
        shown = "; ".join(problems[:MAX_REPORTED])
        more = f" (and {len(problems) - MAX_REPORTED} more)" if len(problems) > MAX_REPORTED else ""
        raise InputError(path, f"{len(problems)} bad rows, nothing imported: {shown}{more}")
    created = updated = unchanged = 0
    for row in rows:
        if row.fix_id is None:
            _create(session, row.values, causes, actor, now)
            created += 1
            continue
        _, event = update_fix(
            session=session,
            fix_id=row.fix_id,
            changes=row.values,
            actor=actor,
            causes=causes,
            note=f"imported from {path.name}, line {row.line}",
            now=now,
        )
        updated += event is not None
        unchanged += event is None
    return FixImport(created, updated, unchanged)


def _check_new(
    session: Session, values: dict[str, Any], causes: Sequence[str], now: datetime
) -> None:
    """A row without an id adds a fix: the checks `add_fix` makes, plus a consistent status."""
    status, shipped = values.get("status"), values.get("shipped")
    if status not in (None, "proposed", "shipped"):
        raise RootcauseError(f"a new fix starts as proposed or shipped, not {status}")
    if status == "shipped" and shipped is None:
        raise RootcauseError("a new shipped fix needs its ship date in 'shipped'")
    if status == "proposed" and shipped is not None:
        raise RootcauseError("a fix with a ship date is shipped, not proposed")
    validate_new_fix(
        session=session,
        title=values.get("title") or "",
        owner=values.get("owner") or "",
        causes=causes,
        theme_id=values.get("theme_id"),
        cause=values.get("cause"),
        shipped=shipped,
        extra_theme_ids=values.get("extra_themes") or (),
        now=now,
    )


def _create(
    session: Session, values: dict[str, Any], causes: Sequence[str], actor: str, now: datetime
) -> Fix:
    kwargs: dict[str, Any] = {k: values[k] for k in ("theme_id", "cause", "due", "shipped")
                              if values.get(k) is not None}  # fmt: skip
    if "criterion" in values:
        kwargs["criterion"] = values["criterion"]
    if values.get("extra_themes"):
        kwargs["extra_theme_ids"] = values["extra_themes"]
    return add_fix(
        session=session,
        title=values["title"],
        owner=values["owner"],
        causes=causes,
        actor=actor,
        description=values.get("description") or "",
        now=now.astimezone(UTC),
        **kwargs,
    )
