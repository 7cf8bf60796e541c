"""Hazards of the environment end cleanly: one line on stderr naming the problem, a non-zero exit,
no traceback, the database as it was, and never a database password.

The CLI runs as a subprocess, as a user runs it, because the hazards are made at process level:
  * a read-only output folder: chmod 0555. Root ignores file modes through CAP_DAC_OVERRIDE, so
    when the tests run as root (CI's container does) the child drops that capability (and
    CAP_DAC_READ_SEARCH) from its bounding set before exec: it stays uid 0 and still owns the
    test database, but the folder's mode now binds it. A probe checks this works and skips
    otherwise. A folder blocked by a regular file needs no privileges at all and always runs.
  * a full disk: RLIMIT_FSIZE with SIGXFSZ ignored, so a write past the limit fails with EFBIG
    (as ENOSPC would) instead of killing the process. It binds the client process only: the
    PDF, and the SQLite files; a PostgreSQL server is beyond its reach.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import resource
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlmodel import Session, SQLModel

from bench.generate import write_csv
from rootcause.db import make_engine
from rootcause.models import Classification, Complaint, IngestRun, ReportRun
from tests import conftest

WEEK = "2026-W38"
TABLES: tuple[type[SQLModel], ...] = (Complaint, Classification, ReportRun, IngestRun)
PR_CAPBSET_DROP, CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH = 24, 1, 2
_LIBC = ctypes.CDLL(None, use_errno=True)


# ---------------------------------------------------------------------------------------------
# Running the CLI and looking at what it left


@dataclass
class Ran:
    code: int
    out: str
    err: str

    @property
    def err_lines(self) -> list[str]:
        return [line for line in self.err.splitlines() if line.strip()]


def _preexec(*, fsize: int | None = None, drop_dac: bool = False) -> Callable[[], None]:
    """What the child does between fork and exec: a file-size limit, and (as root) no bypassing
    of file modes. Failures are left to the probe, which skips what cannot be arranged."""

    def run() -> None:
        if fsize is not None:
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
            resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))
        if drop_dac:
            for cap in (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH):
                _LIBC.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0)

    return run


def _cli(env: dict[str, str], *args: str | Path, preexec: Callable[[], None] | None = None) -> Ran:
    cmd = [sys.executable, "-m", "rootcause.cli", *map(str, args)]
    proc = subprocess.run(
        cmd, env=env, capture_output=True, text=True, preexec_fn=preexec, timeout=300, check=False
    )
    return Ran(proc.returncode, proc.stdout, proc.stderr)


def _env(url: str, out_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ROOTCAUSE_")}
    env["ROOTCAUSE_DATABASE_URL"] = url
    env["ROOTCAUSE_REPORT__OUT_DIR"] = str(out_dir)
    return env


def _counts(url: str) -> dict[str, int]:
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            return {
                str(t.__tablename__): int(session.scalar(select(func.count()).select_from(t)) or 0)
                for t in TABLES
            }
    finally:
        engine.dispose()


def _assert_one_clean_line(ran: Ran, *names: str) -> str:
    """The promise: non-zero exit, exactly one `rootcause: error:` line naming the problem."""
    assert ran.code != 0, ran.out + ran.err
    assert "Traceback" not in ran.err, ran.err
    assert len(ran.err_lines) == 1, ran.err
    line = ran.err_lines[0]
    assert line.startswith("rootcause: error: "), line
    for name in names:
        assert name in line, (name, line)
    return line


def _files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []


# ---------------------------------------------------------------------------------------------
# A database with complaints, verdicts and one rendered report, built once per backend


@dataclass(frozen=True)
class Seeded:
    url: str
    pdf: Path  # the report rendered for WEEK


_pg_database = contextlib.contextmanager(conftest._pg_database)  # a fresh database, dropped after


@pytest.fixture(scope="module", params=conftest.DATABASES)
def seeded(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Seeded]:
    """Shared by the tests below, which all promise to leave it unchanged (and check it)."""
    from rootcause.ingest import ingest_path
    from rootcause.period import IsoWeek
    from rootcause.pipeline import classify_pending, open_database, render_week, taxonomy_for
    from rootcause.settings import load_settings

    folder = tmp_path_factory.mktemp(f"seeded-{request.param}")
    database = (
        contextlib.nullcontext(f"sqlite:///{folder / 'rootcause.db'}")
        if request.param == "sqlite"
        else _pg_database()
    )
    with database as url:
        settings = load_settings(
            {"database_url": url, "report": {"out_dir": str(folder / "out")}},
            environ={},
            cwd=folder,
        )
        engine = open_database(settings)
        taxonomy = taxonomy_for(settings)
        start = datetime(2026, 8, 31, tzinfo=UTC)
        csv = write_csv(folder / "seed.csv", 400, seed=5, start=start, weeks=4)
        ingest_path(csv, engine=engine, settings=settings, taxonomy=taxonomy, source="seed")
        classify_pending(engine, settings, taxonomy)
        outcome = render_week(engine, settings, taxonomy, IsoWeek.parse(WEEK))
        engine.dispose()
        counts = _counts(url)
        assert all(counts.values()), counts  # every table the tests watch holds rows
        yield Seeded(url, outcome.path)


# ---------------------------------------------------------------------------------------------
# 1. The report's folder cannot be written


def _unwritable(tmp_path: Path, blocker: str) -> tuple[Path, Callable[[], None] | None, str]:
    """A folder the CLI cannot write to, the preexec that makes it so, and the expected reason."""
    if blocker == "file in the way":
        (tmp_path / "not-a-folder").write_text("a file where the folder should be\n")
        return tmp_path / "not-a-folder" / "reports", None, "is a file, not a folder"
    folder = tmp_path / "read-only"
    folder.mkdir()
    folder.chmod(0o555)
    preexec = _preexec(drop_dac=os.geteuid() == 0)
    probe = subprocess.run(
        [sys.executable, "-c", "import sys; open(sys.argv[1], 'w')", str(folder / "probe")],
        preexec_fn=preexec, capture_output=True, check=False,
    )  # fmt: skip
    if probe.returncode == 0:
        (folder / "probe").unlink()
        pytest.skip("cannot make a folder read-only for this process (root with CAP_SETPCAP?)")
    return folder, preexec, "Permission denied"


@pytest.mark.slow
@pytest.mark.parametrize("blocker", ["read-only", "file in the way"])
@pytest.mark.parametrize("how", ["--out", "ROOTCAUSE_REPORT__OUT_DIR"])
def test_report_into_an_unwritable_folder_fails_in_one_line(seeded, tmp_path, blocker, how):
    folder, preexec, reason = _unwritable(tmp_path, blocker)
    env = _env(seeded.url, tmp_path / "default-out")
    if how == "--out":
        args: list[str | Path] = ["report", "--week", WEEK, "--out", folder / "weekly.pdf"]
    else:
        env["ROOTCAUSE_REPORT__OUT_DIR"] = str(folder)
        args = ["report", "--week", WEEK]
    before = _counts(seeded.url)

    ran = _cli(env, *args, preexec=preexec)

    _assert_one_clean_line(ran, str(folder), reason)
    assert _counts(seeded.url) == before
    assert _files(folder) == [] and _files(tmp_path / "default-out") == []


@pytest.mark.slow
def test_run_into_an_unwritable_folder_fails_before_doing_any_work(tmp_path):
    """`run` checks its output first: no verdicts, themes or reports for a PDF it cannot write."""
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    env = _env(url, tmp_path / "default-out")
    csv = write_csv(tmp_path / "week.csv", 300, seed=3, start=datetime(2026, 9, 14, tzinfo=UTC))
    assert _cli(env, "ingest", csv).code == 0
    folder, _, reason = _unwritable(tmp_path, "file in the way")
    before = _counts(url)

    ran = _cli(env, "run", "--week", WEEK, "--out", folder / "weekly.pdf")

    _assert_one_clean_line(ran, str(folder), reason)
    assert _counts(url) == before and before["classification"] == 0


# ---------------------------------------------------------------------------------------------
# 2. The disk fills up: while writing the PDF, while ingesting


@pytest.mark.slow
@pytest.mark.parametrize("previous", [True, False], ids=["previous-pdf", "no-previous-pdf"])
def test_full_disk_while_writing_the_pdf_leaves_no_partial_file(seeded, tmp_path, previous):
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    pdf = out_dir / f"rootcause-{WEEK}.pdf"
    old = seeded.pdf.read_bytes()
    if previous:
        pdf.write_bytes(old)
    # Below the PDF's size, above SQLite's 32 KiB shared-memory file (the report only reads).
    limit = max(len(old) // 2, 40_000)
    assert limit < len(old), "the PDF is too small to overflow the limit; raise it"
    before = _counts(seeded.url)

    ran = _cli(_env(seeded.url, out_dir), "report", "--week", WEEK, preexec=_preexec(fsize=limit))

    _assert_one_clean_line(ran, str(pdf), "File too large")
    assert _counts(seeded.url) == before  # no report run recorded for a report not written
    if previous:
        assert pdf.read_bytes() == old  # the last good report, byte for byte
    assert _files(out_dir) == ([pdf.name] if previous else [])  # no partial PDF, no .part file


INGEST_ROWS, BATCH = 20_000, 1_000


@pytest.mark.slow
def test_full_disk_while_ingesting_into_sqlite_keeps_committed_batches_only(tmp_path):
    """SQLite only: the file-size limit binds the client, and SQLite is the client's own file."""
    db = tmp_path / "rootcause.db"
    url = f"sqlite:///{db}"
    env = {**_env(url, tmp_path / "out"), "ROOTCAUSE_INGEST__BATCH_SIZE": str(BATCH)}
    earlier = write_csv(tmp_path / "earlier.csv", 500, seed=1, first_id=10_000_000)
    assert _cli(env, "ingest", earlier).code == 0
    before = _counts(url)
    big = write_csv(tmp_path / "big.csv", INGEST_ROWS, seed=3)
    # Room for a few batches in the write-ahead log, not for the whole file.
    limit = db.stat().st_size + 1_500_000

    ran = _cli(env, "ingest", big, preexec=_preexec(fsize=limit))

    _assert_one_clean_line(ran, str(db), "is the disk full?")
    after = _counts(url)
    with sqlite3.connect(db) as conn:  # it still opens, and is whole
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    engine = make_engine(url)
    with Session(engine) as session:
        failed = session.scalars(select(IngestRun).order_by(IngestRun.started_at.desc())).first()
    engine.dispose()
    assert failed is not None and failed.finished_at is None
    committed = after["complaint"] - before["complaint"]
    assert 0 < committed < INGEST_ROWS, "the limit let no batch or every batch in; adjust it"
    assert failed.inserted == committed  # the counters were committed with their batches
    assert (failed.inserted + failed.duplicates + failed.quarantined) % BATCH == 0  # whole ones
    assert {k: v for k, v in after.items() if k != "complaint"} == {
        **{k: v for k, v in before.items() if k != "complaint"},
        "ingestrun": before["ingestrun"] + 1,
    }

    rerun = _cli(env, "ingest", big)  # with room again, the same command finishes the file
    assert rerun.code == 0, rerun.err
    assert f"{INGEST_ROWS - committed:,} inserted, {committed:,} duplicates" in rerun.out
    assert _counts(url)["complaint"] == before["complaint"] + INGEST_ROWS


# ---------------------------------------------------------------------------------------------
# 3. The database cannot be reached (`status` on PostgreSQL: tests/e2e/test_cli_ingest.py)


@pytest.mark.slow
@pytest.mark.parametrize(
    "command",
    [["report", "--week", WEEK], ["run", "--week", WEEK], ["themes"], ["classify"]],
    ids=lambda c: c[0],
)
@pytest.mark.parametrize("database", ["postgres-refused", "sqlite-under-a-file"])
def test_unreachable_database_fails_in_one_line_without_the_password(tmp_path, command, database):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the database's folder should be\n")
    if database == "postgres-refused":
        url, names = "postgresql+psycopg://rc:s3cret@127.0.0.1:1/rootcause", ["rc:***@127.0.0.1:1"]
    else:
        url, names = (
            f"sqlite:///{blocker}/db/rootcause.db",
            [str(blocker), "is a file, not a folder"],
        )

    ran = _cli(_env(url, tmp_path / "out"), *command)

    _assert_one_clean_line(ran, *names)
    assert "s3cret" not in ran.out + ran.err
    assert blocker.read_text() == "a file where the database's folder should be\n"
    assert _files(tmp_path) == ["not-a-folder"]  # no database, folder or report was created


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        (  # the URL itself, as a driver or a log line might quote it
            "no route to postgresql://rc:pa%40ss@db:5432/x",
            "no route to postgresql://rc:***@db:5432/x",
        ),
        ("libpq: password=pa@ss host=db", "libpq: password=*** host=db"),  # a conninfo string
        ("quoted pa%40ss, plus pa%40ss", "quoted ***, plus ***"),  # the URL-quoted form
    ],
)
def test_hide_password_masks_every_form_the_password_can_take(message, expected):
    from rootcause.errors import hide_password

    assert hide_password(message, "postgresql://rc:pa%40ss@db:5432/x") == expected
