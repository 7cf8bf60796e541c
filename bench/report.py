"""PDF render time against page count: the demo week, rendered (only) three times.

python -m bench.report WORKDIR   -> one JSON line
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path


def measure(workdir: Path) -> dict[str, object]:
    from rootcause.pipeline import (
        classify_pending,
        load_demo,
        open_database,
        render_week,
        resolve_week,
        taxonomy_for,
    )
    from rootcause.settings import load_settings
    from rootcause.themes import mine_themes

    settings = load_settings({"database_url": f"sqlite:///{workdir / 'report.db'}"})
    engine = open_database(settings)
    taxonomy = taxonomy_for(settings)
    load_demo(engine, settings, taxonomy)
    week = resolve_week(engine, None)
    classify_pending(engine, settings, taxonomy)
    mine_themes(engine, settings, week)
    render_week(engine, settings, taxonomy, week, workdir / "warm.pdf")  # imports, fonts
    times, pages = [], 0
    for i in range(3):
        start = time.perf_counter()
        pages = render_week(engine, settings, taxonomy, week, workdir / f"r{i}.pdf").pages
        times.append(time.perf_counter() - start)
    return {"week": str(week), "pages": pages, "seconds": round(min(times), 2),
            "seconds_max": round(max(times), 2)}  # fmt: skip


if __name__ == "__main__":
    print(json.dumps(measure(Path(sys.argv[1]))))
