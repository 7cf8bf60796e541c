"""The plans of the weekly run's two heaviest reads, on a database a weekly bench filled.

    python -m bench.explain DATABASE_URL WEEK   -> one JSON line

The statements are the ones rootcause really sends: each query function runs once with a
listener that records its SQL and parameters, then the same SQL is explained with the same
parameters (SQLite: EXPLAIN QUERY PLAN; PostgreSQL: EXPLAIN ANALYZE).

    cause counts   store.weekly_cause_counts: causes per week over the trend window (report)
    theme tally    themes.queries.window_tally: each theme's weekly counts and cause mix over
                   the window (themes summary and report)
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine, event
from sqlmodel import Session

from rootcause.period import IsoWeek


def _captured(engine: Engine, run: Callable[[Session], object]) -> tuple[str, Any, float]:
    seen: list[tuple[str, Any]] = []

    def record(conn: Any, cursor: Any, statement: str, params: Any, *_: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            seen.append((statement, params))

    event.listen(engine, "before_cursor_execute", record)
    try:
        with Session(engine) as session:
            start = time.perf_counter()
            run(session)
            seconds = time.perf_counter() - start
    finally:
        event.remove(engine, "before_cursor_execute", record)
    statement, params = seen[-1]
    return statement, params, seconds


def explain(url: str, week: str) -> dict[str, object]:
    from rootcause import store
    from rootcause.db import make_engine
    from rootcause.themes import queries

    engine = make_engine(url)
    weeks = [str(w) for w in IsoWeek.parse(week).window(12)]
    reads: dict[str, Callable[[Session], object]] = {
        "cause counts": lambda s: store.weekly_cause_counts(session=s, weeks=weeks),
        "theme tally": lambda s: queries.window_tally(session=s, weeks=weeks, week=week),
    }
    prefix = "EXPLAIN QUERY PLAN " if engine.dialect.name == "sqlite" else "EXPLAIN ANALYZE "
    plans = {}
    for name, run in reads.items():
        statement, params, seconds = _captured(engine, run)
        with engine.connect() as conn:
            rows = conn.exec_driver_sql(prefix + statement, params).all()
        lines = [str(r[-1]) for r in rows]
        plans[name] = {"seconds": round(seconds, 3), "sql": " ".join(statement.split()),
                       "plan": lines}  # fmt: skip
    engine.dispose()
    return {"database": engine.dialect.name, "week": week, "plans": plans}


if __name__ == "__main__":
    print(json.dumps(explain(sys.argv[1], sys.argv[2])))
