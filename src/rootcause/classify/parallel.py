"""Predict on every core: worker processes that each hold their own copy of the pipeline.

spaCy's own `n_process` was slower than one process here (it ships every Doc back); these
workers return only the small `Prediction` records. The workers never touch the database: the
caller reads a batch, hands each worker a slice of its texts and writes the verdicts itself, so
claiming, committing and resuming work exactly as with one process.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from types import TracebackType
from typing import Self

from rootcause.classify.predict import Classifier, Prediction

_MAX_AUTO = 4
_loaded: dict[str, Classifier] = {}  # this worker process's model


def available_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def worker_count(setting: int) -> int:
    """`classify.processes`: 0 means one per core (at most four), 1 means no worker processes."""
    return setting if setting > 0 else min(_MAX_AUTO, available_cores())


def _exit_with_parent() -> None:
    """Runs in each worker: nothing else tells it that a killed parent will never send work
    again, and an orphan would hold a copy of the model forever."""
    from multiprocessing.connection import wait

    parent = multiprocessing.parent_process()
    if parent is not None:
        wait([parent.sentinel])
        os._exit(1)


def _load(path: str) -> None:
    threading.Thread(target=_exit_with_parent, daemon=True).start()
    _loaded["model"] = Classifier(Path(path))


def _predict(texts: list[str]) -> list[Prediction]:
    return list(_loaded["model"].predict(texts))


class PredictPool:
    """`processes` workers (spawned, so no database connection or lock is inherited)."""

    def __init__(self, model_path: Path, processes: int) -> None:
        self.processes = processes
        self._pool = ProcessPoolExecutor(
            max_workers=processes,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_load,
            initargs=(str(model_path),),
        )

    def predict(self, texts: Sequence[str]) -> list[Prediction]:
        """Verdicts for `texts`, in order: one contiguous slice per worker."""
        size = -(-len(texts) // self.processes)
        slices = [list(texts[i : i + size]) for i in range(0, len(texts), size)]
        return [p for part in self._pool.map(_predict, slices) for p in part]

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
