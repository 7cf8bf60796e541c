"""Several `rootcause classify` processes share one database: exact totals, no double work."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from sqlalchemy import func, select
from sqlmodel import Session

from rootcause.db import make_engine
from rootcause.models import Classification, Complaint
from tests.e2e.cli import run_cli

WORKERS = 3


@pytest.mark.slow
def test_three_classify_workers_split_the_work(db_url, cli_env, env, capsys):
    assert run_cli(capsys, "demo", "load").code == 0
    worker_env = {**cli_env, "ROOTCAUSE_CLASSIFY__BATCH_SIZE": "50"}
    cmd = [sys.executable, "-m", "rootcause.cli", "classify", "--json"]
    procs = [
        subprocess.Popen(cmd, env=worker_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for _ in range(WORKERS)
    ]
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err.decode()
        results.append(json.loads(out))

    engine = make_engine(db_url)
    with Session(engine) as session:
        complaints = session.scalar(select(func.count()).select_from(Complaint))
        verdicts = session.scalar(select(func.count()).select_from(Classification))
    engine.dispose()
    assert verdicts == complaints == sum(r["classified"] for r in results)
    if db_url.startswith("postgresql"):
        # Claimed batches (FOR UPDATE SKIP LOCKED): nobody predicted a complaint twice, and the
        # work was shared rather than done by the first worker alone.
        assert sum(r["read"] for r in results) == complaints
        assert sum(1 for r in results if r["classified"] > 0) >= 2
