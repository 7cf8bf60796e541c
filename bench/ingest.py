"""Ingest throughput and peak memory, each size measured in a fresh process.

Run one measurement: `python -m bench.ingest ROWS WORKDIR` prints a JSON line. The peak resident
set is the process's own ru_maxrss, so the generator and earlier sizes do not count against it.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from pathlib import Path

from bench.generate import write_csv


def measure(rows: int, workdir: Path) -> dict[str, float | int | str]:
    from rootcause.ingest import ingest_path
    from rootcause.pipeline import open_database
    from rootcause.settings import load_settings
    from rootcause.taxonomy import load_taxonomy

    csv_path = workdir / f"generated-{rows}.csv"
    if not csv_path.exists():
        write_csv(csv_path, rows, seed=rows)
    db = workdir / f"bench-{rows}.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    settings = load_settings({"database_url": f"sqlite:///{db}"}, environ={}, cwd=workdir)
    engine = open_database(settings)
    taxonomy = load_taxonomy()
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    result = ingest_path(csv_path, engine=engine, settings=settings, taxonomy=taxonomy)
    seconds = time.perf_counter() - start
    start = time.perf_counter()
    again = ingest_path(csv_path, engine=engine, settings=settings, taxonomy=taxonomy)
    rerun_seconds = time.perf_counter() - start
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "rows": rows,
        "file_mib": round(csv_path.stat().st_size / 2**20, 1),
        "inserted": result.inserted,
        "seconds": round(seconds, 2),
        "rows_per_s": round(rows / seconds),
        "rerun_seconds": round(rerun_seconds, 2),
        "rerun_inserted": again.inserted,
        "peak_rss_mib": round(peak_kib / 1024, 1),
        "rss_before_mib": round(rss_before / 1024, 1),
        "database": "sqlite",
    }


if __name__ == "__main__":
    print(json.dumps(measure(int(sys.argv[1]), Path(sys.argv[2]))))
