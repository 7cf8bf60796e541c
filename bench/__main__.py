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
from typing import Any

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
    weekly: dict[str, object] | None = None,
) -> str:
    from rootcause.settings import IngestSettings

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
        f"batches of {IngestSettings().batch_size:,} rows (the default), one transaction each. "
        "Peak RSS is the ingest process's own. "
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
    if weekly:
        lines += weekly_markdown(weekly)
    return "\n".join(lines) + "\n"


def weekly_section(workdir: Path) -> dict[str, object]:
    """The weekly run alone at each size, then incremental on 12 weeks of history, then the
    plans of the heaviest reads (and the same on PostgreSQL when a server is given)."""
    sizes = [
        int(s) for s in os.environ.get("ROOTCAUSE_BENCH_WEEKLY", "10000,100000,1000000").split(",")
    ]
    runs = []
    for n in sizes:
        print(f"bench: weekly run, one week of {n:,} …", file=sys.stderr, flush=True)
        runs.append(_weekly_child("alone", n, workdir))
    incremental = int(os.environ.get("ROOTCAUSE_BENCH_INCREMENTAL", "100000"))
    if incremental:
        print(
            f"bench: incremental week of {incremental:,} on 12 weeks …", file=sys.stderr, flush=True
        )
        runs.append(_weekly_child("incremental", incremental, workdir))
    explained = []
    probe = max((n for n in sizes if n <= 100_000), default=None)
    if probe:
        db = workdir / f"alone-{probe}.db"
        explained.append(_child("bench.explain", f"sqlite:///{db}", "2026-W47"))
    pg = os.environ.get("ROOTCAUSE_BENCH_POSTGRES_URL")
    if pg:
        explained.append(_postgres_week(pg, probe or 100_000, workdir))
    return {"runs": runs, "explain": explained}


def _weekly_child(scenario: str, n: int, workdir: Path) -> dict[str, object]:
    """One weekly scenario; a failure (out of memory, a crash) is recorded, not fatal, so the
    other sizes still get measured and the table says what broke."""
    try:
        return _child("bench.weekly", scenario, str(n), str(workdir))
    except subprocess.CalledProcessError as exc:
        tail = (exc.stderr or "").strip().splitlines()[-3:]
        return {"scenario": scenario, "complaints": n, "error": " / ".join(tail) or str(exc)}


def _postgres_week(admin_url: str, n: int, workdir: Path) -> dict[str, object]:
    """The weekly run of `n` on a fresh PostgreSQL database (COPY ingest), then its plans."""
    import uuid

    from sqlalchemy import create_engine, make_url, text

    name = f"rootcause_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    try:
        print(f"bench: weekly run of {n:,} on PostgreSQL …", file=sys.stderr, flush=True)
        env = {**os.environ, "ROOTCAUSE_BENCH_DATABASE_URL": url}
        proc = subprocess.run(
            [sys.executable, "-m", "bench.weekly", "alone", str(n), str(workdir)],
            cwd=ROOT, env=env, capture_output=True, text=True, check=True,
        )  # fmt: skip
        plans = _child("bench.explain", url, "2026-W47")
        return {**plans, "run": json.loads(proc.stdout.strip().splitlines()[-1])}
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _cell(stage: dict[str, object]) -> str:
    return f"{stage['seconds']} s · {stage['per_s']:,}/s · {stage['peak_rss_mib']} MiB"


def weekly_markdown(weekly: dict[str, object]) -> list[str]:
    runs: list[dict[str, Any]] = weekly["runs"]  # type: ignore[assignment]
    lines = [
        "",
        "## The weekly run, end to end",
        "",
        "Generated complaints (`bench/generate.py`: 30 kinds of problem, six channels), all in "
        "week 2026-W47, into SQLite. Each stage is the CLI command a scheduler runs, in a fresh "
        "process: its time includes starting Python and loading models, its peak memory is the "
        "resident set of its process tree (classify's predict workers included), sampled every "
        "0.2 s. Cells: wall time · complaints/s · peak RSS. *Incremental* is the same "
        "new week loaded into a database already holding 12 earlier weeks of the same size, "
        "classified and mined: only the new week is classified and embedded, the window's other "
        "vectors come from the cache, and the topic model is refitted on a sample of the window "
        "(`themes.fit_sample`). Targets (issue 7): 100k in at most 2 min, 1M in at most 10 min, "
        "peak memory at most 4 GB; incremental at most 1.5x the week alone.",
        "",
        "| run | complaints | ingest | classify | themes | report | total | peak RSS |",
        "|---|---:|---|---|---|---|---:|---:|",
    ]
    alone: dict[int, float] = {}
    for r in runs:
        if "error" in r:
            lines.append(f"| {r['scenario']} | {r['complaints']:,} | failed: {r['error']} |||||")
            continue
        st = r["stages"]
        label = r["scenario"]
        if label == "incremental":
            label += f" (+{r['history_complaints']:,} history)"
        else:
            alone[r["complaints"]] = r["seconds"]
        lines.append(
            f"| {label} | {r['complaints']:,} | {_cell(st['ingest'])} | {_cell(st['classify'])} | "
            f"{_cell(st['themes'])} | {_cell(st['report'])} | {r['seconds']} s | "
            f"{r['peak_rss_mib']} MiB |"
        )
    for r in runs:
        if r["scenario"] == "incremental" and "error" not in r and r["complaints"] in alone:
            ratio = r["seconds"] / alone[r["complaints"]]
            lines += [
                "",
                f"Incremental vs alone at {r['complaints']:,}: {ratio:.2f}x "
                f"(building the {r['history_complaints']:,}-complaint history took "
                f"{r['history_build_seconds']} s and is not counted).",
            ]
    for e in weekly.get("explain", []):  # type: ignore[union-attr]
        lines += [
            "",
            f"### Plans of the two heaviest weekly reads ({e['database']}, 100k week)",
            "",
        ]
        run = e.get("run")
        if run:
            lines += [
                f"The weekly run on PostgreSQL (ingest by COPY): {run['seconds']} s in total; "
                + ", ".join(f"{k} {v['seconds']} s" for k, v in run["stages"].items())
                + ".",
                "",
            ]
        for name, p in e["plans"].items():
            lines += [f"*{name}* ({p['seconds']} s):", "", "```", *p["plan"], "```", ""]
    return lines


def main() -> None:
    sizes = [int(s) for s in os.environ.get("ROOTCAUSE_BENCH_SIZES", "100000,1000000").split(",")]
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="rootcause-bench-") as tmp:
        ingest = ingest_section(sizes, Path(tmp))
        classify = classify_section(Path(tmp))
        themes = themes_section()
        print("bench: report …", file=sys.stderr, flush=True)
        report = _child("bench.report", tmp)
        weekly = weekly_section(Path(tmp))
    info: dict[str, object] = {"date": datetime.now(UTC).strftime("%Y-%m-%d"), "machine": machine()}
    result = {**info, "ingest": ingest, "classify": classify, "themes": themes, "report": report,
              "weekly": weekly}  # fmt: skip
    (OUT / "bench.json").write_text(json.dumps(result, indent=2) + "\n")
    markdown = write_markdown(info, ingest, classify, themes, report, weekly)
    (ROOT / "BENCHMARKS.md").write_text(markdown)
    print(markdown)


if __name__ == "__main__":
    main()
