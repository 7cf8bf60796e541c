"""`rootcause ingest` end to end: exact counts on a hostile export, idempotence, exact errors."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select
from sqlmodel import Session

from rootcause.models import Complaint, IngestRun, Quarantine
from rootcause.pipeline import open_database
from rootcause.settings import Settings
from tests import hostile
from tests.e2e.cli import run_cli


def test_ingest_hostile_export_counts_every_row_once(env, settings: Settings, tmp_path, capsys):
    path = hostile.write(tmp_path / "hostile.csv")
    result = run_cli(capsys, "ingest", path, "--json")
    assert result.code == 0, result.err
    report = result.json()
    assert {k: report[k] for k in ("inserted", "duplicates", "quarantined")} == hostile.expected()
    assert sum(report[k] for k in ("inserted", "duplicates", "quarantined")) == len(hostile.ROWS)
    codes: dict[str, int] = {}
    for problem in report["problems"]:
        codes[problem["code"]] = codes.get(problem["code"], 0) + 1
        assert problem["path"] == str(path)
    assert codes == hostile.expected_codes()
    assert any("not valid UTF-8; read as cp1252" in w for w in report["files"][0]["warnings"])

    engine = open_database(settings)
    with Session(engine) as session:
        texts = {c.external_id: c for c in session.scalars(select(Complaint))}
        quarantined = list(session.scalars(select(Quarantine)))
        run = session.scalars(select(IngestRun)).one()
    assert texts["11"].text_original == "Café order was cold – again."
    assert texts["12"].text_original == "Line one of the notes.\nLine two.\nLine three."
    assert texts["13"].text_original.startswith("=cmd|' /c calc'!A1")
    assert texts["14"].text_original == "My order was missing"
    assert texts["15"].customer_id == '=HYPERLINK("http://x")'
    assert texts["19"].received_at.isoformat() == "2026-11-04T00:00:00+00:00"
    assert texts["20"].received_at.isoformat() == "2026-11-04T15:30:00+00:00"
    assert texts["21"].week == "2025-W45"
    lines = {q.line: q.code for q in quarantined}
    # Row 12 spans three physical lines, so the rows after it start two lines later.
    assert lines[3] == "empty_text" and lines[5] == "missing_date"
    assert lines[19] == "malformed_row" and lines[20] == "no_words"
    assert len(quarantined) == hostile.expected()["quarantined"]
    assert all(q.raw for q in quarantined)
    assert (run.rows_read, run.inserted, run.quarantined) == (
        len(hostile.ROWS),
        hostile.expected()["inserted"],
        hostile.expected()["quarantined"],
    )
    assert run.finished_at is not None


def test_ingest_again_inserts_nothing(env, tmp_path, capsys):
    path = hostile.write(tmp_path / "hostile.csv")
    first = run_cli(capsys, "ingest", path, "--json").json()
    second = run_cli(capsys, "ingest", path, "--json").json()
    assert second["inserted"] == 0
    assert second["duplicates"] == first["inserted"] + first["duplicates"]
    assert second["quarantined"] == first["quarantined"]
    status = run_cli(capsys, "status", "--json").json()
    assert status["complaints"] == first["inserted"]
    assert status["quarantined"] == first["quarantined"]  # not stored twice


def test_ingest_jsonl_with_column_mapping(env, tmp_path, capsys):
    path = tmp_path / "export.jsonl"
    lines = [
        {"ticket": 1, "body": "My refund is three weeks late.", "created": "2026-10-01T10:00:00Z"},
        {"ticket": 2, "body": "Wrong size again.", "created": 1790000000},
        "not an object",
        {"ticket": 4, "created": "2026-10-02"},
    ]
    path.write_text("\n".join(json.dumps(x) for x in lines) + "\n{broken json\n\n")
    result = run_cli(
        capsys,
        "ingest",
        path,
        "--json",
        "--column",
        "text=body",
        "--column",
        "id=ticket",
        "--column",
        "received_at=created",
    )
    assert result.code == 0, result.err
    report = result.json()
    assert (report["inserted"], report["duplicates"], report["quarantined"]) == (2, 0, 3)
    assert [(p["line"], p["code"]) for p in report["problems"]] == [
        (3, "not_an_object"),
        (4, "empty_text"),
        (5, "invalid_json"),
    ]


def test_ingest_strict_loads_nothing_and_names_the_line(env, tmp_path, capsys):
    path = hostile.write(tmp_path / "hostile.csv")
    result = run_cli(capsys, "ingest", path, "--strict")
    assert result.code == 2
    assert result.err.strip() == (
        f"rootcause: error: {path}: line 3: the text is empty [empty_text] "
        "(--strict: nothing loaded)"
    )
    assert run_cli(capsys, "status", "--json").json()["complaints"] == 0


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("missing.csv", None, "no such file"),
        (
            "nocol.csv",
            b"id,body\n1,hello\n",
            "line 1: no 'text' column (found: id, body); map one with --column text=NAME",
        ),
        ("empty.csv", b"", "line 1: the file is empty"),
        (
            "book.xlsx",
            b"PK\x03\x04" + b"\x00" * 64,
            "line 1: not CSV or JSON Lines: looks like a ZIP archive (an .xlsx workbook?); "
            "save it as CSV",
        ),
        (
            "array.json",
            b'[{"text": "hi"}]',
            "line 1: a JSON array; write one JSON object per line (JSON Lines)",
        ),
    ],
)
def test_ingest_unusable_file_exits_2_with_one_line(env, tmp_path, capsys, name, content, message):
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    result = run_cli(capsys, "ingest", path)
    assert result.code == 2
    assert result.err.strip().splitlines() == [f"rootcause: error: {path}: {message}"]


def test_ingest_reports_a_bad_column_mapping(env, tmp_path, capsys):
    path = tmp_path / "x.csv"
    path.write_text("id,text\n1,hello there\n")
    result = run_cli(capsys, "ingest", path, "--column", "colour=text")
    assert result.code == 2
    assert "unknown field 'colour'" in result.err


def test_unreachable_database_message_hides_the_password(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("ROOTCAUSE_DATABASE_URL", "postgresql://rc:s3cret-pw@127.0.0.1:1/nowhere")
    result = run_cli(capsys, "status")
    assert result.code == 1
    assert "s3cret-pw" not in result.err
    assert result.err.startswith("rootcause: error: cannot connect to postgresql+psycopg://rc:***@")
