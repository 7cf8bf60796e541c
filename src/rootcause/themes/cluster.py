"""Clustering stage: k-means (or HDBSCAN) plus an explicit outlier policy.

k-means is fast and deterministic for a seed (FINDINGS: SVD + k-means clusters 10k complaints in
under a second, UMAP + HDBSCAN takes ~40 s), but it puts every document somewhere, so a document
that fits no theme lands in whichever is nearest and one incoherent "everything else" cluster
collects the rest. `resolve_outliers` turns that into themes plus an honest outlier share:

1. clusters smaller than `min_size`, or whose typical member is less similar to the centre than
   `min_similarity`, are dissolved (that is the "everything else" bucket);
2. documents less similar to their centre than `min_similarity` become outliers (-1);
3. outliers join the nearest surviving theme when they reach `min_similarity` to its centre;
4. if more than `max_share` are still unassigned, the closest of them join their nearest theme
   until the share is at most `max_share`; documents with no usable words stay outliers.

Topics whose centres are then at least `merge_similarity` alike are merged (k-means splits a big
theme in two; a quality lead wants one). The same policy runs after HDBSCAN, whose outliers are
otherwise often 40% or more on SVD embeddings.
"""

from __future__ import annotations

import math
from typing import Any, Self

import numpy as np
from numpy.typing import NDArray

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]


def choose_n_clusters(
    n_documents: int, *, requested: int | None, minimum: int, maximum: int
) -> int:
    """k for k-means: the setting, else sqrt(n) within the bounds, and never more than half the
    documents. sqrt(n) over-segments on purpose (a small emerging theme gets its own cluster);
    `merge_similar` then joins the pieces of big themes."""
    k = requested if requested is not None else round(math.sqrt(n_documents))
    k = max(minimum, min(maximum, k))
    return max(1, min(k, n_documents // 2))


def _unit(matrix: NDArray[Any]) -> FloatArray:
    m = np.asarray(matrix, dtype=np.float64)
    norms = np.linalg.norm(m, axis=1, keepdims=True)
    out: FloatArray = np.divide(m, norms, out=np.zeros_like(m), where=norms > 0)
    return out


def centroids(
    x: FloatArray, labels: IntArray, weights: FloatArray, clusters: list[int]
) -> FloatArray:
    """Unit-length weighted mean of each cluster's rows, in the order of `clusters`."""
    if not clusters:
        return np.zeros((0, x.shape[1]))
    rows = [np.average(x[labels == c], axis=0, weights=weights[labels == c]) for c in clusters]
    return _unit(np.vstack(rows))


def _renumber(labels: IntArray, weights: FloatArray) -> IntArray:
    """Topics numbered 0.. by total weight (largest first), ties by first member: deterministic."""
    found = sorted(set(labels.tolist()) - {-1})
    order = sorted(
        found, key=lambda c: (-float(weights[labels == c].sum()), int(np.argmax(labels == c)))
    )
    mapping = {old: new for new, old in enumerate(order)}
    return np.array([mapping.get(int(v), -1) for v in labels], dtype=np.int64)


def merge_similar(
    x: FloatArray, labels: IntArray, weights: FloatArray, *, merge_similarity: float
) -> IntArray:
    """Merge topics whose centres are at least `merge_similarity` alike (average linkage)."""
    clusters = sorted(set(labels.tolist()) - {-1})
    if len(clusters) < 2 or merge_similarity >= 1.0:
        return labels
    from sklearn.cluster import AgglomerativeClustering

    centres = centroids(x, labels, weights, clusters)
    groups = AgglomerativeClustering(
        n_clusters=None,
        metric="cosine",
        linkage="average",
        distance_threshold=1.0 - merge_similarity,
    ).fit_predict(centres)
    mapping = {c: int(g) for c, g in zip(clusters, groups, strict=True)}
    return np.array([mapping.get(int(v), -1) for v in labels], dtype=np.int64)


def resolve_outliers(
    x: NDArray[Any],
    labels: NDArray[Any],
    *,
    weights: NDArray[Any] | None = None,
    min_size: int,
    min_similarity: float,
    max_share: float,
) -> tuple[IntArray, FloatArray]:
    """Apply the outlier policy (module docstring) to a clustering.

    Returns the new labels (-1 = outlier; topics renumbered by size) and each document's cosine
    similarity to its topic's centre (to the nearest centre for outliers).
    """
    x = _unit(x)
    labels = np.asarray(labels, dtype=np.int64).copy()
    w = np.ones(len(labels)) if weights is None else np.asarray(weights, dtype=np.float64)
    if len(labels) == 0:
        return labels, np.zeros(0)
    clusters = sorted(set(labels.tolist()) - {-1})
    centres = centroids(x, labels, w, clusters)
    centre_of = {c: i for i, c in enumerate(clusters)}
    sims = np.array(
        [float(x[i] @ centres[centre_of[c]]) if c >= 0 else 0.0 for i, c in enumerate(labels)]
    )
    for c in clusters:
        members = labels == c
        if w[members].sum() < min_size or np.median(sims[members]) < min_similarity:
            labels[members] = -1
    labels[sims < min_similarity] = -1

    surviving = sorted(set(labels.tolist()) - {-1})
    if not surviving:
        return np.full(len(labels), -1, dtype=np.int64), sims
    centres = centroids(x, labels, w, surviving)
    outliers = np.flatnonzero(labels == -1)
    scores = x[outliers] @ centres.T
    nearest = np.asarray(surviving)[scores.argmax(axis=1)]
    best = scores.max(axis=1)
    close = best >= min_similarity
    labels[outliers[close]] = nearest[close]

    remaining = np.flatnonzero(labels == -1)
    excess = w[remaining].sum() - max_share * w.sum()
    if excess > 0:
        position = {int(i): j for j, i in enumerate(outliers)}
        candidates = sorted(
            (i for i in remaining if best[position[int(i)]] > 0),
            key=lambda i: (-best[position[int(i)]], int(i)),
        )
        for i in candidates:
            if excess <= 0:
                break
            labels[i] = nearest[position[int(i)]]
            excess -= w[i]

    labels = _renumber(labels, w)
    return labels, similarity_to_centres(x, labels, w)


def similarity_to_centres(x: FloatArray, labels: IntArray, weights: FloatArray) -> FloatArray:
    """Cosine similarity of each row to its topic's centre (to the nearest centre if -1)."""
    final = sorted(set(labels.tolist()) - {-1})
    if not final:
        return np.zeros(len(labels))
    scores = x @ centroids(x, labels, weights, final).T
    index = {c: i for i, c in enumerate(final)}
    own = np.array([index.get(int(c), 0) for c in labels])
    out: FloatArray = np.where(labels >= 0, scores[np.arange(len(labels)), own], scores.max(axis=1))
    return out


def assign_to_centres(
    x: NDArray[Any],
    centres: FloatArray,
    ids: list[int],
    *,
    fixed: IntArray,
    weights: FloatArray,
    min_similarity: float,
    max_share: float,
    chunk: int = 50_000,
) -> tuple[IntArray, FloatArray]:
    """Topics for rows the model was not fitted on, by the outlier policy's own rule.

    `fixed[i]` is row i's topic from the fit, or -2 for a row the fit never saw. Unseen rows join
    the nearest centre when they reach `min_similarity`, else become outliers; then, as in
    `resolve_outliers`, the closest outliers join their nearest theme until at most `max_share`
    are left. Rows are scored a chunk at a time so a million complaints need no n x k matrix in
    float64 at once. Returns each row's topic and its similarity to it (to the nearest centre
    for outliers).
    """
    n = len(fixed)
    topics = np.asarray(fixed, dtype=np.int64).copy()
    if not ids:
        return np.where(topics == -2, -1, topics), np.zeros(n)
    id_array = np.asarray(ids, dtype=np.int64)
    column = np.full(int(id_array.max()) + 3, -1, dtype=np.int64)  # topic + 2 -> centre row
    column[id_array + 2] = np.arange(len(ids))
    nearest = np.empty(n, dtype=np.int64)
    best = np.empty(n, dtype=np.float64)
    own = np.empty(n, dtype=np.float64)
    for start in range(0, n, chunk):
        rows = slice(start, start + chunk)
        scores = _unit(x[rows]) @ centres.T
        nearest[rows] = id_array[scores.argmax(axis=1)]
        best[rows] = scores.max(axis=1)
        mine = column[topics[rows] + 2]
        picked = scores[np.arange(len(mine)), np.maximum(mine, 0)]
        own[rows] = np.where(mine >= 0, picked, best[rows])
    unseen = topics == -2
    close = unseen & (best >= min_similarity)
    topics[close] = nearest[close]
    own[close] = best[close]
    topics[unseen & ~close] = -1
    remaining = np.flatnonzero(topics == -1)
    excess = weights[remaining].sum() - max_share * weights.sum()
    if excess > 0:
        candidates = remaining[best[remaining] > 0]
        candidates = candidates[np.lexsort((candidates, -best[candidates]))]  # closest first
        enough = int(np.searchsorted(np.cumsum(weights[candidates]), excess)) + 1
        take = candidates[:enough]
        topics[take] = nearest[take]
        own[take] = best[take]
    return topics, own


class ThemeClusterer:
    """BERTopic's clustering slot: a base clusterer plus the outlier policy and topic merging.

    `base` is any scikit-learn style clusterer with `fit` and `labels_` (KMeans,
    MiniBatchKMeans, HDBSCAN). `sample_weight` is how many complaints each (de-duplicated) row
    stands for; k-means uses it, and so do the outlier share and the minimum theme size.
    `reference` is the full embedding matrix (same rows): clusters are found in the reduced
    space BERTopic hands over, but membership is judged by cosine similarity in the embedding
    space, so `min_similarity` means the same whatever the reduction (SVD, UMAP or none).
    """

    def __init__(
        self,
        base: Any,
        *,
        min_size: int,
        min_similarity: float,
        max_outlier_share: float,
        merge_similarity: float,
        sample_weight: NDArray[Any] | None = None,
        reference: NDArray[Any] | None = None,
    ) -> None:
        self.base = base
        self.min_size = min_size
        self.min_similarity = min_similarity
        self.max_outlier_share = max_outlier_share
        self.merge_similarity = merge_similarity
        self.sample_weight = sample_weight
        self.reference = reference

    def fit(self, x: NDArray[Any], y: Any = None) -> Self:
        weights = None if self.sample_weight is None else np.asarray(self.sample_weight)
        if weights is not None and _accepts_weights(self.base):
            self.base.fit(x, sample_weight=weights)
        else:
            self.base.fit(x)
        w = np.ones(len(x)) if weights is None else weights.astype(np.float64)
        labels = np.asarray(self.base.labels_, dtype=np.int64)
        unit = _unit(x if self.reference is None else self.reference)
        if unit.shape[0] != len(labels):
            raise ValueError("reference embeddings do not match the clustered rows")
        labels, _ = resolve_outliers(
            unit,
            labels,
            weights=w,
            min_size=self.min_size,
            min_similarity=self.min_similarity,
            max_share=self.max_outlier_share,
        )
        labels = _renumber(
            merge_similar(unit, labels, w, merge_similarity=self.merge_similarity), w
        )
        similarity = similarity_to_centres(unit, labels, w)
        self.labels_ = labels
        self.probabilities_ = np.clip(similarity, 0.0, 1.0)
        self.outlier_share_ = float(w[labels == -1].sum() / w.sum()) if len(w) else 0.0
        return self


def _accepts_weights(estimator: Any) -> bool:
    import inspect

    return "sample_weight" in inspect.signature(estimator.fit).parameters


def build_base_clusterer(kind: str, *, n_clusters: int, min_size: int, seed: int) -> Any:
    """The clusterer named by `themes.clustering`."""
    if kind == "kmeans":
        from sklearn.cluster import KMeans

        # One k-means++ start, scikit-learn's own default: three more cost a fifth of the fit
        # and bought no coherence: on 10k real complaints NPMI was 0.005, 0.052 and
        # 0.061 over three seeds with one start, 0.041 with four.
        return KMeans(n_clusters=n_clusters, n_init=1, random_state=seed)
    if kind == "minibatch-kmeans":
        from sklearn.cluster import MiniBatchKMeans

        return MiniBatchKMeans(n_clusters=n_clusters, n_init=4, random_state=seed, batch_size=2048)
    if kind == "hdbscan":
        from hdbscan import HDBSCAN

        return HDBSCAN(
            min_cluster_size=max(2, min_size),
            metric="euclidean",
            cluster_selection_method="eom",
            prediction_data=True,
        )
    raise ValueError(f"unknown clustering {kind!r}")
