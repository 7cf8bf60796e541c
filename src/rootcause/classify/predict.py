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
)
from rootcause.classify.text import LEXICON_WORD, model_text
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

    def _attach_vectors(self, digest: str) -> None:
        """Set the shipped word-vector table on the vocabulary: the model was trained on it,
        and a different table would give different answers, so a mismatch is an error."""
        if vectors_digest() != digest:
            raise RootcauseError(
                f"{self.path}: trained on word vectors {digest}, but the package has "
                f"{vectors_digest()} (run `rootcause train`)"
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
        # `doc.cats` dict per document. The model text rides along for the evidence words;
        # rebuilding it from the tokens cost more.
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
            docs = [self.ruler(self.nlp.make_doc(text)) for text in batch]
            causes = self.textcat.labels
            probs = self.textcat.predict(docs)
            # A document without words gets no opinion from the classifier, as spaCy answers a
            # batch of only such documents; in a mixed batch it would get the model's bias.
            probs[[i for i, doc in enumerate(docs) if not len(doc)]] = 0.0
            scores = self.cause_scores.score(docs, probs, causes)
            rows = np.round(scores, 4).tolist()
            return [
                self._prediction(doc, text, dict(zip(causes, row, strict=True)))
                for doc, text, row in zip(docs, batch, rows, strict=True)
            ]

    def _prediction(self, doc: Doc, text: str, scores: dict[str, float]) -> Prediction:
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
            evidence.append(
                {
                    "kind": "rule",
                    "cause": span.label_,
                    "text": span.text,
                    "start": span.start_char,
                    "end": span.end_char,
                    "pattern": span.id_,
                }
            )
            if span.label_ != cause and span.label_ not in secondary:
                secondary.append(span.label_)
        weights = self.lexicon.get(cause, {})
        words = set(filter(weights.__contains__, LEXICON_WORD.findall(text.lower())))
        for word in sorted(words, key=lambda w: (-weights[w], w))[:3]:
            evidence.append(
                {"kind": "token", "cause": cause, "text": word, "weight": weights[word]}
            )
        return Prediction(
            cause, confidence, scores, confidence < self.threshold, evidence, secondary, churn
        )
