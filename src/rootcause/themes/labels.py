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
from array import array
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np
from numpy.typing import NDArray

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
        """A CountVectorizer whose word analyzer builds n-grams with `zip` instead of slicing
        (sklearn's n-gram loop was a fifth of the fit); same output in the same order."""

        def build_analyzer(self) -> Any:
            """sklearn's analyzer for any setup other than words of plain content."""
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
    """The vectorizer handed to BERTopic, whose analyzer (1-3-grams without stop words) is
    what `count_terms` runs over each document once.

    `preprocessor` is None for text already cleaned (what the model passes), or a
    `text.Preprocessor` to clean raw complaints on the fly.
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


class _Index(dict[str, int]):
    """Term -> column, a new term taking the next column."""

    def __missing__(self, term: str) -> int:
        column = self[term] = len(self)
        return column


@dataclass(frozen=True)
class TermCounts:
    """Every document analysed once: `matrix[i, j]` counts term `names[j]` in document i.

    c-TF-IDF (counts per topic) and the labeller's support (documents per topic holding a
    term) both come from it; analysing the text a second time cost a fifth of the fit.
    Columns are in first-seen order, so nothing depends on sorting a vocabulary of every
    1-3-gram (`top_terms` breaks ties by the term itself).
    """

    names: list[str]
    vocabulary: dict[str, int]
    matrix: Any  # scipy.sparse.csr_matrix, documents x terms


def count_terms(documents: Sequence[str], analyse: Callable[[str], list[str]]) -> TermCounts:
    """Analyse each document once (`analyse` is a vectorizer's analyzer)."""
    from scipy.sparse import csr_matrix

    index = _Index()
    columns, bounds = array("q"), array("q", [0])  # compact: 100k documents are 15M terms
    for document in documents:
        columns.extend(map(index.__getitem__, analyse(document)))
        bounds.append(len(columns))
    matrix = csr_matrix(
        (
            np.ones(len(columns), dtype=np.float64),
            np.frombuffer(columns, dtype=np.int64),
            np.frombuffer(bounds, dtype=np.int64),
        ),
        shape=(len(bounds) - 1, len(index)),
    )
    matrix.sum_duplicates()
    return TermCounts(names=list(index), vocabulary=dict(index), matrix=matrix)


def _by_topic(topics: Sequence[int], matrix: Any) -> tuple[list[int], Any]:
    """The topics in sorted order and the rows of `matrix` summed per topic, in that order."""
    from scipy.sparse import csr_matrix

    ordered, row = np.unique(np.asarray(topics, dtype=np.int64), return_inverse=True)
    n = len(row)
    indicator = csr_matrix(
        (np.ones(n), row.ravel(), np.arange(n + 1)), shape=(n, len(ordered))
    ).T.tocsr()
    return [int(t) for t in ordered], indicator @ matrix


def class_tfidf(terms: TermCounts, topics: Sequence[int], transformer: Any = None) -> Any:
    """c-TF-IDF as BERTopic computes it: the term counts of each topic's documents (rows in
    sorted topic order), weighted by `transformer` (fitted here; by default
    ClassTfidfTransformer(reduce_frequent_words=True)).

    BERTopic counts one concatenated document per topic, which also makes n-grams across two
    complaints ("...late parcel" + "wrong size..." = "parcel wrong size"); these counts do not.
    """
    if transformer is None:
        from bertopic.vectorizers import ClassTfidfTransformer

        transformer = ClassTfidfTransformer(reduce_frequent_words=True)
    _, counts = _by_topic(topics, terms.matrix)
    return transformer.fit(counts).transform(counts)


def label_topics(
    c_tf_idf: Any,
    terms: TermCounts,
    topics: Sequence[int],
    *,
    top_n: int,
) -> dict[int, TopicWords]:
    """Label and keywords of every topic (-1 included) from its c-TF-IDF row.

    Rows of `c_tf_idf` are the topics in sorted order, as BERTopic builds them. Candidates are
    taken straight from the rows (CANDIDATES per topic) because BERTopic's own top 30 tie on
    dozens of one-off phrases.
    """
    present = terms.matrix.copy()
    present.data[:] = 1.0
    ordered, support = _by_topic(topics, present)
    sizes = Counter(int(t) for t in topics)
    out: dict[int, TopicWords] = {}
    for row, topic in enumerate(ordered):
        scores = c_tf_idf.getrow(row).toarray().ravel()
        found = top_terms(scores, terms.names)
        held = support.getrow(row).toarray().ravel()
        words = {w for term, _ in found for w in term.split()}
        vocabulary = terms.vocabulary
        out[topic] = describe_topic(
            found,
            support={term: int(held[vocabulary[term]]) for term, _ in found},
            size=sizes[topic],
            word_scores={w: float(scores[vocabulary[w]]) for w in words if w in vocabulary},
            top_n=top_n,
        )
    return out


def top_terms(
    scores: NDArray[np.float64], names: Sequence[str], n: int = CANDIDATES
) -> list[tuple[str, float]]:
    """The n best (term, score) of one c-TF-IDF row, best first; ties by the term, so the
    result never depends on column order or sorting luck."""
    positive = np.flatnonzero(scores > 0)
    if len(positive) > n:
        floor = np.partition(scores[positive], len(positive) - n)[len(positive) - n]
        positive = positive[scores[positive] >= floor]  # the n best and all that tie the last
    ranked = sorted((-float(scores[j]), names[j]) for j in positive.tolist())[:n]
    return [(name, -score) for score, name in ranked]
