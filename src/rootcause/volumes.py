"""Denominators: contacts and orders per ISO week (and channel), so rates can be per 1,000.

A complaint count that doubles means little if orders doubled too. `rootcause volumes import
FILE` reads a CSV with `week` (YYYY-Www) and `contacts` and/or `orders`, optionally per
`channel`. The import is all or nothing, like the review import: every row is checked first and
every problem is reported by line. Importing a week again replaces its figures (an upsert), so a
corrected file can simply be loaded again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import delete, func, select
from sqlmodel import Session, col

from rootcause import csvrows
from rootcause.errors import InputError
from rootcause.models import Volume, utcnow
from rootcause.period import IsoWeek


@dataclass(frozen=True)
class VolumeImport:
    rows: int
    weeks: int


def _count(raw: str | None, name: str, line: int, problems: list[str]) -> int | None:
    text = (raw or "").strip().replace(",", "")
    if not text:
        return None
    if not text.isdigit():
        problems.append(f"line {line}: {name} {raw!r} is not a whole number")
        return None
    return int(text)


def import_volumes(path: Path, *, session: Session) -> VolumeImport:
    """Upsert every row of `path`; raise InputError listing every problem (nothing written)."""
    if not path.is_file():
        raise InputError(path, "no such file")
    rows: dict[tuple[str, str], tuple[int | None, int | None]] = {}
    problems: list[str] = []
    with path.open(newline="", encoding="utf-8-sig") as fh:
        reader = csvrows.DictReader(fh)
        fields = set(reader.fieldnames or ())
        if "week" not in fields:
            raise InputError(path, "no 'week' column", line=1)
        if not fields & {"contacts", "orders"}:
            raise InputError(path, "no 'contacts' or 'orders' column", line=1)
        for row in reader:
            line = reader.record_line
            try:
                week = str(IsoWeek.parse((row.get("week") or "").strip()))
            except ValueError as exc:
                problems.append(f"line {line}: {exc}")
                continue
            channel = (row.get("channel") or "").strip()
            contacts = _count(row.get("contacts"), "contacts", line, problems)
            orders = _count(row.get("orders"), "orders", line, problems)
            if (week, channel) in rows:
                problems.append(f"line {line}: {week} {channel or '(all channels)'} appears twice")
            rows[(week, channel)] = (contacts, orders)
    if problems:
        raise InputError(
            path, f"{len(problems)} bad rows, nothing imported: " + "; ".join(problems[:10])
        )
    now = utcnow()
    keys = list(rows)
    for start in range(0, len(keys), 500):
        chunk = keys[start : start + 500]
        for week, channel in chunk:  # delete + insert: the same upsert on SQLite and PostgreSQL
            session.execute(
                delete(Volume).where(col(Volume.week) == week, col(Volume.channel) == channel)
            )
        session.add_all(
            Volume(week=w, channel=c, contacts=rows[(w, c)][0], orders=rows[(w, c)][1],
                   imported_at=now)
            for w, c in chunk
        )  # fmt: skip
    return VolumeImport(len(rows), len({w for w, _ in rows}))


def weekly_totals(*, session: Session, weeks: Sequence[str]) -> dict[str, tuple[int, int]]:
    """week -> (contacts, orders) summed over channels; weeks without figures are left out.

    Orders are the same for every channel of a week in most exports (orders are not per
    channel), so a week's orders are the largest figure given for it, not the sum."""
    q = (
        select(
            col(Volume.week),
            func.coalesce(func.sum(Volume.contacts), 0),
            func.coalesce(func.max(Volume.orders), 0),
        )
        .where(col(Volume.week).in_(list(weeks)))
        .group_by(col(Volume.week))
    )
    return {w: (int(c), int(o)) for w, c, o in session.execute(q)}
