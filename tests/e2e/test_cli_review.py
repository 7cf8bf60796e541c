"""The review queue's spreadsheet round trip: safe cells out, all-or-nothing labels in."""

from __future__ import annotations

import csv

from sqlalchemy import select, update
from sqlmodel import Session

from rootcause.models import Classification, Label
from rootcause.pipeline import open_database
from rootcause.review import safe_cell, unsafe_cell
from tests import hostile
from tests.e2e.cli import run_cli


def test_review_cells_that_look_like_formulas_are_neutralised():
    for text in ("=cmd|' /c calc'!A1", "+1 call me", "-5 stars", "@handle hi", "\tx"):
        assert safe_cell(text) == "'" + text and unsafe_cell(safe_cell(text)) == text
    assert safe_cell("plain text") == "plain text" and safe_cell(None) == ""


def test_review_export_then_import_round_trip(env, settings, tmp_path, capsys):
    run_cli(capsys, "ingest", hostile.write(tmp_path / "h.csv"))
    run_cli(capsys, "classify")
    engine = open_database(settings)
    with Session(engine) as session:  # flag every verdict, so the queue is the whole table
        session.execute(update(Classification).values(needs_review=True))
        session.commit()
    out = tmp_path / "queue.csv"
    result = run_cli(capsys, "review", "--export", out)
    assert result.code == 0, result.err
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert len(rows) == hostile.expected()["inserted"]
    formula = next(r for r in rows if "calc" in r["text"])
    assert formula["text"].startswith("'=cmd")
    confidences = [float(r["confidence"]) for r in rows]
    assert confidences == sorted(confidences)  # least sure first

    rows[0]["label"], rows[1]["label"] = "agent_error", "not_a_cause"
    rows[2]["label"] = "order_mixup"
    rows[1]["text"] += "\nas a spreadsheet keeps a line break"  # the bad row spans two lines
    bad = tmp_path / "bad.csv"
    with bad.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    result = run_cli(capsys, "review", "--import", bad)
    assert result.code == 2
    # The line is where the bad row starts in the file (the line after the row before it
    # ends), not where its two-line text ends.
    with bad.open(newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh)
        next(reader)
        ends = [reader.line_num for _ in reader]
    assert ends[1] > ends[0] + 1
    expected = f"1 bad rows, nothing imported: line {ends[0] + 1}: unknown cause 'not_a_cause'"
    assert expected in result.err
    with Session(engine) as session:
        assert session.scalars(select(Label)).all() == []

    rows[1]["label"] = "process_gap"
    with bad.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    result = run_cli(capsys, "review", "--import", bad, "--author", "qa")
    assert result.code == 0, result.err
    assert result.out.strip().endswith(f"3 labels imported, {len(rows) - 3} rows left blank")
    with Session(engine) as session:
        labels = session.scalars(select(Label)).all()
    assert {(lb.cause, lb.author, lb.origin) for lb in labels} == {
        ("agent_error", "qa", "review_import"),
        ("process_gap", "qa", "review_import"),
        ("order_mixup", "qa", "review_import"),
    }
    again = run_cli(capsys, "review", "--export", out)
    assert again.out.strip().endswith(f"{len(rows) - 3} complaints to review")  # labelled leave


def test_review_needs_exactly_one_direction(env, capsys):
    result = run_cli(capsys, "review")
    assert result.code == 2 and "exactly one of --export FILE or --import FILE" in result.err
