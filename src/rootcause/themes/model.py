"""BERTopic, assembled from stages chosen by `themes.*` settings, and what a fit returns.

BERTopic is used as the lego it is meant to be: every stage is an object handed in.

    embedding       themes.embedding      tfidf-svd (sklearn pipeline) | sentence-transformers
    reduction       themes.reduction      svd (TruncatedSVD + Normalizer) | umap | none
    clustering      themes.clustering     kmeans | minibatch-kmeans | hdbscan, each wrapped in
                                          ThemeClusterer (outlier policy, topic merging)
    vectorizer      1-3-grams of cleaned text, corpus stop words (labels.build_vectorizer)
    c-TF-IDF        ClassTfidfTransformer(reduce_frequent_words=True) over each document's
                    terms counted once (labels.count_terms, ThemeBERTopic)
    representation  PhraseRepresentation: MMR keywords and a phrase label (labels.py)

`reduction = "umap"` with `clustering = "hdbscan"` is stock BERTopic (slow: numba JIT, ~40 s
at 10k complaints); the default is the fast deterministic path. Embeddings are always passed in
(they come from the cache), so BERTopic never embeds documents itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np
from numpy.typing import NDArray

from rootcause.settings import ThemeSettings
from rootcause.themes.cluster import (
    ThemeClusterer,
    assign_to_centres,
    build_base_clusterer,
    centroids,
    choose_n_clusters,
    similarity_to_centres,
)
from rootcause.themes.embed import Embedder, as_bertopic_backend
from rootcause.themes.labels import (
    TermCounts,
    TopicWords,
    build_vectorizer,
    class_tfidf,
    count_terms,
    label_topics,
)
from rootcause.themes.text import Preprocessor

UMAP_COMPONENTS = 5  # stock BERTopic's setting


@dataclass(frozen=True)
class TopicFit:
    """One fit over de-duplicated documents: everything later stages need, as plain arrays.

    `topics[i]` is document i's topic (-1: outlier); `similarity[i]` its cosine similarity to
    that topic's centre in the embedding space; `centres[t]` the unit centre of topic t.
    """

    topics: NDArray[np.int64]
    similarity: NDArray[np.float64]
    centres: dict[int, NDArray[np.float64]]
    words: dict[int, TopicWords]
    outlier_share: float

    @property
    def topic_ids(self) -> list[int]:
        return sorted(self.centres)


def build_reducer(kind: str, *, dims: int, input_dims: int, seed: int) -> Any:
    """The dimensionality-reduction stage named by `themes.reduction`."""
    from bertopic.dimensionality import BaseDimensionalityReduction

    if kind == "none" or (kind == "svd" and dims >= input_dims):
        return BaseDimensionalityReduction()
    if kind == "svd":
        from sklearn.decomposition import TruncatedSVD
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import Normalizer

        return make_pipeline(TruncatedSVD(n_components=dims, random_state=seed), Normalizer())
    if kind == "umap":
        from umap import UMAP

        return UMAP(
            n_neighbors=15,
            n_components=UMAP_COMPONENTS,
            min_dist=0.0,
            metric="cosine",
            random_state=seed,
            n_jobs=1,  # a seed forces one thread anyway (and warns unless we say so)
        )
    raise ValueError(f"unknown reduction {kind!r}")


def _phrase_representation(top_n: int) -> Any:
    from bertopic.representation import BaseRepresentation

    class PhraseRepresentation(BaseRepresentation):  # type: ignore[misc]
        """BERTopic representation stage: MMR keywords + a phrase label per topic.

        The label of each topic is kept in `topic_words_` (BERTopic's own representation only
        has room for the keyword list).
        """

        def __init__(self, top_n: int) -> None:
            self.top_n = top_n
            self.topic_words_: dict[int, TopicWords] = {}

        def extract_topics(
            self,
            topic_model: Any,
            documents: Any,
            c_tf_idf: Any,
            topics: dict[int, list[tuple[str, float]]],
        ) -> dict[int, list[tuple[str, float]]]:
            self.topic_words_ = label_topics(
                c_tf_idf, topic_model.term_counts_, documents.Topic.tolist(), top_n=self.top_n
            )
            return {
                topic: [(w, 1.0) for w in words.keywords] or [("", 0.0)]
                for topic, words in self.topic_words_.items()
            }

    return PhraseRepresentation(top_n)


@cache
def _bertopic_class() -> type:
    from bertopic import BERTopic

    class ThemeBERTopic(BERTopic):  # type: ignore[misc]
        """BERTopic with two passes of its own replaced.

        * Representative documents are skipped: rootcause quotes complaints it picks from the
          database (`queries.representatives`), and BERTopic's pass over every topic's
          documents cost a sixth of the fit.
        * c-TF-IDF counts each document's terms once (`labels.count_terms`) and keeps them for
          the labeller and for later merges, instead of re-analysing one concatenated document
          per topic with a CountVectorizer (whose vocabulary sort alone was a quarter of the
          fit) and then every document again for the labeller.
        """

        term_counts_: TermCounts | None = None
        _counted: list[str] | None = None  # the documents term_counts_ counted

        def _save_representative_docs(self, documents: Any) -> None:
            self.representative_docs_: dict[int, list[str]] = {}

        def _extract_topics(
            self,
            documents: Any,
            embeddings: Any = None,
            mappings: Any = None,
            verbose: bool = False,
            fine_tune_representation: bool = True,
        ) -> None:
            texts = documents.Document.tolist()
            if self.term_counts_ is None or self._counted != texts:
                analyse = self.vectorizer_model.build_analyzer()
                self.term_counts_ = count_terms(texts, analyse)
                self._counted = texts
            self.c_tf_idf_ = class_tfidf(
                self.term_counts_, documents.Topic.tolist(), self.ctfidf_model
            )
            self.topic_representations_ = self._extract_words_per_topic(
                self.term_counts_.names,
                documents,
                fine_tune_representation=fine_tune_representation,
                calculate_aspects=fine_tune_representation,
                embeddings=embeddings,
            )
            self._create_topic_vectors(
                documents=documents, embeddings=embeddings, mappings=mappings
            )

    return ThemeBERTopic


def build_topic_model(
    settings: ThemeSettings,
    *,
    embedder: Embedder,
    embeddings: NDArray[Any],
    weights: NDArray[Any],
    stop_words: frozenset[str],
) -> Any:
    """A BERTopic whose every stage comes from `settings` (see the module docstring).

    Its vectorizer expects documents already cleaned by `text.Preprocessor`."""
    from bertopic.vectorizers import ClassTfidfTransformer

    n_clusters = choose_n_clusters(
        len(weights),
        requested=settings.n_themes,
        minimum=settings.min_themes,
        maximum=settings.max_themes,
    )
    base = build_base_clusterer(
        settings.clustering,
        n_clusters=n_clusters,
        min_size=settings.min_theme_size,
        seed=settings.seed,
    )
    clusterer = ThemeClusterer(
        base,
        min_size=settings.min_theme_size,
        min_similarity=settings.outlier_similarity,
        max_outlier_share=settings.max_outlier_share,
        merge_similarity=settings.merge_similarity,
        sample_weight=weights,
        reference=embeddings,
    )
    return _bertopic_class()(
        embedding_model=as_bertopic_backend(embedder),
        umap_model=build_reducer(
            settings.reduction,
            dims=settings.reduction_dims,
            input_dims=embeddings.shape[1],
            seed=settings.seed,
        ),
        hdbscan_model=clusterer,
        vectorizer_model=build_vectorizer(stop_words),
        ctfidf_model=ClassTfidfTransformer(reduce_frequent_words=True),
        representation_model=_phrase_representation(settings.top_n_words),
        top_n_words=settings.top_n_words,
        calculate_probabilities=False,
        verbose=False,
    )


def summarise_fit(model: Any, embeddings: NDArray[np.float32], weights: NDArray[Any]) -> TopicFit:
    """Read a fitted BERTopic back as a TopicFit; centres are in the embedding space."""
    topics = np.asarray(model.topics_, dtype=np.int64)
    w = np.asarray(weights, dtype=np.float64)
    x = np.asarray(embeddings, dtype=np.float64)
    ids = sorted(set(topics.tolist()) - {-1})
    centres = centroids(x, topics, w, ids)
    words: dict[int, TopicWords] = model.representation_model.topic_words_
    return TopicFit(
        topics=topics,
        similarity=similarity_to_centres(x, topics, w),
        centres={t: centres[i] for i, t in enumerate(ids)},
        words={t: words[t] for t in ids},
        outlier_share=float(w[topics == -1].sum() / w.sum()) if len(w) else 0.0,
    )


@dataclass(frozen=True)
class FittedModel:
    """A fitted BERTopic with the inputs it was fitted on (needed to merge topics later)."""

    bertopic: Any
    documents: list[str]  # cleaned
    embeddings: NDArray[np.float32]
    weights: NDArray[Any]


def fit_topic_model(
    settings: ThemeSettings,
    documents: Sequence[str],
    embeddings: NDArray[np.float32],
    weights: NDArray[Any],
    *,
    embedder: Embedder,
    stop_words: frozenset[str],
    boilerplate: frozenset[str] = frozenset(),
) -> tuple[FittedModel, TopicFit]:
    """Fit BERTopic on de-duplicated documents with their cached embeddings and weights.

    Documents are cleaned once here (salutations, masks, boilerplate...), not once per use:
    BERTopic and the labeller read them several times.
    """
    model = build_topic_model(
        settings,
        embedder=embedder,
        embeddings=embeddings,
        weights=weights,
        stop_words=stop_words,
    )
    preprocess = Preprocessor(boilerplate)
    cleaned = [preprocess(d) for d in documents]
    model.fit_transform(cleaned, embeddings=np.asarray(embeddings, dtype=np.float64))
    fitted = FittedModel(model, cleaned, embeddings, weights)
    return fitted, summarise_fit(model, embeddings, weights)


def merge_topics(fitted: FittedModel, groups: list[list[int]]) -> TopicFit:
    """Merge groups of topics (which the registry says are one theme) and describe them again."""
    fitted.bertopic.merge_topics(fitted.documents, groups)
    return summarise_fit(fitted.bertopic, fitted.embeddings, fitted.weights)


def extend_fit(
    settings: ThemeSettings,
    fit: TopicFit,
    sample: NDArray[np.int64],
    embeddings: NDArray[np.float32],
    weights: NDArray[Any],
) -> TopicFit:
    """The fit on `sample` extended to every document: sampled ones keep their topic, the others
    join the nearest theme centre under the same outlier rule (`cluster.assign_to_centres`)."""
    ids = fit.topic_ids
    centres = np.vstack([fit.centres[t] for t in ids]) if ids else np.zeros((0, 1))
    fixed = np.full(len(embeddings), -2, dtype=np.int64)
    fixed[sample] = fit.topics
    w = np.asarray(weights, dtype=np.float64)
    topics, similarity = assign_to_centres(
        embeddings,
        centres,
        ids,
        fixed=fixed,
        weights=w,
        min_similarity=settings.outlier_similarity,
        max_share=settings.max_outlier_share,
    )
    return TopicFit(
        topics=topics,
        similarity=similarity,
        centres=fit.centres,
        words=fit.words,
        outlier_share=float(w[topics == -1].sum() / w.sum()) if len(w) else 0.0,
    )
