"""`make bench`: measure each stage on generated data and write BENCHMARKS.md + bench/out/*.json.

Every figure comes from this one run on this machine; the machine is stated with them.
Sizes: ROOTCAUSE_BENCH_SIZES=10000,100000 overrides the default 100k and 1M rows.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"


def machine() -> dict[str, str | int]:
    mem_kib = 0
    try:
        with open("/proc/meminfo") as fh:
            mem_kib = int(fh.readline().split()[1])
    except OSError:
        pass
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as fh:
            names = (ln.split(":", 1)[1].strip() for ln in fh if ln.startswith("model name"))
            cpu = next(names, cpu)
    except OSError:
        pass
    return {
        "cores": os.cpu_count() or 0,
        "memory_gib": round(mem_kib / 2**20, 1),
        "cpu": cpu,
        "python": platform.python_version(),
    }


def ingest_section(sizes: list[int], workdir: Path) -> list[dict[str, object]]:
    results = []
    for rows in sizes:
        print(f"bench: ingest {rows:,} rows …", file=sys.stderr, flush=True)
        proc = subprocess.run(
            [sys.executable, "-m", "bench.ingest", str(rows), str(workdir)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        )
        results.append(json.loads(proc.stdout.strip().splitlines()[-1]))
    return results


def write_markdown(info: dict[str, object], ingest: list[dict[str, object]]) -> str:
    lines = [
        "# Benchmarks",
        "",
        f"Written by `make bench` on {info['date']}: {info['machine']['cores']} cores, "  # type: ignore[index]
        f"{info['machine']['memory_gib']} GiB, {info['machine']['cpu']}, "  # type: ignore[index]
        f"Python {info['machine']['python']}. Raw figures: `bench/out/bench.json`.",  # type: ignore[index]
        "",
        "## Ingest (CSV -> SQLite, validate + redact + de-duplicate)",
        "",
        "Generated complaints (`bench/generate.py`), 12 weeks, six channels; one process, "
        "batches of 5,000 rows, one transaction each. Peak RSS is the ingest process's own. "
        "Goal (issue 2): at least 50,000 rows/s into SQLite with memory flat in the row count.",
        "",
        "| rows | file | time | rows/s | peak RSS | re-run (all duplicates) |",
        "|---:|---:|---:|---:|---:|---:|",
    ]
    for r in ingest:
        lines.append(
            f"| {r['rows']:,} | {r['file_mib']} MiB | {r['seconds']} s | {r['rows_per_s']:,} | "
            f"{r['peak_rss_mib']} MiB | {r['rerun_seconds']} s, {r['rerun_inserted']} inserted |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    sizes = [int(s) for s in os.environ.get("ROOTCAUSE_BENCH_SIZES", "100000,1000000").split(",")]
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="rootcause-bench-") as tmp:
        ingest = ingest_section(sizes, Path(tmp))
    info: dict[str, object] = {"date": datetime.now(UTC).strftime("%Y-%m-%d"), "machine": machine()}
    (OUT / "bench.json").write_text(json.dumps({**info, "ingest": ingest}, indent=2) + "\n")
    markdown = write_markdown(info, ingest)
    (ROOT / "BENCHMARKS.md").write_text(markdown)
    print(markdown)


if __name__ == "__main__":
    main()
