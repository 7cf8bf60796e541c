"""Training end to end on real spaCy: a small model, its files, its determinism, the shipped one."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from rootcause.classify.data import read_dir, stratified_split
from rootcause.classify.nlp import RULER
from rootcause.classify.phrases import LEARNED_PREFIX
from rootcause.classify.predict import DEFAULT_MODEL, Classifier
from rootcause.classify.train import META_FILE, load_config, train_classifier
from rootcause.errors import ConfigError
from rootcause.resources import training_dir


@pytest.fixture(scope="module")
def examples(taxonomy):
    return read_dir(training_dir(), taxonomy.cause_names)


@pytest.fixture(scope="module")
def small_model(tmp_path_factory, taxonomy, examples):
    config, raw = load_config()
    subset, _, _ = stratified_split(examples, dev_share=0.0, test_share=0.5, seed=1)
    out = tmp_path_factory.mktemp("model")
    report = train_classifier(
        subset, taxonomy, out, config=replace(config, epochs=8), config_bytes=raw
    )
    return out, report


def test_classify_train_saves_a_loadable_pipeline(small_model):
    out, report = small_model
    meta = json.loads((out / META_FILE).read_text())
    assert meta["version"] == report.version and len(report.version) == 12
    assert set(meta["lexicon"]) == {"agent_error", "order_mixup", "process_gap", "other"}
    clf = Classifier(out)
    [pred] = list(clf.predict(["They sent me the wrong size and half my order was missing."]))
    assert pred.cause == "order_mixup"
    assert any(e["kind"] == "rule" and e["cause"] == "order_mixup" for e in pred.evidence)
    learned = [p for p in clf.nlp.get_pipe(RULER).patterns if p["id"].startswith(LEARNED_PREFIX)]
    assert meta["learned_phrases"] == report.learned_phrases == len(learned) > 0
    assert abs(sum(pred.scores.values()) - 1) < 0.01


def test_classify_train_word_vector_branch_learns_on_its_own(small_model, taxonomy, examples):
    # The textcat averages a bag of words with a softmax over word vectors; the vector branch
    # alone must beat always answering the commonest cause on the texts the model never saw.
    from collections import Counter

    from rootcause.classify.vectors import vectors_digest

    out, _ = small_model
    clf = Classifier(out)
    assert clf.meta["vectors"] == vectors_digest()
    _, _, unseen = stratified_split(examples, dev_share=0.0, test_share=0.5, seed=1)
    docs = [clf.nlp.make_doc(ex.text) for ex in unseen]
    probs = clf.textcat.model.layers[1].predict(docs)
    labels = clf.textcat.labels
    guesses = [labels[int(row.argmax())] for row in probs]
    right = sum(g == ex.cause for g, ex in zip(guesses, unseen, strict=True))
    majority = Counter(ex.cause for ex in unseen).most_common(1)[0][1]
    assert right / len(unseen) > majority / len(unseen) + 0.2


def test_classify_train_config_without_a_rule_weight_is_refused_naming_the_file(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text("seed = 1\nrule_weights = []\n")
    with pytest.raises(ConfigError, match=r"config\.toml: rule_weights needs at least one"):
        load_config(path)
    path.write_text("seed = 1\nrule_weights = [0.5]\n")
    assert load_config(path)[0].rule_weights == (0.5,)


def test_classify_train_split_keeps_every_cause(examples):
    train, dev, test = stratified_split(examples, dev_share=0.1, test_share=0.1, seed=3)
    assert len(train) + len(dev) + len(test) == len(examples)
    assert {e.cause for e in dev} == {e.cause for e in test} == {e.cause for e in examples}
    again = stratified_split(examples, dev_share=0.1, test_share=0.1, seed=3)
    assert again == (train, dev, test)


@pytest.mark.slow
def test_classify_train_rebuild_matches_the_shipped_model(tmp_path, taxonomy, examples):
    """`make train` must rebuild what the package ships: same version, scores within 0.02."""
    shipped = json.loads((DEFAULT_MODEL / META_FILE).read_text())
    config, raw = load_config()
    report = train_classifier(examples, taxonomy, tmp_path / "m", config=config, config_bytes=raw)
    assert report.version == shipped["version"]
    assert abs(report.test["accuracy"] - shipped["test"]["accuracy"]) <= 0.02
    assert abs(report.test["macro_f1"] - shipped["test"]["macro_f1"]) <= 0.02


def test_classify_training_data_is_varied_and_apart_from_the_eval_sets():
    """The team data keeps the breadth the classifier needs, and no eval text leaks into it."""
    root = training_dir()
    rows = [json.loads(line) for path in root.glob("*.jsonl") for line in _lines(path)]
    assert len(rows) >= 3000
    assert len({row["industry"] for row in rows}) >= 8
    channels = {"email", "chat", "phone_notes", "survey", "review", "social", "letter", "web_form"}
    assert {row["channel"] for row in rows} == channels
    words = [len(row["text"].split()) for row in rows]
    assert min(words) <= 5 and max(words) >= 200
    texts = {row["text"].strip().lower() for row in rows}
    assert len(texts) == len(rows), "duplicate training texts"
    eval_dir = root.parent / "eval"
    held_out = [json.loads(line) for path in eval_dir.glob("*.jsonl") for line in _lines(path)]
    assert held_out and not texts & {row["text"].strip().lower() for row in held_out}


def _lines(path):
    return path.read_text(encoding="utf-8").splitlines()
