"""The `make report` path end to end: demo data -> database -> PDF, read back and checked."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select
from sqlmodel import Session

from rootcause.models import Classification, Complaint, ReportRun
from rootcause.pipeline import open_database
from tests.e2e.cli import run_cli


def _pdf_text(path: Path) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(path).pages)


@pytest.mark.slow
def test_run_on_empty_database_loads_demo_and_writes_the_latest_complete_week(
    env, settings, tmp_path, capsys
):
    result = run_cli(capsys, "run", "--demo-if-empty")
    assert result.code == 0, result.err
    pdf = Path(result.out.strip().splitlines()[-1])
    assert pdf == tmp_path / "out" / "rootcause-2026-W47.pdf"
    assert pdf.read_bytes().startswith(b"%PDF")
    text = _pdf_text(pdf)

    engine = open_database(settings)
    with Session(engine) as session:
        this_week = session.scalar(
            select(func.count()).select_from(Complaint).where(Complaint.week == "2026-W47")
        )
        total = session.scalar(select(func.count()).select_from(Complaint))
        run = session.scalars(select(ReportRun)).one()
    assert total >= 1500
    assert re.search(rf"(?<!\d){this_week}\s*complaints this week", text)
    assert re.search(rf"Complaints in the database\s*{total:,}", text)
    for heading in (
        "This week in brief", "Scorecard", "Per 1,000 orders", "Root causes",
        "-week trend per cause",
        "Emerging and growing themes", "Top themes", "The biggest themes within each cause",
        "Deep dive", "Fix register", "Did the fixes work?", "Data and model health",
        "Appendix: method and definitions",
    ):  # fmt: skip
        assert heading in text, heading
    # run --demo-if-empty registered the demo's two fixes; their verdicts are on the page
    effects = text[text.index("Did the fixes work?") :]
    assert "Bag-seal checklist" in effects and "effective" in effects
    assert "Call-back queue" in effects and "not effective" in effects
    # run classified everything first; the causes table counts this week's verdicts
    assert run_cli(capsys, "status", "--json").json()["pending"] == 0
    with Session(engine) as session:
        process_gap = session.scalar(
            select(func.count())
            .select_from(Classification)
            .join(Complaint)
            .where(Complaint.week == "2026-W47", Classification.cause == "process_gap")
        )
    assert re.search(rf"Process gap\s*Process Excellence\s*{process_gap}\b", text)
    assert run.week == "2026-W47" and run.sha256 == hashlib.sha256(pdf.read_bytes()).hexdigest()

    again = run_cli(capsys, "report", "--week", "2026-W47")
    assert again.code == 0, again.err
    assert hashlib.sha256(pdf.read_bytes()).hexdigest() == run.sha256  # same data, same bytes

    with Session(engine) as session:
        some_id = session.scalar(select(Complaint.id).where(Complaint.week == "2026-W47"))
    assert run_cli(capsys, "label", str(some_id), "agent_error").code == 0
    assert run_cli(capsys, "report", "--week", "2026-W47").code == 0
    assert hashlib.sha256(pdf.read_bytes()).hexdigest() != run.sha256  # a new label, a new snapshot

    reload = run_cli(capsys, "demo", "load", "--json").json()
    assert sum(r["inserted"] for r in reload) == 0


def test_report_on_empty_database_explains_what_to_do(env, capsys):
    result = run_cli(capsys, "report")
    assert result.code == 1
    assert result.err.strip() == (
        "rootcause: error: the database holds no complaints: load some with "
        "`rootcause ingest FILE` or `rootcause demo load`"
    )


def test_report_rejects_a_bad_week(env, capsys):
    result = run_cli(capsys, "report", "--week", "2026-W60")
    assert result.code == 1
    assert (
        result.err.strip() == "rootcause: error: '2026-W60' is not an ISO week: 2026 has no week 60"
    )


@pytest.mark.parametrize(
    "command",
    [
        [],
        ["ingest"],
        ["status"],
        ["quarantine"],
        ["demo"],
        ["demo", "load"],
        ["run"],
        ["report"],
        ["train"],
        ["predict"],
        ["evaluate"],
        ["classify"],
        ["label"],
        ["review"],
        ["adapt"],
        ["themes"],
        ["themes", "show"],
        ["themes", "rename"],
        ["themes", "merge"],
        ["fix"],
        ["fix", "add"],
        ["fix", "list"],
        ["fix", "show"],
        ["fix", "update"],
        ["fix", "close"],
        ["fix", "suggest"],
        ["volumes"],
        ["volumes", "import"],
    ],
)
def test_every_command_has_help(command, capsys):
    result = run_cli(capsys, *command, "--help")
    assert result.code == 0
    assert "Usage: rootcause" in result.out


def test_version(capsys):
    result = run_cli(capsys, "--version")
    assert result.code == 0 and result.out.startswith("rootcause 0.")
