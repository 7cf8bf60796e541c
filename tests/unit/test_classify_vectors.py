"""The word-vector table (build, save, load) and the classifier branch that reads it."""

from __future__ import annotations

import json
import math
import shutil

import numpy as np
import pytest
import spacy
from spacy.strings import StringStore
from spacy.vectors import Vectors

from rootcause.classify.nlp import VECTORS_ARCHITECTURE, bow_vectors_textcat, build_nlp
from rootcause.classify.predict import DEFAULT_MODEL, Classifier
from rootcause.classify.train import META_FILE
from rootcause.classify.vectors import (
    VECTORS_DIR,
    build_table,
    load_vectors,
    save_table,
    vectors_digest,
    vocabulary,
)
from rootcause.errors import ConfigError, RootcauseError

LOG_PROBS = {"the": -3.5, "refund": -11.0, "parcel": -12.0, "Paris": -10.0, "12": -9.0}


def _encode(words):
    # A fixed pseudo-embedding per word, so the table is a pure function of the word list.
    return np.array([np.random.default_rng(sum(map(ord, w))).normal(size=12) for w in words])


def test_classify_vectors_vocabulary_ranks_common_words_then_adds_the_team_words():
    words = vocabulary(LOG_PROBS, ["parcel", "crewless", "R2D2", "crewless"], common=2)
    # Only lower-case words: "Paris" and "12" are not; the two most frequent come first.
    assert words == ["the", "refund", "parcel", "crewless"]


def test_classify_vectors_table_scales_rows_by_word_frequency_and_drops_the_commonest():
    words = ["the", "refund", "parcel", "cancel", "outage", "hold"]
    log_probs = {"the": -3.5, "refund": -7.0, "parcel": -12.0}

    def encode(ws):
        # "refund" and "parcel" share one raw vector: their rows may differ only by weight.
        raw = _encode(ws)
        raw[ws.index("parcel")] = raw[ws.index("refund")]
        return raw

    kept, table = build_table(words, encode, log_probs, dims=4, sif=1e-3, min_weight=0.2)
    assert kept == ["refund", "parcel", "cancel", "outage", "hold"]  # "the": w = 0.03
    assert table.shape == (5, 4) and table.dtype == np.float16
    weight = {w: 1e-3 / (1e-3 + math.exp(log_probs.get(w, -30.0))) for w in kept}
    ratio = np.linalg.norm(table[0].astype(float)) / np.linalg.norm(table[1].astype(float))
    assert ratio == pytest.approx(weight["refund"] / weight["parcel"], rel=1e-2)
    assert ratio < 0.6  # "refund" is common enough to weigh about half


def test_classify_vectors_saved_table_loads_keyed_by_lower_case_word(tmp_path):
    words = ["refund", "parcel", "hold"]
    table = np.arange(12, dtype=np.float16).reshape(3, 4)
    save_table(tmp_path, words, table, {"model": "test"})
    strings = StringStore()
    vectors = load_vectors(strings, tmp_path)
    assert vectors.shape == (3, 4) and vectors.data.dtype == np.float32
    nlp = spacy.blank("en")
    doc = nlp.make_doc("Parcel")
    assert vectors.find(key=doc[0].lower) == 1
    assert np.array_equal(vectors[strings["hold"]], table[2].astype(np.float32))
    assert json.loads((tmp_path / "meta.json").read_text())["words"] == 3
    before = vectors_digest(tmp_path)
    save_table(tmp_path, words, table + 1, {"model": "test"})
    assert vectors_digest(tmp_path) != before


def test_classify_vectors_missing_or_torn_table_is_a_clear_error(tmp_path):
    with pytest.raises(ConfigError, match="no word-vector table"):
        load_vectors(StringStore(), tmp_path)
    save_table(tmp_path, ["a", "b"], np.zeros((2, 4), dtype=np.float16), {})
    (tmp_path / "words.txt").write_text("a\nb\nc")
    with pytest.raises(ConfigError, match="3 words but 2 vector rows"):
        load_vectors(StringStore(), tmp_path)


def _tiny_branch(words, rows):
    nlp = spacy.blank("en")
    keys = [nlp.vocab.strings.add(w) for w in words]
    nlp.vocab.vectors = Vectors(strings=nlp.vocab.strings, data=np.array(rows, "f"), keys=keys)
    model = bow_vectors_textcat(True, 2, False, vector_width=len(rows[0]), nO=4)
    return nlp, model.layers[1].layers[0]  # the doc-vectors layer


def test_classify_vectors_doc_vector_is_the_normalised_sum_of_known_words():
    rows = [[1.0, 0.0, 0.0, 0.0], [0.0, 2.0, 0.0, 0.0], [0.0, 0.0, 0.0, 3.0]]
    nlp, layer = _tiny_branch(["refund", "late", "parcel"], rows)
    texts = ["", "Refund late REFUND zzz", "nothing known here", "parcel", "late"]
    out, backprop = layer([nlp.make_doc(t) for t in texts], is_train=False)
    assert out.shape == (5, 4)
    want = np.array([2.0, 2.0, 0.0, 0.0])  # "refund" twice, "late" once, "zzz" unknown
    assert np.allclose(out[1], want / np.linalg.norm(want) * 2.0)  # x sqrt(width)
    assert np.allclose(out[[0, 2]], 0.0)  # no words, no known words
    assert np.allclose(out[3], [0, 0, 0, 2.0]) and np.allclose(out[4], [0, 2.0, 0, 0])
    assert backprop(out) == []  # the table is fixed
    empty, _ = layer([], is_train=False)
    assert empty.shape == (0, 4)


def test_classify_vectors_branch_refuses_a_table_of_another_width():
    nlp, layer = _tiny_branch(["refund"], [[1.0, 0.0, 0.0, 0.0]])
    nlp.vocab.vectors = Vectors(strings=nlp.vocab.strings, shape=(0, 8))
    with pytest.raises(ValueError, match="4-wide word vectors"):
        layer([nlp.make_doc("refund")], is_train=False)


def test_classify_vectors_each_branch_learns_as_if_trained_alone():
    # The averaged output's gradient (mean - truth) must reach each branch as (its own - truth).
    from thinc.api import Model

    got: dict[str, np.ndarray] = {}

    def branch(name, probs):
        def forward(model, docs, is_train):
            return np.array(probs), lambda d: got.__setitem__(name, d)

        return Model(name, forward)

    model = bow_vectors_textcat(True, 2, False, vector_width=4, nO=2)
    model._layers = [branch("a", [[0.9, 0.1]]), branch("b", [[0.3, 0.7]])]
    mean, backprop = model([], is_train=True)
    truth = np.array([[1.0, 0.0]])
    backprop(mean - truth)
    assert np.allclose(mean, [[0.6, 0.4]])
    assert np.allclose(got["a"], [[0.9, 0.1]] - truth)
    assert np.allclose(got["b"], [[0.3, 0.7]] - truth)


def test_classify_vectors_shipped_model_reads_the_shipped_table(taxonomy):
    meta = json.loads((DEFAULT_MODEL / META_FILE).read_text())
    assert meta["vectors"] == vectors_digest(VECTORS_DIR)
    clf = Classifier()
    assert clf.nlp.vocab.vectors.shape[0] > 20_000
    assert clf.nlp.get_pipe("textcat").model.name == "average_probs"
    nlp = build_nlp(taxonomy, vectors=load_vectors(StringStore()))
    assert nlp.get_pipe("textcat").cfg  # built
    assert nlp.config["components"]["textcat"]["model"]["@architectures"] == VECTORS_ARCHITECTURE


def test_classify_vectors_model_trained_on_another_table_does_not_load(tmp_path):
    model = tmp_path / "model"
    shutil.copytree(DEFAULT_MODEL, model)
    meta = json.loads((model / META_FILE).read_text())
    meta["vectors"] = "0123456789ab"
    (model / META_FILE).write_text(json.dumps(meta))
    with pytest.raises(RootcauseError, match="trained on word vectors 0123456789ab"):
        Classifier(model)
