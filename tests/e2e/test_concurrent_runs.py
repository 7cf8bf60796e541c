"""Two `rootcause run` at once: the second stops with one clear line, the database ends as after
one run. The lock is the database's (PostgreSQL advisory lock) or the kernel's (flock beside the
SQLite file), so a killed run never leaves it behind."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlmodel import Session

from rootcause.models import Classification, Complaint, ReportRun, Theme, ThemeAssignment
from rootcause.pipeline import load_demo, open_database
from rootcause.runlock import RunLockedError, run_lock
from rootcause.settings import load_settings
from tests.conftest import PG_URL, _pg_database

WEEK = "2026-W47"


def _cli(env: dict[str, str], *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "rootcause.cli", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _snapshot(url: str) -> dict[str, object]:
    """What a run leaves behind, in a form two databases can be compared by."""
    engine = open_database(load_settings({"database_url": url}, environ={}))
    with Session(engine) as session:
        text_of = dict(session.execute(select(Complaint.id, Complaint.external_id)).all())
        snap = {
            "classified": sorted(
                (text_of[c], cause)
                for c, cause in session.execute(
                    select(Classification.complaint_id, Classification.cause)
                )
            ),
            "themes": sorted(
                (t.label, tuple(t.keywords), t.first_seen_week, t.last_seen_week)
                for t in session.scalars(select(Theme))
            ),
            "assigned": int(session.scalar(select(func.count()).select_from(ThemeAssignment)) or 0),
            "reports": [r.week for r in session.scalars(select(ReportRun))],
        }
    engine.dispose()
    return snap


def _classified(url: str) -> int:
    engine = open_database(load_settings({"database_url": url}, environ={}))
    with Session(engine) as session:
        n = int(session.scalar(select(func.count()).select_from(Classification)) or 0)
    engine.dispose()
    return n


def _demo_database(url: str, tmp: Path) -> None:
    settings = load_settings(
        {"database_url": url, "report": {"out_dir": str(tmp)}}, environ={}, cwd=tmp
    )
    from rootcause.taxonomy import load_taxonomy

    engine = open_database(settings)
    load_demo(engine, settings, load_taxonomy())
    engine.dispose()


@pytest.mark.slow
def test_two_runs_at_once_one_stops_clearly_and_the_database_ends_as_after_one(
    db_url, cli_env, tmp_path
):
    _demo_database(db_url, tmp_path)
    first = _cli(cli_env, "run", "--week", WEEK)
    deadline = time.monotonic() + 120
    while _classified(db_url) == 0 and first.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)  # the first run holds the lock from before it classifies anything
    assert first.poll() is None, "the first run ended before the second could start"
    second = _cli(cli_env, "run", "--week", WEEK)
    out, err = second.communicate(timeout=120)
    assert first.wait(timeout=300) == 0, first.stderr.read() if first.stderr else ""

    assert second.returncode == 75
    assert out == ""
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1 and "Traceback" not in err
    assert lines[0].startswith("rootcause: error: another `rootcause run`")
    assert "--wait" in lines[0]

    if db_url.startswith("sqlite"):
        twin = contextlib.nullcontext(f"sqlite:///{tmp_path / 'reference.db'}")
    else:
        assert PG_URL
        twin = contextlib.contextmanager(_pg_database)()
    with twin as reference:  # the same data, run once, alone
        _demo_database(reference, tmp_path)
        subprocess.run(
            [sys.executable, "-m", "rootcause.cli", "run", "--week", WEEK],
            env={**cli_env, "ROOTCAUSE_DATABASE_URL": reference}, check=True, capture_output=True,
        )  # fmt: skip
        assert _snapshot(db_url) == _snapshot(reference)


def test_run_lock_refuses_a_second_holder_until_released(engine):
    with run_lock(engine):
        with pytest.raises(RunLockedError) as info, run_lock(engine):
            pass
        assert info.value.exit_code == 75
    with run_lock(engine):  # released: free again
        pass


def test_run_lock_with_wait_starts_when_the_holder_finishes(engine):
    order: list[str] = []
    held = threading.Event()

    def holder() -> None:
        with run_lock(engine):
            held.set()
            time.sleep(0.6)
            order.append("first done")

    thread = threading.Thread(target=holder)
    thread.start()
    held.wait(10)
    with run_lock(engine, wait=True):
        order.append("second started")
    thread.join()
    assert order == ["first done", "second started"]


@pytest.mark.slow
def test_a_killed_holder_leaves_no_lock_behind(db_url, engine):
    code = (
        "import sys, time\n"
        "from rootcause.pipeline import open_database\n"
        "from rootcause.runlock import run_lock\n"
        "from rootcause.settings import load_settings\n"
        f"engine = open_database(load_settings({{'database_url': {db_url!r}}}, environ={{}}))\n"
        "with run_lock(engine):\n"
        "    print('held', flush=True)\n"
        "    time.sleep(600)\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, env=dict(os.environ)
    )
    assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
    with pytest.raises(RunLockedError), run_lock(engine):
        pass
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    deadline = time.monotonic() + 30  # PostgreSQL notices the dropped connection promptly
    while True:
        try:
            with run_lock(engine):
                break
        except RunLockedError:
            assert time.monotonic() < deadline, "the killed holder's lock was never released"
            time.sleep(0.2)
