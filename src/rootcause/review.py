"""The needs-review queue as a spreadsheet round trip: export to CSV, fill `label`, import.

Exported cells that a spreadsheet would run as a formula (starting with = + - @, tab or carriage
return) are prefixed with an apostrophe, and the prefix is removed again on import. An import is
all or nothing: every row is checked first, and one bad row (unknown complaint, unknown cause)
means nothing is written and every problem is reported by line.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlmodel import Session

from rootcause import csvrows, store
from rootcause.errors import InputError

COLUMNS = ("complaint_id", "source", "external_id", "received_at", "channel", "predicted",
           "confidence", "label", "text")  # fmt: skip
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def unsafe_cell(text: str) -> str:
    return text[1:] if text.startswith("'") and text[1:].startswith(_FORMULA_START) else text


def export_queue(path: Path, *, session: Session, limit: int | None = None) -> int:
    """Write the review queue to `path` (atomically); returns the number of rows."""
    rows = store.review_queue(session=session, limit=limit)
    tmp = path.with_name(path.name + ".part")
    with tmp.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(COLUMNS)
        for complaint, verdict in rows:
            writer.writerow([safe_cell(v) for v in (
                complaint.id, complaint.source, complaint.external_id,
                complaint.received_at.isoformat(), complaint.channel, verdict.cause,
                f"{verdict.confidence:.3f}", "", complaint.text_redacted,
            )])  # fmt: skip
    tmp.replace(path)
    return len(rows)


@dataclass(frozen=True)
class ImportOutcome:
    labelled: int
    skipped: int  # rows with an empty label


def import_labels(
    path: Path, *, session: Session, causes: Sequence[str], author: str
) -> ImportOutcome:
    """Add a human label for every row with a `label`; raise InputError listing every problem."""
    if not path.is_file():
        raise InputError(path, "no such file")
    with path.open(newline="", encoding="utf-8-sig") as fh:
        reader = csvrows.DictReader(fh)
        missing = {"complaint_id", "label"} - set(reader.fieldnames or ())
        if missing:
            raise InputError(path, f"no '{sorted(missing)[0]}' column", line=1)
        wanted: list[tuple[int, int, str]] = []
        problems: list[str] = []
        skipped = 0
        for row in reader:
            line = reader.record_line
            label = unsafe_cell((row.get("label") or "").strip())
            if not label:
                skipped += 1
                continue
            raw_id = unsafe_cell((row.get("complaint_id") or "").strip())
            if not raw_id.isdigit():
                problems.append(f"line {line}: complaint_id {raw_id!r} is not a number")
                continue
            if label not in causes:
                problems.append(f"line {line}: unknown cause {label!r}")
                continue
            wanted.append((line, int(raw_id), label))
    found = store.existing_complaint_ids(session=session, ids=[cid for _, cid, _ in wanted])
    problems += [
        f"line {line}: no complaint with id {cid}" for line, cid, _ in wanted if cid not in found
    ]
    if problems:
        known = ", ".join(causes)
        raise InputError(
            path,
            f"{len(problems)} bad rows, nothing imported: "
            + "; ".join(problems[:10])
            + f" (causes: {known})",
        )
    for _, cid, label in wanted:
        store.add_label(
            session=session, complaint_id=cid, cause=label, author=author, origin="review_import"
        )
    return ImportOutcome(len(wanted), skipped)
