"""Classification metrics: per-cause precision / recall / F1, macro-F1, accuracy, confusion, ECE."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def classification_metrics(
    gold: Sequence[str], pred: Sequence[str], labels: Sequence[str]
) -> dict[str, Any]:
    """The figures `rootcause evaluate` prints; confusion[gold][pred] counts."""
    confusion = {g: {p: 0 for p in labels} for g in labels}
    for g, p in zip(gold, pred, strict=True):
        if g in confusion and p in confusion[g]:
            confusion[g][p] += 1
    per_cause: dict[str, dict[str, float | int]] = {}
    for c in labels:
        tp = confusion[c][c]
        fp = sum(confusion[g][c] for g in labels if g != c)
        fn = sum(confusion[c][p] for p in labels if p != c)
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_cause[c] = {
            "precision": round(precision, 4),
            "recall": round(recall, 4),
            "f1": round(f1, 4),
            "support": tp + fn,
        }
    n = len(gold)
    accuracy = sum(g == p for g, p in zip(gold, pred, strict=True)) / n if n else 0.0
    present = [c for c in labels if per_cause[c]["support"]]
    macro = sum(float(per_cause[c]["f1"]) for c in present) / len(present) if present else 0.0
    majority = max(labels, key=lambda c: per_cause[c]["support"]) if labels else ""
    return {
        "n": n,
        "accuracy": round(accuracy, 4),
        "macro_f1": round(macro, 4),
        "majority_class": majority,
        "majority_baseline": round(per_cause[majority]["support"] / n, 4) if n else 0.0,
        "per_cause": per_cause,
        "confusion": confusion,
    }


def expected_calibration_error(
    confidences: Sequence[float], correct: Sequence[bool], bins: int = 10
) -> float:
    """ECE: the gap between confidence and accuracy, averaged over equal-width bins."""
    n = len(confidences)
    if not n:
        return 0.0
    total = 0.0
    for b in range(bins):
        lo, hi = b / bins, (b + 1) / bins
        idx = [i for i, c in enumerate(confidences) if lo < c <= hi or (b == 0 and c == 0)]
        if idx:
            acc = sum(correct[i] for i in idx) / len(idx)
            conf = sum(confidences[i] for i in idx) / len(idx)
            total += len(idx) / n * abs(acc - conf)
    return round(total, 4)
