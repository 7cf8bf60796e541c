"""rootcause.themes.registry: topic -> theme identity across refits."""

from __future__ import annotations

import numpy as np

from rootcause.themes.registry import KnownTheme, match_topics


def unit(*values: float) -> np.ndarray:
    v = np.array(values, dtype=float)
    return v / np.linalg.norm(v)


THEMES = [
    KnownTheme(10, 10, unit(1, 0, 0, 0)),
    KnownTheme(11, 11, unit(0, 1, 0, 0)),
    KnownTheme(12, 12, unit(0, 0, 1, 0)),
]


def test_registry_shifted_topics_keep_their_theme_ids():
    topics = np.vstack([unit(0.1, 1, 0.1, 0), unit(1, 0.2, 0, 0), unit(0, 0.1, 1, 0.2)])
    assert match_topics(topics, THEMES, threshold=0.5) == {0: 11, 1: 10, 2: 12}


def test_registry_a_genuinely_new_cluster_matches_nothing():
    topics = np.vstack([unit(1, 0, 0, 0.1), unit(0, 0, 0.1, 1)])
    assert match_topics(topics, THEMES, threshold=0.5) == {0: 10}


def test_registry_matching_is_one_to_one_by_total_similarity():
    # Topic 0 is a bit closer to theme 10, but topic 1 can only be theme 10; topic 0 then takes
    # theme 11, which it is also close to.
    topics = np.vstack([unit(1, 0.9, 0, 0), unit(1, 0, 0, 0)])
    assert match_topics(topics, THEMES, threshold=0.5) == {0: 11, 1: 10}


def test_registry_a_split_theme_stays_one_theme():
    topics = np.vstack([unit(1, 0.1, 0, 0), unit(1, -0.1, 0.05, 0)])
    assert match_topics(topics, THEMES[:1], threshold=0.5) == {0: 10, 1: 10}


def test_registry_merged_themes_resolve_to_the_survivor():
    merged = [*THEMES, KnownTheme(13, 10, unit(0, 0, 0, 1))]
    topics = np.vstack([unit(0, 0, 0.1, 1)])
    assert match_topics(topics, merged, threshold=0.5) == {0: 10}
    assert match_topics(np.zeros((0, 4)), merged, threshold=0.5) == {}
