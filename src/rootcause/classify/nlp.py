"""Build the spaCy pipeline: span_ruler (taxonomy rules) -> textcat -> cause scores.

Rules are data: each taxonomy pattern becomes a span_ruler pattern labelled with its cause, so
`nlp.to_disk()` saves rules and model together. The last component, `rootcause_causes`, turns
the classifier's probabilities and the rule matches into the final, calibrated scores:
    score(c) = softmax((log p_textcat(c) + rule_weight * min(matches(c), 2)) / temperature)
It writes `doc.cats`; the matched spans stay in `doc.spans["rules"]` as evidence.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import spacy
from spacy.language import Language
from spacy.tokens import Doc

from rootcause.taxonomy import Taxonomy

RULES_KEY = "rules"
RULER = "span_ruler"
MAX_FORMS = 400  # spellings kept per lemma pattern; a handful of verbs gives a few dozen
CHURN_LABEL = "churn"
TEXTCAT_SCORES = "textcat_scores"  # doc.user_data key: the classifier's own probabilities


def word_forms(
    words: list[tuple[str, str]], forms_of: dict[str, set[str]], *, limit: int = MAX_FORMS
) -> list[str]:
    """Every spelling of a lemma phrase: "be on hold" -> "am on hold", "was on hold", ...

    `words` are (word, whitespace after it) pairs; `forms_of` maps a lemma to its word forms.
    Expanding once, when the model is built, lets the PhraseMatcher match lemma patterns on plain
    lower-cased words: a lemmatizer on every token at predict time had cost more than the
    tokenizer itself. The forms come from the lookup table a lemmatizer would use.
    """
    out = [""]
    for word, space in words:
        options = sorted({word} | forms_of.get(word, set()))
        out = [prefix + w + space for prefix in out for w in options][:limit]
    return [form.strip() for form in out]


def lemma_forms() -> dict[str, set[str]]:
    """lemma -> word forms, inverted from spaCy's English lookup table (spacy-lookups-data)."""
    import gzip
    import json
    from importlib.resources import files

    data = files("spacy_lookups_data") / "data" / "en_lemma_lookup.json.gz"
    with gzip.open(str(data), "rt", encoding="utf-8") as fh:
        table: dict[str, str] = json.load(fh)
    forms_of: dict[str, set[str]] = {}
    for form, lemma in table.items():
        forms_of.setdefault(lemma.lower(), set()).add(form.lower())
    return forms_of


def add_rules(nlp: Language, taxonomy: Taxonomy) -> None:
    """Give the ruler every cause rule and churn phrase ("~ " marks a lemma pattern, expanded to
    all its word forms). The pattern id keeps the taxonomy's wording for the evidence."""
    labelled = [(c.name, p) for c in taxonomy.causes for p in c.patterns]
    labelled += [(CHURN_LABEL, p) for p in taxonomy.churn_patterns]
    forms_of = lemma_forms() if any(p.startswith("~") for _, p in labelled) else {}
    patterns: list[dict[str, Any]] = []
    for label, phrase in labelled:
        if phrase.startswith("~"):
            words = [(t.text, t.whitespace_) for t in nlp.make_doc(phrase[1:].strip().lower())]
            patterns += [
                {"label": label, "pattern": form, "id": phrase}
                for form in word_forms(words, forms_of)
            ]
        else:
            patterns.append({"label": label, "pattern": phrase.lower(), "id": phrase})
    nlp.get_pipe(RULER).add_patterns(patterns)  # type: ignore[attr-defined]


def build_nlp(taxonomy: Taxonomy, *, ngram_size: int = 2) -> Language:
    """A fresh, untrained pipeline: a phrase ruler for the taxonomy's rules, then the textcat.
    `nlp.initialize()` clears the ruler, so rules are added after it (`add_rules`)."""
    nlp = spacy.blank("en")
    nlp.add_pipe("span_ruler", name=RULER, config={
        "spans_key": RULES_KEY, "validate": True, "phrase_matcher_attr": "LOWER",
    })  # fmt: skip
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
