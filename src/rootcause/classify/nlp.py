"""Build the spaCy pipeline: lemmatizer -> span_ruler (taxonomy rules) -> textcat -> cause scores.

Rules are data: each taxonomy pattern becomes a span_ruler pattern labelled with its cause, so
`nlp.to_disk()` saves rules and model together. The last component, `rootcause_causes`, turns
the classifier's probabilities and the rule matches into the final, calibrated scores:
    score(c) = softmax((log p_textcat(c) + rule_weight * min(matches(c), 2)) / temperature)
It writes `doc.cats`; the matched spans stay in `doc.spans["rules"]` as evidence.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable
from typing import Any

import spacy
from spacy.language import Language
from spacy.tokens import Doc

from rootcause.taxonomy import Taxonomy

# spaCy warns (W012) that phrase patterns pass through the lemmatizer when the ruler loads; that
# costs a few milliseconds once per load and is needed for nothing else, so the warning is noise.
warnings.filterwarnings("ignore", message=r".*\[W012\]")

RULES_KEY = "rules"
CHURN_LABEL = "churn"
TEXTCAT_SCORES = "textcat_scores"  # doc.user_data key: the classifier's own probabilities


def rule_patterns(nlp: Language, taxonomy: Taxonomy) -> list[dict[str, Any]]:
    """Span-ruler patterns for every cause rule and churn phrase ("~ " marks a lemma pattern)."""
    lemmatizer: Any = nlp.get_pipe("lemmatizer")
    labelled = [(c.name, p) for c in taxonomy.causes for p in c.patterns]
    labelled += [(CHURN_LABEL, p) for p in taxonomy.churn_patterns]
    patterns = []
    for label, phrase in labelled:
        if phrase.startswith("~"):
            doc = lemmatizer(nlp.make_doc(phrase[1:].strip().lower()))
            tokens = [{"LEMMA": t.lemma_} for t in doc]
            patterns.append({"label": label, "pattern": tokens, "id": phrase})
        else:
            # A phrase pattern goes to the PhraseMatcher, which costs nothing per pattern; the
            # token Matcher's cost grows with every pattern (it was 90% of predict time).
            patterns.append({"label": label, "pattern": phrase.lower(), "id": phrase})
    return patterns


def build_nlp(taxonomy: Taxonomy, *, ngram_size: int = 2) -> Language:
    """A fresh, untrained pipeline. `nlp.initialize()` loads the lemmatizer's lookup table (from
    spacy-lookups-data, needed only here) and clears the ruler, so rules are added after it."""
    nlp = spacy.blank("en")
    nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
    nlp.add_pipe(
        "span_ruler",
        config={"spans_key": RULES_KEY, "validate": True, "phrase_matcher_attr": "LOWER"},
    )
    textcat = nlp.add_pipe("textcat", config={"model": {
        "@architectures": "spacy.TextCatBOW.v3", "exclusive_classes": True,
        "ngram_size": ngram_size, "no_output_layer": False,
    }})  # fmt: skip
    for cause in taxonomy.cause_names:
        textcat.add_label(cause)  # type: ignore[attr-defined]
    return nlp


def combine(
    textcat: dict[str, float], matches: dict[str, int], *, rule_weight: float, temperature: float
) -> dict[str, float]:
    """Final scores from classifier probabilities and rule match counts (see module docstring)."""
    logits = {
        c: (math.log(max(p, 1e-9)) + rule_weight * min(matches.get(c, 0), 2)) / temperature
        for c, p in textcat.items()
    }
    top = max(logits.values())
    exp = {c: math.exp(v - top) for c, v in logits.items()}
    total = sum(exp.values())
    return {c: v / total for c, v in exp.items()}


def rule_spans(doc: Doc) -> list[Any]:
    """Matched rule spans, one per (cause, start, end): a word form and a lemma pattern that
    match the same words count once."""
    seen: set[tuple[str, int, int]] = set()
    spans = []
    for span in doc.spans.get(RULES_KEY, []):
        key = (span.label_, span.start, span.end)
        if key not in seen:
            seen.add(key)
            spans.append(span)
    return spans


def rule_counts(doc: Doc) -> dict[str, int]:
    counts: dict[str, int] = {}
    for span in rule_spans(doc):
        counts[span.label_] = counts.get(span.label_, 0) + 1
    return counts


class CauseScores:
    """Pipeline component: keep the classifier's probabilities, write calibrated cause scores."""

    def __init__(self, rule_weight: float, temperature: float) -> None:
        self.rule_weight = rule_weight
        self.temperature = temperature

    def __call__(self, doc: Doc) -> Doc:
        raw = dict(doc.cats)
        doc.user_data[TEXTCAT_SCORES] = raw
        doc.cats = combine(
            raw, rule_counts(doc), rule_weight=self.rule_weight, temperature=self.temperature
        )
        return doc

    def pipe(self, docs: Iterable[Doc], batch_size: int = 128) -> Iterable[Doc]:
        for doc in docs:
            yield self(doc)


@Language.factory(
    "rootcause_causes",
    default_config={"rule_weight": 1.0, "temperature": 1.0},
)
def make_cause_scores(
    nlp: Language, name: str, rule_weight: float, temperature: float
) -> CauseScores:
    return CauseScores(rule_weight, temperature)
