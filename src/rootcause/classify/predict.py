"""Load the saved pipeline once and classify texts in batches: cause, confidence, evidence.

Evidence is what a reviewer needs to trust or correct a verdict: the rule spans that matched
(with their cause and pattern) and the words in the text that most favour the predicted cause
(naive-Bayes log-count ratios learned from the training data and saved with the model).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd  # type: ignore[import-untyped]
import spacy
from spacy.pipeline import TextCategorizer
from spacy.tokens import Doc

from rootcause.classify.nlp import (  # importing it registers our factories
    CHURN_LABEL,
    RULE_SPANS,
    RULER,
    SCORES,
    TEXTCAT,
    CauseScores,
    TaxonomyRuler,
    lower_ids,
)
from rootcause.classify.phrases import LEARNED_PREFIX
from rootcause.classify.text import model_text
from rootcause.classify.train import META_FILE
from rootcause.classify.vectors import load_vectors, vectors_digest
from rootcause.errors import RootcauseError
from rootcause.gcpause import paused_gc

DEFAULT_MODEL = Path(__file__).resolve().parent / "model"


@dataclass(frozen=True)
class Prediction:
    cause: str
    confidence: float
    scores: dict[str, float]
    needs_review: bool
    evidence: list[dict[str, Any]] = field(default_factory=list)
    secondary: list[str] = field(default_factory=list)
    churn_risk: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "cause": self.cause, "confidence": self.confidence, "scores": self.scores,
            "needs_review": self.needs_review, "evidence": self.evidence,
            "secondary": self.secondary, "churn_risk": self.churn_risk,
        }  # fmt: skip


class Classifier:
    """A trained pipeline and the figures saved with it (version, review threshold, lexicon)."""

    def __init__(self, path: Path = DEFAULT_MODEL) -> None:
        meta_path = path / META_FILE
        if not meta_path.is_file():
            raise RootcauseError(f"{path}: no trained classifier here (run `rootcause train`)")
        self.path = path
        self.meta: dict[str, Any] = json.loads(meta_path.read_text())
        self.version: str = self.meta["version"]
        self.threshold: float = float(self.meta["review_threshold"])
        self.lexicon: dict[str, dict[str, float]] = self.meta["lexicon"]
        self.nlp = spacy.load(path)
        if self.meta.get("vectors"):
            self._attach_vectors(self.meta["vectors"])
        # `predict` drives the three components itself (see `_predict_batch`).
        self.ruler: TaxonomyRuler = self.nlp.get_pipe(RULER)  # type: ignore[assignment]
        self.textcat: TextCategorizer = self.nlp.get_pipe(TEXTCAT)  # type: ignore[assignment]
        self.cause_scores: CauseScores = self.nlp.get_pipe(SCORES)  # type: ignore[assignment]
        self._lexicon_names = sorted(set().union(*self.lexicon.values()))
        self._lexicon_index = pd.Index(
            np.array([self.nlp.vocab.strings.add(w) for w in self._lexicon_names], dtype="uint64")
        )

    def _attach_vectors(self, digest: str) -> None:
        """Set the shipped word-vector table on the vocabulary: the model was trained on it,
        and a different table would give different answers, so a mismatch is an error."""
        shipped = vectors_digest()
        if shipped != digest:
            raise RootcauseError(
                f"{self.path}: trained on word vectors {digest}, but the package has "
                f"{shipped} (run `rootcause train`)"
            )
        self.nlp.vocab.vectors = load_vectors(self.nlp.vocab.strings)

    def predict(
        self, texts: Iterable[str], *, batch_size: int = 4096, batch_chars: int = 1_000_000
    ) -> Iterator[Prediction]:
        """Predictions in the order of `texts`, computed a batch at a time.

        A batch ends at `batch_size` texts or `batch_chars` characters, whichever comes first.
        Every stage ran faster per text in large batches (12,987 real complaints, CPU time,
        best of 9: 1.35 s in batches of 512, 1.22 s in batches of 4096); the character cap
        bounds what the batch's documents hold (~100 bytes a character) when complaints are
        long narratives.
        """
        # Batches go through the components directly: `nlp.pipe`'s generic plumbing (contexts,
        # error handlers, per-component re-batching) cost a tenth of predict's time, and the
        # textcat's score matrix goes straight into the cause scores instead of through a
        # `doc.cats` dict per document.
        batch: list[str] = []
        chars = 0
        for text in texts:
            batch.append(text)
            chars += len(text)
            if len(batch) >= batch_size or chars >= batch_chars:
                yield from self._predict_batch(batch)
                batch, chars = [], 0
        if batch:
            yield from self._predict_batch(batch)

    def _predict_batch(self, texts: list[str]) -> list[Prediction]:
        """One batch with the cyclic garbage collector paused. The loaded pipeline holds ~86k
        long-lived objects, and the full collections that a batch's allocations set off walked
        them all for nothing (about 7% of predict's time); a batch's own garbage is freed by
        reference counting, and anything cyclic waits at most one batch. Paused only while no
        caller code runs (the batch is built before it is handed out)."""
        with paused_gc():
            batch = [model_text(text) for text in texts]
            docs = [self.nlp.make_doc(text) for text in batch]
            for doc in docs:
                doc.user_data[RULE_SPANS] = self.ruler.found(doc)
            causes = self.textcat.labels
            probs = self.textcat.predict(docs)
            # A document without words gets no opinion from the classifier, as spaCy answers a
            # batch of only such documents; in a mixed batch it would get the model's bias.
            probs[[i for i, doc in enumerate(docs) if not len(doc)]] = 0.0
            scores = self.cause_scores.score(docs, probs, causes)
            rows = np.round(scores, 4).tolist()
            return [
                self._prediction(doc, words, dict(zip(causes, row, strict=True)))
                for doc, words, row in zip(docs, self._lexicon_words(docs), rows, strict=True)
            ]

    def _lexicon_words(self, docs: list[Doc]) -> list[list[str]]:
        """Each document's words that are in any cause's lexicon, found for the whole batch in
        one hash lookup of the word ids the classifier already read. A regex over each text had
        cost 70 ms of predict's 1.3 s on the real complaints, the long narratives most."""
        words_of = [lower_ids(doc) for doc in docs]
        found = self._lexicon_index.get_indexer(np.concatenate(words_of))
        at = np.flatnonzero(found >= 0)
        ends = np.cumsum([len(w) for w in words_of])
        bounds = np.searchsorted(at, ends).tolist()
        names = self._lexicon_names
        hits = [names[i] for i in found[at].tolist()]
        return [hits[a:b] for a, b in zip([0, *bounds[:-1]], bounds, strict=True)]

    def _prediction(self, doc: Doc, words: list[str], scores: dict[str, float]) -> Prediction:
        cause = max(scores, key=scores.__getitem__)
        confidence = scores[cause]
        evidence: list[dict[str, Any]] = []
        secondary: list[str] = []
        churn = False
        for span in doc.user_data.pop(RULE_SPANS):
            if span.label_ == CHURN_LABEL:
                churn = True
                evidence.append(
                    {
                        "kind": "churn",
                        "text": span.text,
                        "start": span.start_char,
                        "end": span.end_char,
                        "pattern": span.id_,
                    }
                )
                continue
            # A learned phrase is the model's evidence, not the taxonomy's: it names no
            # secondary cause, and the report's rule tallies leave it out.
            learned = span.id_.startswith(LEARNED_PREFIX)
            evidence.append(
                {
                    "kind": "phrase" if learned else "rule",
                    "cause": span.label_,
                    "text": span.text,
                    "start": span.start_char,
                    "end": span.end_char,
                    "pattern": span.id_,
                }
            )
            if not learned and span.label_ != cause and span.label_ not in secondary:
                secondary.append(span.label_)
        weights = self.lexicon.get(cause, {})
        favour = set(filter(weights.__contains__, words))
        for word in sorted(favour, key=lambda w: (-weights[w], w))[:3]:
            evidence.append(
                {"kind": "token", "cause": cause, "text": word, "weight": weights[word]}
            )
        return Prediction(
            cause, confidence, scores, confidence < self.threshold, evidence, secondary, churn
        )
