"""Each stage killed midway (SIGKILL) and run again ends as if it had never been interrupted.

Every test runs the real CLI in a subprocess and kills it at a point it was seen to reach (rows
committed, or a stall at a chosen write), never after a guessed delay; then checks that what is
stored is consistent, re-runs, and checks exact totals.
"""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url
from sqlmodel import Session, SQLModel

from bench.generate import write_csv
from rootcause.db import make_engine
from rootcause.fixes import register_demo_fixes
from rootcause.ingest import ingest_path
from rootcause.models import (
    Classification,
    Complaint,
    Embedding,
    IngestRun,
    ReportRun,
    Theme,
    ThemeAssignment,
)
from rootcause.period import IsoWeek
from rootcause.pipeline import classify_pending, load_demo, open_database, render_week
from rootcause.settings import load_settings
from rootcause.themes import mine_themes, week_summary

ROWS = 60_000
CLASSIFY_ROWS = 12_000
# Small batches: many commits. Two predict workers on any machine (0 would mean one per core).
CLASSIFY_ENV = {"ROOTCAUSE_CLASSIFY__BATCH_SIZE": "300", "ROOTCAUSE_CLASSIFY__PROCESSES": "2"}
THEME_ROWS = 6_000  # generated over 2026-W36..W47
WEEK = "2026-W47"  # the generated data's and the demo data's last complete week
EARLIER_WEEK = "2026-W40"  # mined first, so the registry the killed runs must keep is not empty


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "rootcause.cli", *args]


def _committed(url: str, model: type[SQLModel] = Complaint) -> int:
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            return int(session.scalar(select(func.count()).select_from(model)) or 0)
    except Exception:
        return 0  # schema not there yet
    finally:
        engine.dispose()


def _parent_and_state(pid: int) -> tuple[int, str]:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[1]), fields[0]


def _descendants(pid: int) -> set[int]:
    """Every live process below `pid` (children, their children, ...), read from /proc."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                children.setdefault(_parent_and_state(int(entry.name))[0], []).append(
                    int(entry.name)
                )
            except (OSError, IndexError):
                continue  # it ended while we looked
    found: set[int] = set()
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


def _alive(pid: int) -> bool:
    try:
        return _parent_and_state(pid)[1] != "Z"
    except (OSError, IndexError):
        return False


def _wait_for(proc: subprocess.Popen[bytes], reached: Callable[[], bool], what: str) -> None:
    """Poll until `reached()`; fail if the run ended first (nothing left to kill midway)."""
    deadline = time.monotonic() + 120
    while not reached() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert proc.poll() is None, f"the run ended before {what}"
    assert reached(), f"timed out waiting until {what}"


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()[:120]
    except OSError:
        return "(gone)"


def _kill(proc: subprocess.Popen[bytes]) -> set[int]:
    """SIGKILL `proc` alone, as a crash would; returns the processes it had started."""
    os.kill(proc.pid, signal.SIGSTOP)  # so it starts no other while we list them
    started = _descendants(proc.pid)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    return started


@pytest.fixture
def leftovers() -> Iterator[set[int]]:
    """Processes that killed runs had started; those still alive at teardown are killed, so a
    test never leaves any behind whatever the code under test does."""
    pids: set[int] = set()
    yield pids
    for pid in pids:
        if _alive(pid):
            os.kill(pid, signal.SIGKILL)


@pytest.mark.slow
def test_ingest_killed_midway_then_rerun_reaches_exact_totals(db_url, cli_env, tmp_path):
    path = write_csv(tmp_path / "big.csv", ROWS, seed=11)
    env = {**cli_env, "ROOTCAUSE_INGEST__BATCH_SIZE": "1000"}
    cmd = [sys.executable, "-m", "rootcause.cli", "ingest", str(path), "--json"]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while _committed(db_url) < 5_000 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert proc.poll() is None, "the ingest finished before it could be killed; make ROWS larger"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    before = _committed(db_url)
    assert 0 < before < ROWS

    rerun = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True)
    counts = json.loads(rerun.stdout)
    assert counts["inserted"] + counts["duplicates"] + counts["quarantined"] == ROWS
    assert counts["duplicates"] == before and counts["inserted"] == ROWS - before
    assert _committed(db_url) == ROWS

    engine = make_engine(db_url)
    with Session(engine) as session:
        runs = list(session.scalars(select(IngestRun).order_by(IngestRun.id)))
        distinct = session.scalar(select(func.count(func.distinct(Complaint.external_id))))
    engine.dispose()
    assert distinct == ROWS
    assert (
        runs[0].finished_at is None and runs[0].inserted == before
    )  # the killed run, as far as it got
    assert runs[-1].finished_at is not None


# --- classify -----------------------------------------------------------------------------------


def _verdicts(url: str) -> dict[int, Any]:
    engine = make_engine(url)
    with Session(engine) as session:
        rows = session.execute(select(Classification.complaint_id, Classification.classified_at))
        verdicts = {int(cid): at for cid, at in rows}
    engine.dispose()
    return verdicts


@pytest.mark.slow
def test_classify_killed_midway_then_rerun_classifies_each_complaint_once(
    db_url, cli_env, engine, settings, taxonomy, tmp_path, leftovers
):
    """Batches committed before the kill stay as they are; the rerun classifies exactly the rest,
    so every complaint ends with one verdict and the two runs' counts add up."""
    path = write_csv(tmp_path / "export.csv", CLASSIFY_ROWS, seed=23)
    ingest_path(path, engine=engine, settings=settings, taxonomy=taxonomy)
    env = {**cli_env, **CLASSIFY_ENV}
    cmd = _cli("classify", "--json")
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _wait_for(
        proc,
        lambda: _committed(db_url, Classification) >= 1_500,
        "1,500 verdicts were committed (batches must commit as they go)",
    )
    leftovers |= _kill(proc)
    kept = _verdicts(db_url)
    assert 0 < len(kept) < CLASSIFY_ROWS

    rerun = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True)
    counts = json.loads(rerun.stdout)
    assert counts["classified"] == counts["read"] == CLASSIFY_ROWS - len(kept)

    after = _verdicts(db_url)
    assert len(after) == _committed(db_url) == CLASSIFY_ROWS
    assert {cid: after[cid] for cid in kept} == kept  # the killed run's verdicts, untouched
    engine = make_engine(db_url)
    with Session(engine) as session:
        unclassified = session.scalar(
            select(func.count())
            .select_from(Complaint)
            .outerjoin(Classification, Classification.complaint_id == Complaint.id)
            .where(Classification.complaint_id.is_(None))
        )
        twice = session.scalar(
            select(func.count()).select_from(
                select(Classification.complaint_id)
                .group_by(Classification.complaint_id)
                .having(func.count() > 1)
                .subquery()
            )
        )
    engine.dispose()
    assert unclassified == 0 and twice == 0


@pytest.mark.slow
def test_classify_killed_leaves_no_predict_worker_running(
    db_url, cli_env, engine, settings, taxonomy, tmp_path, leftovers
):
    """A SIGKILLed classify cannot stop its predict workers itself; they must notice and exit,
    not live on as orphans each holding a copy of the model."""
    path = write_csv(tmp_path / "export.csv", 3_000, seed=29)
    ingest_path(path, engine=engine, settings=settings, taxonomy=taxonomy)
    env = {**cli_env, **CLASSIFY_ENV}
    proc = subprocess.Popen(
        _cli("classify", "--json"), env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    # the first batch, then one predicted by the workers
    _wait_for(proc, lambda: _committed(db_url, Classification) >= 900, "the workers were busy")
    leftovers |= _kill(proc)
    assert len(leftovers) >= 2  # the workers (and multiprocessing's resource tracker)

    deadline = time.monotonic() + 10
    while any(_alive(p) for p in leftovers) and time.monotonic() < deadline:
        time.sleep(0.1)
    survivors = {p: _cmdline(p) for p in leftovers if _alive(p)}
    assert not survivors, f"still running after the kill: {survivors}"


# --- themes -------------------------------------------------------------------------------------


@pytest.fixture
def twin_url(db_url: str, tmp_path: Path) -> Iterator[str]:
    """A second empty database on the same backend, for the uninterrupted reference run."""
    url = make_url(db_url)
    if url.get_backend_name() == "sqlite":
        yield f"sqlite:///{tmp_path / 'twin.db'}"
        return
    name = f"{url.database}_twin"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _theme_state(url: str) -> tuple[list[tuple[Any, ...]], dict[str, tuple[Any, ...]]]:
    """The registry by id, and each complaint's assignment by external id; timestamps last."""
    engine = make_engine(url)
    with Session(engine) as session:
        registry = [
            tuple(row)
            for row in session.execute(
                select(
                    Theme.id, Theme.label, Theme.label_locked, Theme.keywords, Theme.centroid,
                    Theme.centroid_embedder, Theme.first_seen_week, Theme.last_seen_week,
                    Theme.merged_into_id, Theme.updated_at,
                ).order_by(Theme.id)
            )
        ]  # fmt: skip
        assignments = {
            ext: (theme_id, probability, window, at)
            for ext, theme_id, probability, window, at in session.execute(
                select(
                    Complaint.external_id,
                    ThemeAssignment.theme_id,
                    ThemeAssignment.probability,
                    ThemeAssignment.window_end_week,
                    ThemeAssignment.assigned_at,
                ).join(Complaint, Complaint.id == ThemeAssignment.complaint_id)
            )
        }
    engine.dispose()
    return registry, assignments


def _without_times(state: tuple[list[tuple[Any, ...]], dict[str, tuple[Any, ...]]]) -> Any:
    registry, assignments = state
    return [r[:-1] for r in registry], {k: v[:-1] for k, v in assignments.items()}


# Runs `rootcause ARGS` until it reaches a chosen point, where it writes RC_STALL_MARKER and
# sleeps until the test kills it: a SIGKILL lands exactly there, every time, which no delay can
# promise (the PDF is written in under a millisecond, the assignments in a fraction of a second).
#   RC_STALL_DIR  the first write into this folder stops halfway: half its bytes are on disk
#   RC_STALL_SQL  the first statement starting with this text stops once it has run
_STALLING_CLI = """
import builtins, io, os, time
from pathlib import Path

marker = Path(os.environ["RC_STALL_MARKER"])

def stall(where):
    marker.write_text(where)
    time.sleep(3600)

if "RC_STALL_DIR" in os.environ:
    watch = Path(os.environ["RC_STALL_DIR"]).resolve()
    real_open = io.open

    class HalfWritten:
        def __init__(self, fh, target):
            self.fh, self.target = fh, target
        def write(self, data):
            self.fh.write(data[: len(data) // 2])
            self.fh.flush()
            os.fsync(self.fh.fileno())
            stall(str(self.target))
        def __getattr__(self, name):
            return getattr(self.fh, name)
        def __enter__(self):
            return self
        def __exit__(self, *exc):
            return self.fh.__exit__(*exc)

    def stalling_open(file, mode="r", *args, **kwargs):
        fh = real_open(file, mode, *args, **kwargs)
        if any(c in mode for c in "wax+"):
            target = Path(os.readlink(f"/proc/self/fd/{file}") if isinstance(file, int) else file)
            if target.resolve().parent == watch:
                return HalfWritten(fh, target)
        return fh

    io.open = builtins.open = stalling_open

if "RC_STALL_SQL" in os.environ:
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    prefix = os.environ["RC_STALL_SQL"].lower()

    def after_execute(conn, cursor, statement, *args):
        if statement.lstrip().lower().startswith(prefix):
            stall(statement[:80])

    event.listen(Engine, "after_cursor_execute", after_execute)

from rootcause.cli import main
main()
"""


def _kill_stalled(args: list[str], env: dict[str, str], tmp_path: Path, **stall: str) -> None:
    """Run `rootcause ARGS` under `_STALLING_CLI` (stall: RC_STALL_...), SIGKILL it there."""
    marker = tmp_path / "stalled-at"
    marker.unlink(missing_ok=True)
    cmd = [sys.executable, "-c", _STALLING_CLI, *args]
    stalling = {**env, **stall, "RC_STALL_MARKER": str(marker)}
    proc = subprocess.Popen(cmd, env=stalling, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while not marker.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
    assert marker.exists(), f"rootcause {' '.join(args)} never reached the point to stall at"
    _kill(proc)


@pytest.mark.slow
def test_themes_killed_while_fitting_or_saving_leave_the_registry_as_it_was(
    db_url, twin_url, cli_env, engine, settings, taxonomy, tmp_path
):
    """Mining a week is one transaction: killed after caching vectors, or killed inside the
    save itself, it leaves an already populated registry and its assignments exactly as they
    were; the rerun then gives what an uninterrupted run on a twin database gives."""
    path = write_csv(tmp_path / "export.csv", THEME_ROWS, seed=31)
    twin_settings = load_settings({"database_url": twin_url}, environ={}, cwd=tmp_path)
    twin = open_database(twin_settings)
    for eng, cfg in ((engine, settings), (twin, twin_settings)):
        ingest_path(path, engine=eng, settings=cfg, taxonomy=taxonomy)
        mine_themes(eng, cfg, IsoWeek.parse(EARLIER_WEEK))
    mine_themes(twin, twin_settings, IsoWeek.parse(WEEK))  # uninterrupted, for reference
    reference = json.loads(
        json.dumps(week_summary(twin, twin_settings, IsoWeek.parse(WEEK)).as_dict())
    )
    twin.dispose()
    args = ["themes", "--week", WEEK, "--json"]
    mine = _cli(*args)
    before = _theme_state(db_url)
    assert before[0] and len(before[1]) < THEME_ROWS  # EARLIER_WEEK's themes, its complaints
    cached = _committed(db_url, Embedding)

    # Killed while fitting: new vectors are cached (committed batches), the registry untouched.
    proc = subprocess.Popen(mine, env=cli_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _wait_for(proc, lambda: _committed(db_url, Embedding) > cached, "vectors were cached")
    _kill(proc)
    assert _theme_state(db_url) == before

    # Killed inside the save: themes updated and added, the window's assignments just
    # overwritten (SQLite upserts them in place; PostgreSQL deletes them, then copies).
    written = (
        "INSERT INTO themeassignment"
        if db_url.startswith("sqlite")
        else "DELETE FROM themeassignment"
    )
    _kill_stalled(args, cli_env, tmp_path, RC_STALL_SQL=written)
    assert _theme_state(db_url) == before

    rerun = subprocess.run(mine, env=cli_env, capture_output=True, text=True, check=True)
    assert json.loads(rerun.stdout) == reference
    after = _theme_state(db_url)
    assert _without_times(after) == _without_times(_theme_state(twin_url))
    registry, assignments = after
    assert len(assignments) == _committed(db_url, ThemeAssignment) == THEME_ROWS  # one each
    assert {window for _, _, window, _ in assignments.values()} == {WEEK}
    assert {r[0] for r in before[0]} <= {r[0] for r in registry}  # no theme lost its id


# --- report -------------------------------------------------------------------------------------


def _assert_complete_pdf(data: bytes, pages: int) -> None:
    assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF")
    assert len(PdfReader(io.BytesIO(data), strict=True).pages) == pages


@pytest.mark.slow
def test_report_killed_while_writing_the_pdf_keeps_the_previous_one_or_none(
    db_url, cli_env, engine, settings, taxonomy, tmp_path
):
    """A PDF killed halfway through being written never shows at the final path: the first
    ever render leaves no file there, a later one leaves the previous PDF byte for byte."""
    week = IsoWeek.parse(WEEK)
    load_demo(engine, settings, taxonomy)  # what `rootcause run --demo-if-empty` does first
    classify_pending(engine, settings, taxonomy)
    mine_themes(engine, settings, week)
    register_demo_fixes(engine, settings)
    out = tmp_path / "out" / "weekly.pdf"
    report = ["report", "--week", WEEK, "--out", str(out)]

    _kill_stalled(report, cli_env, tmp_path, RC_STALL_DIR=str(out.parent))  # the first ever
    assert not out.exists()
    assert _committed(db_url, ReportRun) == 0

    good = render_week(engine, settings, taxonomy, week, out)
    previous = out.read_bytes()
    _assert_complete_pdf(previous, good.pages)

    _kill_stalled(report, cli_env, tmp_path, RC_STALL_DIR=str(out.parent))
    assert out.read_bytes() == previous
    assert _committed(db_url, ReportRun) == 1

    subprocess.run(_cli(*report), env=cli_env, capture_output=True, check=True)
    _assert_complete_pdf(out.read_bytes(), good.pages)
    assert out.read_bytes() == previous  # same data, same bytes
    assert _committed(db_url, ReportRun) == 2
