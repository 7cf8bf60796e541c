"""Build the spaCy pipeline: span_ruler (taxonomy rules) -> textcat -> cause scores.

Rules are data: each taxonomy pattern becomes a span_ruler pattern labelled with its cause, so
`nlp.to_disk()` saves rules and model together. The last component, `rootcause_causes`, turns
the classifier's probabilities and the rule matches into the final, calibrated scores:
    score(c) = softmax((log p_textcat(c) + rule_weight * min(matches(c), 2)) / temperature)
It writes `doc.cats`; the matched spans stay in `doc.spans["rules"]` as evidence.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

import numpy as np
import spacy
from spacy.attrs import LOWER
from spacy.language import Language
from spacy.ml.models.textcat import build_bow_text_classifier_v3
from spacy.pipeline import SpanRuler
from spacy.tokens import Doc, Span
from spacy.util import registry
from spacy.vectors import Vectors
from thinc.api import Model

from rootcause.taxonomy import Taxonomy

RULES_KEY = "rules"
RULE_SPANS = "rule_spans"  # doc.user_data key: the deduplicated rule spans, found once
BOW_ARCHITECTURE = "rootcause.TextCatBOW.v2"  # v1 (no length scaling) still loads
VECTORS_ARCHITECTURE = "rootcause.TextCatBOWVectors.v1"  # BOW v2 averaged with word vectors
RULER = "span_ruler"
TEXTCAT = "textcat"
SCORES = "rootcause_causes"  # the component that writes the final scores
MAX_FORMS = 400  # spellings kept per lemma pattern; a handful of verbs gives a few dozen
CHURN_LABEL = "churn"


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


class TaxonomyRuler(SpanRuler):
    """spaCy's span ruler, matching the way our phrase-only rules need.

    The stock `match` also calls the token matcher on every document; with no token patterns it
    warns each time, and `match` silences that warning per document. Together that was a tenth
    of predict's time, for nothing. Token patterns, if ever added, are still matched.

    A document without a match gets no span group at all (`rule_spans` reads a missing one as
    empty): building an empty group per document was a twentieth of predict's time.
    """

    def __call__(self, doc: Doc) -> Doc:
        matches = self.match(doc)
        if matches or self.annotate_ents or (self.key in doc.spans and not self.overwrite):
            self.set_annotations(doc, matches)  # type: ignore[no-untyped-call]
        return doc

    def found(self, doc: Doc) -> list[Span]:
        """The matches as `rule_spans` would read them back, without writing a span group:
        predict's path. Building the group and reading it back created every span twice: 1.5%
        of predict's time on the real complaints, once learned phrases doubled the matches."""
        return _deduplicated(self.match(doc))

    def match(self, doc: Doc) -> list[Span]:
        found = list(self.phrase_matcher(doc))
        if len(self.matcher):
            found += self.matcher(doc)
        ids = self._match_label_id_map
        spans = {
            Span(doc, start, end, label=ids[key]["label"], span_id=ids[key]["id"])
            for key, start, end in found
            if start != end
        }
        return sorted(spans)


@Language.factory(
    "rootcause_rules",
    default_config={"spans_key": RULES_KEY, "phrase_matcher_attr": "LOWER", "validate": True},
)
def make_taxonomy_ruler(
    nlp: Language, name: str, spans_key: str, phrase_matcher_attr: str, validate: bool
) -> TaxonomyRuler:
    return TaxonomyRuler(
        nlp, name, spans_key=spans_key, phrase_matcher_attr=phrase_matcher_attr, validate=validate
    )


LOWER_IDS = "rootcause.lower"  # doc.user_data key: the words' lower-case ids, read once


def lower_ids(doc: Doc) -> Any:
    """The document's lower-case word ids, kept on the document: both classifier branches read
    them, and reading them twice cost 3% of predict's time."""
    ids = doc.user_data.get(LOWER_IDS)
    if ids is None:
        ids = doc.user_data[LOWER_IDS] = doc.to_array([LOWER])
    return ids


def _ngram_features(model: Model[Any, Any], docs: list[Doc], is_train: bool) -> tuple[Any, Any]:
    """spaCy's `extract_ngrams` without its per-document `unique`: a repeated n-gram is sent
    twice with count 1 instead of once with count 2. The sparse linear layer after it sums
    weight x count, so scores and gradients are the same, and the `unique` call had cost as
    much as the classifier itself. An empty document gives no keys (spaCy's own fails on it).

    It reads lower-case forms (LOWER) whatever the node's saved `attr`: models saved before
    read ORTH of lower-cased text, which are the same hashes. With the `normalize` attr, each
    document's counts are divided by the square root of its number of n-grams."""
    ops = model.ops
    size = model.attrs["ngram_size"]
    # The whole batch at once: its words end to end, each n-gram hashed over that array, the
    # n-grams that straddle two documents dropped, and each kept one written to its place, so
    # a document's keys are its words, then its pairs, ... as one loop per document made them
    # (which cost twice as much). numpy: spaCy wraps this layer in `with_cpu`.
    words_of = [lower_ids(doc) for doc in docs]
    n_words = np.array([len(w) for w in words_of], dtype="int64")
    words: Any = np.concatenate(words_of) if docs else np.zeros(0, dtype="uint64")
    doc_of = np.repeat(np.arange(len(docs)), n_words)
    word_start = np.cumsum(n_words) - n_words
    per_n = [np.maximum(n_words - n + 1, 0) for n in range(1, size + 1)]
    lengths: Any = np.sum(per_n, axis=0) if docs else np.zeros(0, dtype="int64")
    key_start = np.cumsum(lengths) - lengths
    batch_keys = np.empty(int(lengths.sum()), dtype="uint64")
    done = np.zeros(len(docs), dtype="int64")  # keys written so far per document
    for n, count in enumerate(per_n, start=1):
        if len(words) >= n:
            grams = words if n == 1 else ops.ngrams(n, words)
            first = np.arange(len(grams))
            doc = doc_of[: len(grams)]
            inside = first + n <= word_start[doc] + n_words[doc]
            at = key_start[doc] + done[doc] + first - word_start[doc]
            batch_keys[at[inside]] = grams[inside]
        done += count
    counts = ops.asarray(lengths, dtype="int32")
    if model.attrs.get("normalize"):
        scale = (1.0 / ops.xp.sqrt(ops.xp.maximum(counts, 1))).astype("f")
        vals = ops.xp.repeat(scale, counts)
    else:
        vals = ops.xp.ones((batch_keys.shape[0],), dtype="f")
    return (batch_keys, vals, counts), lambda d_out: []


def bow_textcat(normalize: bool) -> Callable[..., Model[list[Doc], Any]]:
    """spaCy's TextCatBOW.v3 with the n-gram step of `_ngram_features`: lower-case forms
    (LOWER, not ORTH), and with `normalize` each document's n-gram counts scaled by
    1/sqrt(its n-gram count). v2 (`BOW_ARCHITECTURE`) scales; v1, for models saved before the
    scaling, does not.

    Lower-case forms: the text is fed as written, because spaCy's tokenizer took ~25% longer
    on the real complaints lower-cased than as written; case is folded here, per word.

    The scaling: unscaled, a score is a sum over the document's n-grams, so a long narrative
    piles up the small weights every common word carries, and those favour the catch-all
    `other`. Of the real labelled complaints of 60+ words, 36 of 77 `process_gap` ones were
    called `other` and 2 `other` ones `process_gap`. Scaled, mean accuracy over three seeds
    rose from 0.673 to 0.713 (see the issue 3 note).
    """

    def build(
        exclusive_classes: bool,
        ngram_size: int,
        no_output_layer: bool,
        length: int = 262144,
        nO: int | None = None,  # noqa: N803  (spaCy passes the output width by this name)
    ) -> Model[list[Doc], Any]:
        model = build_bow_text_classifier_v3(
            exclusive_classes, ngram_size, no_output_layer, length, nO
        )
        stock = next(node for node in model.walk() if node.name == "extract_ngrams")
        attrs = dict(stock.attrs, normalize=normalize)
        model.replace_node(stock, Model("extract_ngrams", _ngram_features, attrs=attrs))
        return model

    return build


registry.architectures.register(BOW_ARCHITECTURE, func=bow_textcat(normalize=True))
registry.architectures.register("rootcause.TextCatBOW.v1", func=bow_textcat(normalize=False))

_VECTOR_INDEX: dict[int, tuple[Any, Any]] = {}  # id(Vectors) -> (Vectors, index of its keys)


def _vector_index(vectors: Any) -> Any:
    """A hash index of the table's keys in row order, built once per table: `get_indexer`
    then finds a whole batch's words at once (7 ms for 605k words, against 43 ms for a binary
    search and far more for spaCy's `Vectors.find`, which looks keys up one at a time)."""
    import pandas as pd  # type: ignore[import-untyped]

    cached = _VECTOR_INDEX.get(id(vectors))
    if cached is None or cached[0] is not vectors:
        keys = np.zeros(vectors.shape[0], dtype="uint64")
        for key, row in vectors.key2row.items():
            keys[row] = key
        cached = _VECTOR_INDEX[id(vectors)] = (vectors, pd.Index(keys))
    return cached[1]


def _doc_vectors(model: Model[list[Doc], Any], docs: list[Doc], is_train: bool) -> tuple[Any, Any]:
    """Each document's word vectors summed, L2-normalised and scaled by sqrt(width), so a
    feature is about 1 in size; a document with no known word is all zeros. The table is fixed:
    no gradient flows back. Summing through one sparse (documents x words) product keeps a
    batch's memory to its output, not one row per word."""
    from scipy.sparse import csr_matrix

    width = model.get_dim("nO")
    if not docs:
        return model.ops.alloc2f(0, width), lambda d_out: []
    vectors = docs[0].vocab.vectors
    if vectors.shape[1] != width:
        raise ValueError(f"the classifier needs {width}-wide word vectors, got {vectors.shape}")
    rows = [lower_ids(doc) for doc in docs]
    found = _vector_index(vectors).get_indexer(np.concatenate(rows))
    known = found >= 0
    # Words are in document order, so the running count of known words at each document's
    # last word is the sparse matrix's row pointer.
    ends = np.cumsum([len(r) for r in rows]) - 1
    running = np.cumsum(known)
    indptr = np.zeros(len(docs) + 1, dtype="int64")
    if len(running):
        indptr[1:] = np.where(ends >= 0, running[np.maximum(ends, 0)], 0)
    counts = csr_matrix(
        (np.ones(int(indptr[-1]), dtype="float32"), found[known], indptr),
        shape=(len(docs), vectors.shape[0]),
    )
    out = counts @ vectors.data
    norms = np.sqrt(np.einsum("ij,ij->i", out, out))
    out *= np.divide(np.sqrt(width), norms, out=np.zeros_like(norms), where=norms > 0)[:, None]
    return model.ops.asarray2f(out), lambda d_out: []


def _average_forward(model: Model[list[Doc], Any], docs: list[Doc], is_train: bool) -> Any:
    """The branches' probabilities averaged. Backprop hands each branch the gradient it would
    get trained alone: textcat's gradient is (scores - truths), so for the mean m of branch
    outputs p_i, p_i - truths = d_out + (p_i - m). Trained as one model, the bag of words,
    which fits the team's wording far faster, would take the whole gradient."""
    outputs, backprops = zip(*(layer(docs, is_train) for layer in model.layers), strict=True)
    mean = sum(outputs) / len(outputs)

    def backprop(d_out: Any) -> list[Doc]:
        for out, back in zip(outputs, backprops, strict=True):
            back(d_out + (out - mean))
        return []

    return mean, backprop


def _average_init(model: Model[list[Doc], Any], X: Any = None, Y: Any = None) -> None:  # noqa: N803
    for layer in model.layers:
        layer.initialize(X=X, Y=Y)
    if Y is not None:
        model.set_dim("nO", Y.shape[1], force=True)


def bow_vectors_textcat(
    exclusive_classes: bool,
    ngram_size: int,
    no_output_layer: bool,
    vector_width: int = 256,
    length: int = 262144,
    nO: int | None = None,  # noqa: N803
) -> Model[list[Doc], Any]:
    """The length-scaled bag of words (`BOW_ARCHITECTURE`) averaged with a softmax over each
    complaint's summed word vectors (`vectors.load_vectors`, set on the vocabulary). Each
    branch learns as if alone (see `_average_forward`).

    Why two branches: the bag of words knows the team's words; the vectors carry meaning to
    words the team never wrote. On the real labelled complaints (random part, n=360), a
    logistic regression on these vectors averaged with the shipped bag of words scored
    0.72-0.74 against 0.711 for the bag of words alone, in every one of 12 settings tried
    (see the issue 3 note).
    """
    from thinc.api import Softmax, chain

    bow = bow_textcat(normalize=True)(exclusive_classes, ngram_size, no_output_layer, length, nO)
    doc_vectors: Model[list[Doc], Any] = Model(
        "doc_vectors", _doc_vectors, dims={"nO": vector_width}
    )
    vec: Model[list[Doc], Any] = chain(doc_vectors, Softmax(nO=nO, nI=vector_width))
    return Model(
        "average_probs", _average_forward, init=_average_init, layers=[bow, vec], dims={"nO": nO}
    )


registry.architectures.register(VECTORS_ARCHITECTURE, func=bow_vectors_textcat)


def build_nlp(
    taxonomy: Taxonomy, *, ngram_size: int = 2, vectors: Vectors | None = None
) -> Language:
    """A fresh, untrained pipeline: a phrase ruler for the taxonomy's rules, then the textcat,
    which reads `vectors` too when given. `nlp.initialize()` clears the ruler, so rules are
    added after it (`add_rules`)."""
    nlp = spacy.blank("en")
    nlp.add_pipe("rootcause_rules", name=RULER)
    model: dict[str, Any] = {
        "@architectures": BOW_ARCHITECTURE, "exclusive_classes": True,
        "ngram_size": ngram_size, "no_output_layer": False,
    }  # fmt: skip
    if vectors is not None:
        nlp.vocab.vectors = vectors
        model.update({"@architectures": VECTORS_ARCHITECTURE, "vector_width": vectors.shape[1]})
    textcat = nlp.add_pipe(TEXTCAT, config={"model": model})
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
    if RULES_KEY not in doc.spans:  # most documents: `get` would raise and catch a KeyError
        return []
    return _deduplicated(doc.spans[RULES_KEY])


def _deduplicated(found: Iterable[Span]) -> list[Span]:
    seen: set[tuple[str, int, int]] = set()
    spans = []
    for span in found:
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
    """Pipeline component: calibrated cause scores from the classifier's and the rules' votes.

    Scores a batch at once with numpy (the same arithmetic as `combine`, which stays the
    reference), and leaves the deduplicated rule spans in `doc.user_data[RULE_SPANS]` so the
    evidence step does not find them again.
    """

    def __init__(self, rule_weight: float, temperature: float) -> None:
        self.rule_weight = rule_weight
        self.temperature = temperature

    def __call__(self, doc: Doc) -> Doc:
        return next(iter(self.pipe([doc])))

    def pipe(self, docs: Iterable[Doc], batch_size: int = 128) -> Iterator[Doc]:
        batch: list[Doc] = []
        for doc in docs:
            batch.append(doc)
            if len(batch) >= batch_size:
                yield from self._score(batch)
                batch = []
        yield from self._score(batch)

    def _score(self, docs: list[Doc]) -> list[Doc]:
        if not docs:
            return docs
        causes = list(docs[0].cats)
        probs = np.array([[doc.cats[c] for c in causes] for doc in docs], dtype="float64")
        for doc, row in zip(docs, self.score(docs, probs, causes).tolist(), strict=True):
            doc.cats = dict(zip(causes, row, strict=True))
        return docs

    def score(self, docs: Sequence[Doc], probs: Any, causes: Sequence[str]) -> Any:
        """Final scores, one row per document, from the classifier's probabilities (`probs`,
        columns in `causes` order) and each document's rule matches. `predict` calls this with
        the textcat's own output matrix, skipping the per-document `doc.cats` dicts both sides
        would otherwise write and read back."""
        column = {c: i for i, c in enumerate(causes)}
        matches = np.zeros((len(docs), len(causes)), dtype="float64")
        for row, doc in enumerate(docs):
            spans = doc.user_data.get(RULE_SPANS)
            if spans is None:  # spaCy's pipeline; predict sets them from `TaxonomyRuler.found`
                spans = doc.user_data[RULE_SPANS] = rule_spans(doc)
            for span in spans:
                if span.label_ in column:
                    matches[row, column[span.label_]] += 1
        logits = np.log(np.maximum(np.asarray(probs, dtype="float64"), 1e-9))
        logits += self.rule_weight * np.minimum(matches, 2)
        logits /= self.temperature
        exp = np.exp(logits - logits.max(axis=1, keepdims=True))
        return exp / exp.sum(axis=1, keepdims=True)


@Language.factory(
    SCORES,
    default_config={"rule_weight": 1.0, "temperature": 1.0},
)
def make_cause_scores(
    nlp: Language, name: str, rule_weight: float, temperature: float
) -> CauseScores:
    return CauseScores(rule_weight, temperature)
