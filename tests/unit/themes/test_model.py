"""rootcause.themes.model: BERTopic assembled from the stages the settings name."""

from __future__ import annotations

import numpy as np
import pytest

from rootcause.settings import ThemeSettings
from rootcause.themes.cluster import ThemeClusterer
from rootcause.themes.embed import fit_tfidf_svd, tfidf_svd_params
from rootcause.themes.model import fit_topic_model
from tests.unit.themes.corpus import THEMES, texts_for


@pytest.fixture(scope="module")
def corpus():
    texts = [t for name in THEMES for t in texts_for(name, 30)]
    truth = np.repeat(np.arange(len(THEMES)), 30)
    unique = sorted(set(texts))
    weights = np.array([texts.count(t) for t in unique], dtype=float)
    embedder = fit_tfidf_svd(unique, tfidf_svd_params(dims=30, seed=42))
    first = [texts.index(t) for t in unique]
    return unique, truth[first], weights, embedder, embedder.embed(unique)


def fit(corpus, **changes):
    unique, _, weights, embedder, vectors = corpus
    settings = ThemeSettings(**changes)
    return fit_topic_model(
        settings,
        unique,
        vectors,
        weights,
        embedder=embedder,
        stop_words=embedder.stop_words,
        boilerplate=embedder.boilerplate,
    )


def purity(topics: np.ndarray, truth: np.ndarray) -> float:
    assigned = topics >= 0
    hits = 0
    for topic in set(topics[assigned].tolist()):
        hits += np.bincount(truth[topics == topic]).max()
    return hits / max(1, int(assigned.sum()))


def test_model_default_stages_are_svd_and_kmeans_and_find_the_themes(corpus):
    fitted, result = fit(corpus)
    assert type(fitted.bertopic.umap_model).__name__ == "Pipeline"  # TruncatedSVD + Normalizer
    assert isinstance(fitted.bertopic.hdbscan_model, ThemeClusterer)
    assert type(fitted.bertopic.hdbscan_model.base).__name__ == "KMeans"
    assert len(result.topic_ids) == 4
    assert result.outlier_share <= 0.15
    assert purity(result.topics, corpus[1]) > 0.9
    for topic in result.topic_ids:
        assert np.isclose(np.linalg.norm(result.centres[topic]), 1.0)
        assert 2 <= len(result.words[topic].label.split()) <= 4


def test_model_no_reduction_stage_is_a_do_nothing_stand_in(corpus):
    fitted, result = fit(corpus, reduction="none", clustering="minibatch-kmeans")
    assert type(fitted.bertopic.umap_model).__name__ == "BaseDimensionalityReduction"
    assert type(fitted.bertopic.hdbscan_model.base).__name__ == "MiniBatchKMeans"
    assert purity(result.topics, corpus[1]) > 0.9


@pytest.mark.slow
def test_model_stock_bertopic_stages_umap_and_hdbscan_plug_in(corpus):
    fitted, result = fit(corpus, reduction="umap", clustering="hdbscan", min_theme_size=10)
    assert type(fitted.bertopic.umap_model).__name__ == "UMAP"
    assert type(fitted.bertopic.hdbscan_model.base).__name__ == "HDBSCAN"
    assert result.outlier_share <= 0.15
    assert 2 <= len(result.topic_ids) <= 6
    assert purity(result.topics, corpus[1]) > 0.8


def test_model_merge_reuses_the_term_counts_and_describes_the_merged_topic(corpus):
    # A merge (the registry saying two topics are one theme) re-runs c-TF-IDF on the same
    # documents: the per-document term counts are reused, and the merged topic is described
    # from both topics' complaints.
    from rootcause.themes.model import merge_topics

    fitted, result = fit(corpus, n_themes=4)
    counted = fitted.bertopic.term_counts_
    a, b = result.topic_ids[:2]
    merged = merge_topics(fitted, [[a, b]])
    assert fitted.bertopic.term_counts_ is counted
    assert len(merged.topic_ids) == len(result.topic_ids) - 1
    both = (result.topics == a) | (result.topics == b)
    into = merged.topics[both]
    assert len(set(into.tolist())) == 1 and into[0] in merged.topic_ids
    assert merged.words[int(into[0])].keywords
