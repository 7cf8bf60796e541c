"""Labelled complaint texts for training and evaluation: JSON Lines or CSV with text and cause."""

from __future__ import annotations

import json
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from rootcause import csvrows
from rootcause.errors import InputError


@dataclass(frozen=True)
class LabelledText:
    text: str
    cause: str
    origin: str = ""


def read_labelled(path: Path, causes: Sequence[str]) -> list[LabelledText]:
    """Read `text` + `cause` rows; an unknown cause or missing field names the file and line."""
    if not path.is_file():
        raise InputError(path, "no such file")
    rows: list[tuple[int, dict[str, object]]] = []
    with path.open(encoding="utf-8-sig", newline="") as fh:
        if path.suffix.lower() in {".jsonl", ".ndjson", ".json"}:
            for line_no, line in enumerate(fh, 1):
                if line.strip():
                    try:
                        rows.append((line_no, json.loads(line)))
                    except ValueError as exc:
                        raise InputError(path, f"not valid JSON: {exc}", line=line_no) from None
        else:
            reader = csvrows.DictReader(fh)
            for row in reader:
                rows.append((reader.record_line, dict(row)))
    out = []
    for line_no, row in rows:
        text, cause = row.get("text"), row.get("cause")
        if not isinstance(text, str) or not text.strip():
            raise InputError(path, "no 'text'", line=line_no)
        if cause not in causes:
            raise InputError(
                path, f"unknown cause {cause!r} (known: {', '.join(causes)})", line=line_no
            )
        out.append(LabelledText(text.strip(), str(cause), f"{path.name}:{line_no}"))
    return out


def read_dir(folder: Path, causes: Sequence[str]) -> list[LabelledText]:
    files = sorted(folder.glob("*.jsonl")) + sorted(folder.glob("*.csv"))
    if not files:
        raise InputError(folder, "no .jsonl or .csv training files here")
    return [ex for f in files for ex in read_labelled(f, causes)]


def stratified_split(
    examples: Iterable[LabelledText], *, dev_share: float, test_share: float, seed: int
) -> tuple[list[LabelledText], list[LabelledText], list[LabelledText]]:
    """Split each cause separately, so every split keeps the cause mix."""
    by_cause: dict[str, list[LabelledText]] = {}
    for ex in examples:
        by_cause.setdefault(ex.cause, []).append(ex)
    rng = random.Random(seed)
    train: list[LabelledText] = []
    dev: list[LabelledText] = []
    test: list[LabelledText] = []
    for cause in sorted(by_cause):
        items = sorted(by_cause[cause], key=lambda e: (e.text, e.origin))
        rng.shuffle(items)
        n_dev, n_test = round(len(items) * dev_share), round(len(items) * test_share)
        dev += items[:n_dev]
        test += items[n_dev : n_dev + n_test]
        train += items[n_dev + n_test :]
    return train, dev, test
