"""The weekly run end to end, stage by stage, each stage a fresh `rootcause` process.

    python -m bench.weekly alone N WORKDIR        one week of N complaints into an empty database
    python -m bench.weekly incremental N WORKDIR  the same week on top of 12 weeks of N per week

Each prints one JSON line. A stage is the CLI command a scheduler would run (`ingest FILE`,
`classify`, `themes --week W`, `report --week W`), so its time includes starting Python and
loading models; its peak memory is that process's own maximum resident set (from wait4), so
stages never count against each other. `incremental` first builds the history (ingest,
classify and mine the 12 earlier weeks, untimed), then times the new week's stages exactly as
`alone` does.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

from bench.generate import write_csv
from rootcause.period import IsoWeek

ROOT = Path(__file__).resolve().parent.parent
WEEK = IsoWeek.parse("2026-W47")
HISTORY_WEEKS = 12


def _tree_rss_kib(root: int) -> int:
    """Resident memory of `root` and all its descendants now (classify's predict workers are
    separate processes; wait4's ru_maxrss would report only the largest one)."""
    parent: dict[int, int] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parent[int(entry)] = int(fields[1])
        rss[int(entry)] = int(fields[21]) * (os.sysconf("SC_PAGE_SIZE") // 1024)
    tree, frontier = {root}, [root]
    while frontier:
        pid = frontier.pop()
        children = [c for c, p in parent.items() if p == pid and c not in tree]
        tree.update(children)
        frontier += children
    return sum(rss.get(pid, 0) for pid in tree)


def stage(args: list[str], env: dict[str, str]) -> dict[str, float]:
    """Run `rootcause ARGS` to completion: its wall time and its peak resident memory, the
    larger of wait4's own figure and the process tree's sum sampled every 0.2 s."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "rootcause.cli", *args],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    assert proc.stderr is not None
    peak = [0]
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.2):
            peak[0] = max(peak[0], _tree_rss_kib(proc.pid))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    done.set()
    sampler.join()
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"bench: rootcause {' '.join(args)} failed:\n{err.decode()}")
    peak_kib = max(peak[0], usage.ru_maxrss)
    return {"seconds": round(seconds, 2), "peak_rss_mib": round(peak_kib / 1024, 1)}


def environment(workdir: Path, name: str) -> dict[str, str]:
    db = workdir / f"{name}.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("ROOTCAUSE_")}
    url = os.environ.get("ROOTCAUSE_BENCH_DATABASE_URL") or f"sqlite:///{db}"
    env |= {"ROOTCAUSE_DATABASE_URL": url, "ROOTCAUSE_REPORT__OUT_DIR": str(workdir / name)}
    return env


def week_file(workdir: Path, n: int, week: IsoWeek, *, first_id: int, weeks: int = 1) -> Path:
    path = workdir / f"week-{week}-{weeks}x{n}-{first_id}.csv"
    if not path.exists():
        start = datetime.combine(week.monday, datetime.min.time(), tzinfo=UTC)
        write_csv(path, n * weeks, seed=first_id + n, start=start, weeks=weeks, first_id=first_id)
    return path


def timed_week(n: int, path: Path, env: dict[str, str]) -> dict[str, object]:
    stages = {
        "ingest": stage(["ingest", str(path)], env),
        "classify": stage(["classify"], env),
        "themes": stage(["themes", "--week", str(WEEK)], env),
        "report": stage(["report", "--week", str(WEEK)], env),
    }
    for s in stages.values():
        s["per_s"] = round(n / s["seconds"])
    return {
        "complaints": n,
        "stages": stages,
        "seconds": round(sum(s["seconds"] for s in stages.values()), 2),
        "peak_rss_mib": max(s["peak_rss_mib"] for s in stages.values()),
    }


def alone(n: int, workdir: Path) -> dict[str, object]:
    env = environment(workdir, f"alone-{n}")
    path = week_file(workdir, n, WEEK, first_id=HISTORY_WEEKS * n)
    return {"scenario": "alone", **timed_week(n, path, env)}


def incremental(n: int, workdir: Path) -> dict[str, object]:
    env = environment(workdir, f"incremental-{n}")
    first = WEEK.shift(-HISTORY_WEEKS)
    history = week_file(workdir, n, first, first_id=0, weeks=HISTORY_WEEKS)
    started = time.perf_counter()
    for args in (
        ["ingest", str(history)],
        ["classify"],
        ["themes", "--week", str(WEEK.shift(-1))],
    ):
        stage(args, env)
    built = time.perf_counter() - started
    path = week_file(workdir, n, WEEK, first_id=HISTORY_WEEKS * n)
    result = timed_week(n, path, env)
    return {
        "scenario": "incremental",
        "history_weeks": HISTORY_WEEKS,
        "history_complaints": n * HISTORY_WEEKS,
        "history_build_seconds": round(built, 1),
        **result,
    }


if __name__ == "__main__":
    scenario, size, folder = sys.argv[1], int(sys.argv[2]), Path(sys.argv[3])
    run = {"alone": alone, "incremental": incremental}[scenario]
    print(json.dumps(run(size, folder)))
