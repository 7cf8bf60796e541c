"""A large ingest killed midway (SIGKILL) and run again ends with exact totals."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest
from sqlalchemy import func, select
from sqlmodel import Session

from bench.generate import write_csv
from rootcause.db import make_engine
from rootcause.models import Complaint, IngestRun

ROWS = 60_000


def _committed(url: str) -> int:
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            return int(session.scalar(select(func.count()).select_from(Complaint)) or 0)
    except Exception:
        return 0  # schema not there yet
    finally:
        engine.dispose()


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
