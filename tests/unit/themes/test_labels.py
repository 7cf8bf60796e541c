"""rootcause.themes.labels: c-TF-IDF phrases into labels a quality lead would write."""

from __future__ import annotations

import re

import numpy as np
import pytest

from rootcause.themes.labels import (
    UNLABELLED,
    build_vectorizer,
    choose_label,
    class_tfidf,
    count_terms,
    label_topics,
    mmr,
    redundancy,
    top_terms,
)
from rootcause.themes.text import Preprocessor, boilerplate_sentences, stop_words_for
from tests.unit.themes.corpus import THEMES, texts_for


@pytest.fixture(scope="module")
def labelled() -> dict[str, tuple[str, tuple[str, ...]]]:
    documents: list[str] = []
    topics: list[int] = []
    names = sorted(THEMES)
    for i, name in enumerate(names):
        texts = texts_for(name, 30)
        documents += texts
        topics += [i] * len(texts)
    vectorizer = build_vectorizer(
        stop_words_for(documents), Preprocessor(boilerplate_sentences(documents))
    )
    terms = count_terms(documents, vectorizer.build_analyzer())
    words = label_topics(class_tfidf(terms, topics), terms, topics, top_n=8)
    return {names[t]: (w.label, w.keywords) for t, w in words.items()}


def test_labels_are_short_phrases_naming_the_failure(labelled):
    labels = {name: label for name, (label, _) in labelled.items()}
    assert labels["refund"] in {"refund delay", "refund never", "returned refund", "refund"} or (
        "refund" in labels["refund"]
    )
    assert "size" in labels["size"]
    assert "driver" in labels["driver"] and "rude" in labels["driver"]
    assert "voucher" in labels["voucher"] or "crash" in labels["voucher"]
    for label in labels.values():
        assert 2 <= len(label.split()) <= 4, label


def test_labels_and_keywords_hold_no_noise(labelled):
    noise = re.compile(
        r"dear|thanks|regards|kind|please|hello|hi\b|northwind|okafor|hallworth|priyanka|"
        r"\btom\b|card\]|\[|xxxx|@|email\]|\d"
    )
    for label, keywords in labelled.values():
        for term in (label, *keywords):
            assert not noise.search(term), term


def test_labels_keywords_are_diverse(labelled):
    for _, keywords in labelled.values():
        words = [k for k in keywords if " " not in k]
        for i, a in enumerate(words):
            for b in words[i + 1 :]:
                assert redundancy(a, b) < 1.0, (a, b)


def test_labels_mmr_skips_terms_that_repeat_a_chosen_one():
    candidates = [("crash", 1.0), ("crashes", 0.95), ("app crash", 0.9), ("voucher", 0.8)]
    picked = [t for t, _ in mmr(candidates, top_n=2, diversity=0.5)]
    assert picked == ["crash", "voucher"]
    assert redundancy("app crashes", "crash") == 1.0
    assert redundancy("refund delay", "wrong size") == 0.0


def test_labels_prefer_a_phrase_of_strong_words_over_an_incidental_one():
    candidates = [
        ("driver", 0.65),
        ("kids meal", 0.35),
        ("rude", 0.39),
        ("rude driver", 0.31),
        ("kids", 0.31),
        ("meal", 0.30),
    ]
    scores = dict(candidates)
    assert choose_label(candidates, ["driver", "rude"], scores) == "rude driver"


def test_labels_fall_back_to_two_keywords_when_no_phrase_is_strong():
    candidates = [("refund", 1.0), ("warehouse", 0.8), ("refund warehouse", 0.1)]
    assert choose_label(candidates, ["refund", "warehouse"], dict(candidates)) == (
        "refund, warehouse"
    )
    assert choose_label([], [], {}) == UNLABELLED
    assert choose_label([("w u", 1.0)], [], {}) == UNLABELLED  # chat shorthand is no name


@pytest.mark.parametrize("ngram_range", [(1, 3), (2, 3), (1, 1)])
def test_labels_vectorizer_analyses_like_sklearn(ngram_range):
    # The faster analyzer must give sklearn's n-grams, in sklearn's order, stop words removed
    # before pairing, for raw and for preprocessed input.
    from sklearn.feature_extraction.text import CountVectorizer

    texts = [t for name in sorted(THEMES) for t in texts_for(name, 5)]
    texts += ["", "a", "The the THE", "won't-stop e-mail don’t 42 x2 café crème"]
    for preprocessor in (None, Preprocessor(frozenset())):
        ours = build_vectorizer({"the", "a", "my"}, preprocessor).set_params(
            ngram_range=ngram_range
        )
        stock = CountVectorizer(**ours.get_params())
        analyse, reference = ours.build_analyzer(), stock.build_analyzer()
        for text in texts:
            assert analyse(text) == reference(text), text
    assert len(analyse(texts[0])) > 0


def test_labels_count_terms_per_document_like_sklearn():
    # One analysis per document: the same counts as sklearn's CountVectorizer, and no n-gram
    # that runs across two documents.
    from sklearn.feature_extraction.text import CountVectorizer

    documents = ["late parcel again late", "wrong size sent", "", "parcel late"]
    vectorizer = build_vectorizer(set())
    terms = count_terms(documents, vectorizer.build_analyzer())
    stock = CountVectorizer(**vectorizer.get_params())
    expected = stock.fit_transform(documents).toarray()
    order = [terms.vocabulary[name] for name in stock.get_feature_names_out()]
    assert (terms.matrix.toarray()[:, order] == expected).all()
    assert terms.names[terms.vocabulary["late parcel"]] == "late parcel"
    assert "again wrong" not in terms.vocabulary and "late wrong" not in terms.vocabulary


def test_labels_class_tfidf_rows_are_topics_in_sorted_order():
    documents = ["refund late", "refund late again", "rude driver", "rude driver shouted"]
    topics = [7, 7, -1, -1]
    terms = count_terms(documents, build_vectorizer(set()).build_analyzer())
    matrix = class_tfidf(terms, topics)
    assert matrix.shape == (2, len(terms.names))
    outliers, seven = matrix.toarray()
    assert outliers[terms.vocabulary["rude driver"]] > 0 == seven[terms.vocabulary["rude"]]
    assert seven[terms.vocabulary["refund late"]] > 0 == outliers[terms.vocabulary["refund"]]


def test_labels_top_terms_break_ties_by_the_term():
    scores = np.array([0.5, 0.0, 0.9, 0.5, 0.5, -0.1])
    names = ["delta", "zero", "best", "alpha", "charlie", "negative"]
    assert top_terms(scores, names, n=3) == [("best", 0.9), ("alpha", 0.5), ("charlie", 0.5)]
    assert top_terms(scores, names, n=10) == [
        ("best", 0.9), ("alpha", 0.5), ("charlie", 0.5), ("delta", 0.5),
    ]  # fmt: skip
