"""Classifier throughput beside spaCy's tokenizer alone, and accuracy on the real labelled set.

Texts: the real complaints in ../shared/data/real when they are there (measuring only, never
training), otherwise generated ones. Both timings run in this one process on the same texts.
"""

from __future__ import annotations

import csv
import time
from pathlib import Path
from typing import Any

from bench.generate import write_csv

REAL = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "real"
ROUNDS = 5
FILES = ("cfpb_complaints.csv", "twcs_customer_tweets.csv", "airline_complaint_tweets.csv")


def _real_texts() -> dict[str, str]:
    csv.field_size_limit(1 << 30)
    texts: dict[str, str] = {}
    for name in FILES:
        with (REAL / name).open(encoding="utf-8", newline="") as fh:
            texts.update((row["id"], row["text"]) for row in csv.DictReader(fh))
    return texts


def measure(workdir: Path) -> dict[str, Any]:
    from rootcause.classify.evaluate import classification_metrics
    from rootcause.classify.predict import Classifier

    real = all((REAL / f).is_file() for f in FILES)
    if real:
        texts_by_id = _real_texts()
        texts = list(texts_by_id.values())
    else:
        path = write_csv(workdir / "classify-texts.csv", 10_000, seed=3)
        with path.open(encoding="utf-8", newline="") as fh:
            texts = [row["text"] for row in csv.DictReader(fh)]
    clf = Classifier()
    # Warm up both on every text first: spaCy adds each new word to its vocabulary once, and
    # neither side should pay for that inside its timing.
    for text in texts:
        clf.nlp.make_doc(text)
    list(clf.predict(texts[:200]))
    # Best of ROUNDS, alternating the two, so a busy moment on the machine hits neither alone.
    tokenizer_s = predict_s = float("inf")
    for _ in range(ROUNDS):
        start = time.perf_counter()
        for text in texts:
            clf.nlp.make_doc(text)
        tokenizer_s = min(tokenizer_s, time.perf_counter() - start)
        start = time.perf_counter()
        predictions = list(clf.predict(texts))
        predict_s = min(predict_s, time.perf_counter() - start)
    out: dict[str, Any] = {
        "texts": len(texts), "source": "shared/data/real" if real else "generated",
        "model_version": clf.version,
        "tokenizer_per_s": round(len(texts) / tokenizer_s),
        "predict_per_s": round(len(predictions) / predict_s),
        "ratio": round(tokenizer_s / predict_s, 3), "rounds": ROUNDS,
    }  # fmt: skip
    labels = REAL / "labels_dev.csv"
    if real and labels.is_file():
        with labels.open(encoding="utf-8", newline="") as fh:
            rows = [r for r in csv.DictReader(fh) if r["sampled"] == "random"]
        preds = [p.cause for p in clf.predict(texts_by_id[r["id"]] for r in rows)]
        causes = list(clf.meta["causes"])
        m = classification_metrics([r["cause"] for r in rows], preds, causes)
        out["dev_random"] = {
            "n": m["n"],
            "accuracy": m["accuracy"],
            "macro_f1": m["macro_f1"],
            "majority_baseline": m["majority_baseline"],
            "f1": {c: m["per_cause"][c]["f1"] for c in causes},
        }
    return out
