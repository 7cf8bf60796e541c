"""rootcause.themes.embed: the offline TF-IDF + SVD embedder and its stored state."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from rootcause.errors import ConfigError
from rootcause.themes.embed import (
    TfidfSvdEmbedder,
    fit_tfidf_svd,
    from_bytes,
    load_sentence_transformer,
    seeded_sample,
    tfidf_svd_params,
    to_bytes,
)
from tests.unit.themes.corpus import THEMES, texts_for

PARAMS = tfidf_svd_params(dims=20, seed=42)


@pytest.fixture(scope="module")
def corpus() -> list[str]:
    return [t for name in THEMES for t in texts_for(name, 25)]


def test_embed_vectors_are_unit_float32_and_themes_are_apart(corpus):
    embedder = fit_tfidf_svd(corpus, PARAMS)
    vectors = embedder.embed(corpus)
    assert vectors.dtype == np.float32 and vectors.shape == (100, 20)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    centres = [vectors[i : i + 25].mean(axis=0) for i in range(0, 100, 25)]
    centres = [c / np.linalg.norm(c) for c in centres]
    for i, centre in enumerate(centres):
        own = float(np.mean(vectors[i * 25 : i * 25 + 25] @ centre))
        others = max(float(centre @ other) for j, other in enumerate(centres) if j != i)
        assert own > 0.5 > others


def test_embed_state_round_trips_to_the_same_id_and_vectors(corpus):
    embedder = fit_tfidf_svd(corpus, PARAMS)
    again = TfidfSvdEmbedder.from_bytes(embedder.to_bytes())
    assert again.id == embedder.id and again.id.startswith("tfidf-svd-")
    assert np.array_equal(again.embed(corpus[:7]), embedder.embed(corpus[:7]))
    assert "northwind" in again.stop_words


def test_embed_fit_is_deterministic_and_ignores_duplicates(corpus):
    first = fit_tfidf_svd(corpus, PARAMS)
    second = fit_tfidf_svd(corpus + corpus[:30], PARAMS)
    assert first.id == second.id


def test_embed_unknown_share_flags_new_subject_matter(corpus):
    embedder = fit_tfidf_svd(corpus, PARAMS)
    assert embedder.unknown_share(texts_for("refund", 10, seed=5)) == 0.0
    assert embedder.unknown_share(texts_for("new", 10)) > 0.3


def test_embed_tiny_corpus_gets_fewer_dimensions():
    embedder = fit_tfidf_svd(
        ["refund late", "wrong size", "rude driver", "refund late again"], PARAMS
    )
    assert 1 <= embedder.dims < 4


def test_embed_vector_bytes_are_little_endian_float32():
    vector = np.array([0.5, -1.25, 3.0], dtype=np.float32)
    assert len(to_bytes(vector)) == 12
    assert np.array_equal(from_bytes(to_bytes(vector)), vector)


def test_embed_sentence_transformers_without_a_model_is_a_config_error(tmp_path: Path):
    with pytest.raises(ConfigError, match="embedding_model_path is not set"):
        load_sentence_transformer(None)
    with pytest.raises(ConfigError, match="no such model directory"):
        load_sentence_transformer(tmp_path / "missing")
    with pytest.raises(ConfigError, match=r"pip install 'rootcause\[transformers\]'"):
        load_sentence_transformer(tmp_path)


def test_embed_fits_on_a_seeded_sample_past_fit_sample(corpus):
    sampled = {**PARAMS, "fit_sample": 60}
    picked = seeded_sample(sorted(set(corpus)), 60, 42)
    assert len(picked) == 60 and picked == seeded_sample(sorted(set(corpus)), 60, 42)
    assert picked != seeded_sample(sorted(set(corpus)), 60, 7)
    one, two = fit_tfidf_svd(corpus, sampled), fit_tfidf_svd(list(reversed(corpus)), sampled)
    assert one.id == two.id  # the sample depends on the texts, not on their order
    assert one.id == fit_tfidf_svd(picked, {**PARAMS, "fit_sample": 60}).id
    assert one.id != fit_tfidf_svd(corpus, PARAMS).id
