"""rootcause.themes.cluster: k, the outlier policy, and merging split themes."""

from __future__ import annotations

import numpy as np

from rootcause.themes.cluster import (
    ThemeClusterer,
    assign_to_centres,
    build_base_clusterer,
    choose_n_clusters,
    merge_similar,
    resolve_outliers,
)


def blobs(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Three tight groups on orthogonal axes plus 20 scattered points unlike any of them."""
    rng = np.random.default_rng(seed)
    groups = []
    truth = []
    for axis in range(3):
        centre = np.zeros(40)
        centre[axis] = 1.0
        groups.append(centre + rng.normal(0, 0.05, size=(30, 40)))
        truth += [axis] * 30
    noise = rng.normal(0, 1, size=(20, 40))
    noise[:, :3] = 0
    groups.append(noise)
    truth += [-1] * 20
    return np.vstack(groups), np.array(truth)


def test_cluster_k_follows_the_data_size_within_bounds():
    assert choose_n_clusters(1600, requested=None, minimum=5, maximum=100) == 40
    assert choose_n_clusters(10**6, requested=None, minimum=5, maximum=100) == 100
    assert choose_n_clusters(8, requested=None, minimum=5, maximum=100) == 4
    assert choose_n_clusters(1600, requested=12, minimum=5, maximum=100) == 12


def test_cluster_outliers_are_capped_and_far_documents_left_out():
    x, truth = blobs()
    labels = np.array([t if t >= 0 else i % 3 for i, t in enumerate(truth)])  # noise forced in
    out, similarity = resolve_outliers(x, labels, min_size=5, min_similarity=0.5, max_share=0.15)
    # 20 of 110 are noise: all but 16 (at most 15%) join their nearest theme, closest first.
    assert int(np.sum(out == -1)) == 16
    for group in range(3):
        assert len(set(out[truth == group].tolist())) == 1
    assert len({int(out[truth == g][0]) for g in range(3)}) == 3
    assert np.all(similarity[truth >= 0] > 0.5)
    kept_out = similarity[out == -1]
    joined = similarity[(truth == -1) & (out >= 0)]
    assert joined.min() >= kept_out.max()


def test_cluster_small_clusters_are_dissolved_into_neighbours():
    x, truth = blobs()
    labels = truth.copy()
    labels[labels == -1] = 0
    labels[:3] = 7  # a three-member cluster
    out, _ = resolve_outliers(x, labels, min_size=5, min_similarity=0.3, max_share=0.15)
    assert 7 not in set(out.tolist())
    assert len(set(out.tolist()) - {-1}) == 3


def test_cluster_split_theme_is_merged_back():
    x, truth = blobs()
    labels = truth.copy()
    labels[30:45] = 5  # group 1 split in two
    merged = merge_similar(x, labels, np.ones(len(x)), merge_similarity=0.8)
    assert len(set(merged[30:60].tolist())) == 1
    assert merged[0] != merged[30] != merged[60]


def test_cluster_kmeans_clusterer_is_deterministic():
    x, _ = blobs()

    def fit() -> np.ndarray:
        base = build_base_clusterer("kmeans", n_clusters=6, min_size=5, seed=42)
        clusterer = ThemeClusterer(
            base, min_size=5, min_similarity=0.5, max_outlier_share=0.2, merge_similarity=0.5
        )
        return clusterer.fit(x).labels_

    first, second = fit(), fit()
    assert np.array_equal(first, second)
    _, truth = blobs()
    assert len(set(first.tolist()) - {-1}) == 3
    assert np.all(first[truth == -1] == -1)


def test_cluster_assign_to_centres_places_unseen_rows_like_the_outlier_rule():
    x, truth = blobs()
    x[truth == -1, :3] = np.abs(x[truth == -1, :3]) + 0.2  # noise: faintly like every group
    centres = np.eye(40)[:3]
    fixed = np.full(len(x), -2)
    fixed[:5] = 2  # rows the fit saw keep the fit's topic, even where it disagrees
    topics, similarity = assign_to_centres(
        x,
        centres,
        [0, 1, 2],
        fixed=fixed,
        weights=np.ones(len(x)),
        min_similarity=0.5,
        max_share=0.15,
    )
    assert topics[:5].tolist() == [2] * 5
    assert np.array_equal(topics[5:90], truth[5:90])  # unseen group members: their own centre
    assert int(np.sum(topics == -1)) == 16  # noise: capped at 15% of 110, closest join first
    assert np.all(similarity[5:90] > 0.5)
    joined = similarity[(truth == -1) & (topics >= 0)]
    assert joined.min() >= similarity[topics == -1].max()
    small = assign_to_centres(
        x, centres, [0, 1, 2], fixed=fixed, weights=np.ones(len(x)), min_similarity=0.5,
        max_share=0.15, chunk=7,
    )  # fmt: skip
    assert np.array_equal(small[0], topics) and np.allclose(small[1], similarity)
