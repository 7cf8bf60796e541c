"""Labels a quality lead would write: short phrases picked from c-TF-IDF over 1-3-grams.

c-TF-IDF (BERTopic's class-based TF-IDF) scores every word and phrase by how much more often it
occurs in one theme than in the others. Its raw top term is usually a single word ("refund"),
which names a subject, not a failure; the phrase that names the failure ("refund delay", "wrong
size sent") scores a little lower because phrases are rarer than their words. So:

* candidates are the theme's top c-TF-IDF terms, with stop words, names, handles, masks and
  boilerplate sentences already gone (the vectorizer uses `rootcause.themes.text`), that occur
  in at least MIN_SUPPORT of the theme's complaints;
* keywords are picked from them by maximal marginal relevance (MMR), where two terms are
  redundant when they share a word stem, so "crash", "crashes" and "app crash" are not three
  keywords;
* the label is the strongest 2-4 word phrase among the candidates scoring at least
  PHRASE_RATIO of the best term (`choose_label`); otherwise the two best distinct keywords.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np

from rootcause.themes.text import NEGATIONS, TOKEN_PATTERN

CANDIDATES = 100  # c-TF-IDF terms considered per theme
PHRASE_RATIO = 0.4
MIN_SUPPORT = 0.05
MMR_DIVERSITY = 0.4
MAX_LABEL_WORDS = 4
NGRAM_RANGE = (1, 3)


@dataclass(frozen=True)
class TopicWords:
    label: str
    keywords: tuple[str, ...]


@cache
def _vectorizer_class() -> type:
    from sklearn.feature_extraction.text import CountVectorizer

    class ThemeVectorizer(CountVectorizer):  # type: ignore[misc]
        """A CountVectorizer that builds its feature names once per fit: BERTopic and the
        labeller both ask for them, and each build of a 1-3-gram vocabulary took a third of a
        second at 10k complaints."""

        def get_feature_names_out(self, input_features: Any = None) -> Any:
            names = getattr(self, "_names", None)
            if names is None or names[0] is not self.vocabulary_:
                names = (self.vocabulary_, super().get_feature_names_out(input_features))
                self._names = names
            return names[1]

        def build_analyzer(self) -> Any:
            """sklearn's word analyzer, same output in the same order, with the n-grams built
            by `zip` instead of slicing: every document is analysed two or three times per fit,
            and the stock n-gram loop was a fifth of the fit. Any other setup gets sklearn's."""
            stock = (self.analyzer, self.input, self.tokenizer, self.strip_accents)
            if stock != ("word", "content", None, None) or re.compile(self.token_pattern).groups:
                return super().build_analyzer()
            preprocess = self.build_preprocessor()
            findall = re.compile(self.token_pattern).findall
            stop = frozenset(self.get_stop_words() or ())
            low, high = self.ngram_range

            def analyse(doc: str) -> list[str]:
                words = [w for w in findall(preprocess(doc)) if w not in stop]
                grams = list(words) if low == 1 else []
                for n in range(max(2, low), min(high, len(words)) + 1):
                    grams += map(" ".join, zip(*(words[i:] for i in range(n)), strict=False))
                return grams

            return analyse

    return ThemeVectorizer


def build_vectorizer(stop_words: Iterable[str], preprocessor: Any = None) -> Any:
    """The CountVectorizer BERTopic runs per theme: 1-3-grams without stop words.

    `preprocessor` is None for text already cleaned (what the model passes), or a
    `text.Preprocessor` to clean raw complaints on the fly.

    min_df stays 1 because BERTopic feeds it one concatenated document per theme, so a
    document frequency would count themes, not complaints.
    """
    return _vectorizer_class()(
        preprocessor=preprocessor,
        token_pattern=TOKEN_PATTERN,
        stop_words=sorted(stop_words),
        ngram_range=NGRAM_RANGE,
    )


def _stem(word: str) -> str:
    """A crude stem, enough to see that crash/crashes/crashed and size/sizes are one word."""
    for suffix in ("ing", "ed", "es", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)]
            break
    return word[:-1] if word.endswith("e") and len(word) > 3 else word


@cache
def _stems(term: str) -> frozenset[str]:
    return frozenset(_stem(w) for w in term.split())


def redundancy(a: str, b: str) -> float:
    """Share of the shorter term's word stems that the other term also has (0..1)."""
    sa, sb = _stems(a), _stems(b)
    if not sa or not sb:
        return 0.0
    return len(sa & sb) / min(len(sa), len(sb))


# A cluster whose complaints share no wording often enough to name it (short replies, mixed
# one-liners): saying so beats inventing a name.
UNLABELLED = "no shared wording"


def _usable(term: str) -> bool:
    """No repeated word or stem ("crash crashes"), not ending in (or made of) a negation, and no
    one-letter chat shorthand ("w u" from "with you")."""
    words = term.split()
    return (
        bool(words)
        and len({_stem(w) for w in words}) == len(words)
        and words[-1] not in NEGATIONS
        and all(len(w) >= 2 for w in words)
        and any(len(w) >= 3 for w in words)
    )


def mmr(
    candidates: Sequence[tuple[str, float]], *, top_n: int, diversity: float = MMR_DIVERSITY
) -> list[tuple[str, float]]:
    """Maximal marginal relevance over (term, score): relevant, and unlike those already picked."""
    pool = [(t, s) for t, s in candidates if t and s > 0 and _usable(t)]
    if not pool:
        return []
    best = max(s for _, s in pool)
    chosen: list[tuple[str, float]] = []
    while pool and len(chosen) < top_n:

        def gain(item: tuple[str, float]) -> float:
            term, score = item
            penalty = max((redundancy(term, c) for c, _ in chosen), default=0.0)
            return (1 - diversity) * score / best - diversity * penalty

        pick = max(pool, key=gain)  # first of equals wins: candidates arrive best first
        chosen.append(pick)
        pool.remove(pick)
    return chosen


def choose_label(
    candidates: Sequence[tuple[str, float]],
    keywords: Sequence[str],
    word_scores: Mapping[str, float],
) -> str:
    """The phrase a person would use, else the two best keywords that share no word.

    A 2-4 word phrase qualifies when it scores at least PHRASE_RATIO of the best term; among
    those, the winner maximises its own score times the mean score of its words, so "rude driver"
    (two strong words) beats "kids meal" (a frequent but incidental pair).
    """
    usable = [(t, s) for t, s in candidates if t and s > 0 and _usable(t)]
    if not usable:
        return UNLABELLED
    top = max(s for _, s in usable)

    def strength(phrase: tuple[str, float]) -> float:
        words = phrase[0].split()
        return phrase[1] * sum(word_scores.get(w, 0.0) for w in words) / len(words)

    phrases = [
        (t, s)
        for t, s in usable
        if 2 <= len(t.split()) <= MAX_LABEL_WORDS and s >= PHRASE_RATIO * top
    ]
    if phrases:
        return max(phrases, key=strength)[0]  # first of equals wins
    first = keywords[0] if keywords else usable[0][0]
    for other in keywords[1:]:
        if redundancy(first, other) == 0:
            return f"{first}, {other}"
    return first


def describe_topic(
    candidates: Sequence[tuple[str, float]],
    *,
    support: Mapping[str, int],
    size: int,
    word_scores: Mapping[str, float],
    top_n: int,
) -> TopicWords:
    """Label and keywords for one theme from its c-TF-IDF candidates (best first).

    `support[term]` is how many of the theme's `size` documents contain the term; terms in fewer
    than MIN_SUPPORT of them (and at least two) are one person's wording, not the theme's.
    """
    floor = max(2, math.ceil(MIN_SUPPORT * size))
    supported = [(t, s) for t, s in candidates if support.get(t, 0) >= floor]
    pool = supported or list(candidates)
    keywords = tuple(t for t, _ in mmr(pool, top_n=top_n))
    return TopicWords(label=choose_label(pool, keywords, word_scores), keywords=keywords)


def term_support(
    documents: Sequence[str], topics: Sequence[int], terms: Iterable[str], vectorizer: Any
) -> dict[tuple[int, str], int]:
    """How many documents of each topic contain each term, counted with `vectorizer`'s analyzer."""
    from sklearn.feature_extraction.text import CountVectorizer

    vocabulary = sorted(set(terms))
    if not vocabulary or not documents:
        return {}
    counter = CountVectorizer(
        analyzer=vectorizer.build_analyzer(), vocabulary=vocabulary, binary=True
    )
    present = counter.transform(list(documents)).tocsc()
    topic_array = np.asarray(topics)
    out: dict[tuple[int, str], int] = {}
    for j, term in enumerate(vocabulary):
        rows = present.indices[present.indptr[j] : present.indptr[j + 1]]
        for topic, n in zip(*np.unique(topic_array[rows], return_counts=True), strict=True):
            out[(int(topic), term)] = int(n)
    return out


def class_tfidf(documents: Sequence[str], topics: Sequence[int], vectorizer: Any) -> Any:
    """c-TF-IDF the way BERTopic computes it: one concatenated document per topic (rows in
    sorted topic order), counted by `vectorizer` (fitted here), weighted by
    ClassTfidfTransformer(reduce_frequent_words=True)."""
    from bertopic.vectorizers import ClassTfidfTransformer

    joined: dict[int, list[str]] = {}
    for document, topic in zip(documents, topics, strict=True):
        joined.setdefault(int(topic), []).append(document)
    counts = vectorizer.fit_transform([" ".join(joined[t]) for t in sorted(joined)])
    return ClassTfidfTransformer(reduce_frequent_words=True).fit_transform(counts)


def label_topics(
    c_tf_idf: Any,
    vectorizer: Any,
    documents: Sequence[str],
    topics: Sequence[int],
    *,
    top_n: int,
) -> dict[int, TopicWords]:
    """Label and keywords of every topic (-1 included) from its c-TF-IDF row.

    Rows of `c_tf_idf` are the topics in sorted order, as BERTopic builds them. Candidates are
    taken straight from the rows (CANDIDATES per topic, ties in vocabulary order) because
    BERTopic's own top 30 tie on dozens of one-off phrases.
    """
    vocabulary = vectorizer.vocabulary_
    names = vectorizer.get_feature_names_out()
    ordered = sorted({int(t) for t in topics})
    candidates = {t: top_terms(c_tf_idf, names, row) for row, t in enumerate(ordered)}
    terms = {term for found in candidates.values() for term, _ in found}
    support = term_support(documents, topics, terms, vectorizer)
    sizes = Counter(int(t) for t in topics)
    out: dict[int, TopicWords] = {}
    for row, topic in enumerate(ordered):
        words = {w for term, _ in candidates[topic] for w in term.split()}
        word_scores = {w: float(c_tf_idf[row, vocabulary[w]]) for w in words if w in vocabulary}
        out[topic] = describe_topic(
            candidates[topic],
            support={term: support.get((topic, term), 0) for term, _ in candidates[topic]},
            size=sizes[topic],
            word_scores=word_scores,
            top_n=top_n,
        )
    return out


def top_terms(
    matrix: Any, terms: Sequence[str], row: int, n: int = CANDIDATES
) -> list[tuple[str, float]]:
    """The n best (term, score) of one c-TF-IDF row, best first; ties by vocabulary order
    (alphabetical for scikit-learn's vectorizers), so the result never depends on sorting luck."""
    line = matrix.getrow(row).tocoo()
    order = np.lexsort((line.col, -line.data))[:n]
    return [(terms[int(line.col[i])], float(line.data[i])) for i in order if line.data[i] > 0]
