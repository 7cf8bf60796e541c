"""Theme mining: rootcause's default pipeline beside stock BERTopic, on the same texts and the same
embeddings, one variant per process (so peak memory is each variant's own).

    python -m bench.themes default|stock N   -> one JSON line

Texts: the first N real complaints in ../shared/data/real (shuffled with a fixed seed; measuring
only) when there are N of them, otherwise N generated ones. Both variants get the TF-IDF -> SVD
embeddings rootcause computes (their time is reported apart), so the comparison is the topic
model alone. Stock BERTopic means `BERTopic(embedding_model=...)` with its own defaults: UMAP,
HDBSCAN, CountVectorizer with English stop words.

Quality, on the same tokenised documents for both:
- outlier share: documents in topic -1;
- topic diversity: unique words among the top 10 words of every topic / (10 x topics);
- NPMI coherence of each topic's top 10 words, by document co-occurrence, averaged over topics.
"""

from __future__ import annotations

import itertools
import json
import math
import random
import resource
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from bench.classify import FILES, REAL, _real_texts
from bench.generate import write_csv


def texts_for(n: int) -> tuple[list[str], str]:
    """The first `n` real texts when there are that many, otherwise `n` generated ones."""
    if all((REAL / f).is_file() for f in FILES):
        texts = sorted(set(_real_texts().values()))
        if len(texts) >= n:
            random.Random(5).shuffle(texts)
            return texts[:n], "shared/data/real"
    import csv

    path = write_csv(Path(tempfile.mkdtemp()) / "themes.csv", n, seed=11)
    with path.open(encoding="utf-8", newline="") as fh:
        return sorted({row["text"] for row in csv.DictReader(fh)}), "generated"


def npmi_and_diversity(
    topics: Sequence[Sequence[str]], docs: Sequence[set[str]]
) -> tuple[float, float]:
    n = len(docs)
    df: dict[str, set[int]] = {}
    words = {w for t in topics for w in t}
    for i, d in enumerate(docs):
        for w in words & d:
            df.setdefault(w, set()).add(i)
    scores = []
    for top in topics:
        pairs = []
        for a, b in itertools.combinations(top, 2):
            pa, pb = len(df.get(a, ())) / n, len(df.get(b, ())) / n
            pab = len(df.get(a, set()) & df.get(b, set())) / n
            if pa == 0 or pb == 0 or pab == 0:
                pairs.append(-1.0)
            elif pab == 1:
                pairs.append(1.0)
            else:
                pairs.append(math.log(pab / (pa * pb)) / -math.log(pab))
        if pairs:
            scores.append(sum(pairs) / len(pairs))
    unique = len({w for t in topics for w in t})
    diversity = unique / max(1, sum(len(t) for t in topics))
    return (sum(scores) / len(scores) if scores else 0.0), diversity


def _top_words(phrases: Sequence[str], analyse: Any, k: int = 10) -> list[str]:
    out: list[str] = []
    for p in phrases:
        for w in analyse(p):
            if w not in out:
                out.append(w)
    return out[:k]


def run(variant: str, n: int) -> dict[str, Any]:
    from rootcause.settings import Settings
    from rootcause.themes.embed import as_bertopic_backend, fit_tfidf_svd, tfidf_svd_params
    from rootcause.themes.labels import build_vectorizer
    from rootcause.themes.model import fit_topic_model
    from rootcause.themes.text import Preprocessor, stop_words_for

    texts, source = texts_for(n)
    cfg = Settings().themes
    start = time.perf_counter()
    params = tfidf_svd_params(dims=cfg.embedding_dims, seed=cfg.seed)
    embedder = fit_tfidf_svd(texts, params)
    x = np.asarray(embedder.embed(texts), dtype=np.float32)
    embed_s = time.perf_counter() - start
    stop = stop_words_for(texts) | embedder.stop_words
    clean = Preprocessor(embedder.boilerplate)
    analyse = build_vectorizer(stop).build_analyzer()
    docs = [set(analyse(clean(t))) for t in texts]

    import bertopic  # noqa: F401  (its 3-5 s import is paid before the clock starts, for both)

    start = time.perf_counter()
    if variant == "default":
        _, fit = fit_topic_model(
            cfg, texts, x, np.ones(len(texts)), embedder=embedder, stop_words=stop,
            boilerplate=embedder.boilerplate,
        )  # fmt: skip
        topics = [_top_words(fit.words[t].keywords, analyse) for t in fit.topic_ids]
        outliers = fit.outlier_share
        n_topics = len(fit.topic_ids)
    else:
        from bertopic import BERTopic

        model = BERTopic(embedding_model=as_bertopic_backend(embedder), verbose=False)
        assigned = model.fit_transform(texts, embeddings=x.astype(np.float64))[0]
        ids = sorted(set(assigned) - {-1})
        topics = [_top_words([w for w, _ in model.get_topic(t)], analyse) for t in ids]
        outliers = sum(1 for t in assigned if t == -1) / len(assigned)
        n_topics = len(ids)
    fit_s = time.perf_counter() - start
    npmi, diversity = npmi_and_diversity(topics, docs)
    return {
        "variant": variant, "texts": len(texts), "source": source,
        "embed_seconds": round(embed_s, 2), "fit_seconds": round(fit_s, 2),
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "topics": n_topics, "outlier_share": round(outliers, 4),
        "diversity": round(diversity, 3), "npmi": round(npmi, 3),
    }  # fmt: skip


if __name__ == "__main__":
    print(json.dumps(run(sys.argv[1], int(sys.argv[2]))))
