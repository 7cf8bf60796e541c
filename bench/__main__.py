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


def machine() -> dict[str, str | int | float]:
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


def _child(module: str, *args: str) -> dict[str, object]:
    proc = subprocess.run(
        [sys.executable, "-m", module, *args], cwd=ROOT, capture_output=True, text=True, check=True
    )
    result: dict[str, object] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def themes_section() -> list[dict[str, object]]:
    """Default pipeline vs stock BERTopic at 10k; the default alone at 100k (stock too with
    ROOTCAUSE_BENCH_STOCK_100K=1: UMAP + HDBSCAN take minutes there)."""
    runs = []
    plan = [("default", 10_000), ("stock", 10_000), ("default", 100_000)]
    if os.environ.get("ROOTCAUSE_BENCH_STOCK_100K") == "1":
        plan.append(("stock", 100_000))
    for variant, n in plan:
        print(f"bench: themes {variant} {n:,} …", file=sys.stderr, flush=True)
        runs.append(_child("bench.themes", variant, str(n)))
    return runs


def themes_markdown(runs: list[dict[str, object]]) -> list[str]:
    lines = [
        "",
        "## Themes (fit only; same texts and TF-IDF/SVD embeddings for both variants)",
        "",
        "Each variant in its own process; BERTopic's import is paid before the clock starts. "
        "Stock = `BERTopic(embedding_model=…)` with its defaults (UMAP + HDBSCAN). NPMI and "
        "diversity over each topic's top 10 words on the same tokenised documents. Target "
        "(issue 4): at least 20x faster than stock at 10k, no worse coherence, at most 15% "
        "outliers. 100k texts are generated (the real set has 13k); the 1M fit is not run.",
        "",
        "| variant | texts | source | embed | fit | peak RSS | topics | outliers | diversity "
        "| NPMI |",
        "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in runs:
        lines.append(
            f"| {r['variant']} | {r['texts']:,} | {r['source']} | {r['embed_seconds']} s | "
            f"{r['fit_seconds']} s | {r['peak_rss_mib']} MiB | {r['topics']} | "
            f"{100 * float(r['outlier_share']):.1f}% | {r['diversity']} | {r['npmi']} |"  # type: ignore[arg-type]
        )
    pair = {r["variant"]: r for r in runs if r["texts"] == runs[0]["texts"]}
    if {"default", "stock"} <= set(pair):
        speed = float(pair["stock"]["fit_seconds"]) / float(pair["default"]["fit_seconds"])  # type: ignore[arg-type]
        lines += ["", f"Speed-up at {runs[0]['texts']:,} texts: {speed:.1f}x."]
    return lines


def report_markdown(r: dict[str, object]) -> list[str]:
    return [
        "",
        "## Report rendering",
        "",
        f"The demo week {r['week']} ({r['pages']} pages), rendered from a classified and mined "
        f"database: {r['seconds']} s (best of 3; worst {r['seconds_max']} s). Target (issue 5): "
        "a 12–16 page report in at most 5 s.",
    ]


def classify_section(workdir: Path) -> dict[str, object]:
    from bench.classify import measure

    print("bench: classifier …", file=sys.stderr, flush=True)
    return measure(workdir)


def classify_markdown(c: dict[str, object]) -> list[str]:
    lines = [
        "",
        "## Classifier (`predict`, one process)",
        "",
        f"{c['texts']:,} texts from {c['source']}, model {c['model_version']}. Target (issue 3): "
        "predict at least 0.5x the throughput of spaCy's tokenizer alone.",
        "",
        "| spaCy tokenizer alone | predict (rules + textcat + evidence) | ratio |",
        "|---:|---:|---:|",
        f"| {c['tokenizer_per_s']:,} texts/s | {c['predict_per_s']:,} texts/s | {c['ratio']}x |",
    ]
    dev = c.get("dev_random")
    if isinstance(dev, dict):
        f1 = ", ".join(f"{k} {v}" for k, v in dev["f1"].items())
        lines += [
            "",
            f"Real labelled complaints (`labels_dev.csv`, random part, n={dev['n']}): accuracy "
            f"{dev['accuracy']} (always the majority class: {dev['majority_baseline']}), "
            f"macro-F1 {dev['macro_f1']}; F1 per cause: {f1}. Target: accuracy 0.80, "
            "macro-F1 0.65.",
        ]
    return lines


def write_markdown(
    info: dict[str, object],
    ingest: list[dict[str, object]],
    classify: dict[str, object] | None = None,
    themes: list[dict[str, object]] | None = None,
    report: dict[str, object] | None = None,
) -> str:
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
    if classify:
        lines += classify_markdown(classify)
    if themes:
        lines += themes_markdown(themes)
    if report:
        lines += report_markdown(report)
    return "\n".join(lines) + "\n"


def main() -> None:
    sizes = [int(s) for s in os.environ.get("ROOTCAUSE_BENCH_SIZES", "100000,1000000").split(",")]
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="rootcause-bench-") as tmp:
        ingest = ingest_section(sizes, Path(tmp))
        classify = classify_section(Path(tmp))
        themes = themes_section()
        print("bench: report …", file=sys.stderr, flush=True)
        report = _child("bench.report", tmp)
    info: dict[str, object] = {"date": datetime.now(UTC).strftime("%Y-%m-%d"), "machine": machine()}
    result = {**info, "ingest": ingest, "classify": classify, "themes": themes, "report": report}
    (OUT / "bench.json").write_text(json.dumps(result, indent=2) + "\n")
    markdown = write_markdown(info, ingest, classify, themes, report)
    (ROOT / "BENCHMARKS.md").write_text(markdown)
    print(markdown)


if __name__ == "__main__":
    main()
