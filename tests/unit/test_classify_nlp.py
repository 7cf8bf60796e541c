"""The pipeline's rule layer and score combination, on a blank English pipeline."""

from __future__ import annotations

import math

import numpy as np
import pytest
import spacy

from rootcause.classify.nlp import (
    RULE_SPANS,
    CauseScores,
    add_rules,
    build_nlp,
    combine,
    rule_counts,
    rule_spans,
    word_forms,
)


@pytest.fixture(scope="module")
def nlp(taxonomy):
    pipeline = build_nlp(taxonomy)
    add_rules(pipeline, taxonomy)
    return pipeline


def _run_rules(nlp, text):
    return nlp.get_pipe("span_ruler")(nlp.make_doc(text.lower()))


def test_classify_nlp_lemma_pattern_matches_inflections(nlp):
    for text in (
        "She promised to call me back.",
        "they promise to call me back",
        "he promises to call me back",
    ):
        doc = _run_rules(nlp, text)
        assert any(s.id_ == "~ promise to call me back" for s in doc.spans["rules"]), text


def test_classify_nlp_word_pattern_is_case_insensitive(nlp):
    doc = _run_rules(nlp, "You SENT ME THE WRONG size")
    assert [(s.label_, s.text) for s in rule_spans(doc)] == [
        ("order_mixup", "sent me the wrong"),
        ("order_mixup", "wrong size"),
    ]


def test_classify_nlp_same_words_count_once(nlp):
    doc = _run_rules(nlp, "the agent hung up on me")
    assert len(doc.spans["rules"]) == 2  # word and lemma pattern both match
    assert rule_counts(doc) == {"agent_error": 1}


def test_classify_nlp_churn_phrases_are_their_own_label(nlp):
    doc = _run_rules(nlp, "I am switching to another bank and closing my account")
    assert {s.label_ for s in rule_spans(doc)} == {"churn"}


def test_classify_nlp_combine_without_rules_keeps_probabilities():
    p = {"a": 0.7, "b": 0.2, "c": 0.1}
    out = combine(p, {}, rule_weight=2.0, temperature=1.0)
    assert all(math.isclose(out[k], p[k], rel_tol=1e-9) for k in p)


def test_classify_nlp_combine_rule_matches_shift_and_cap():
    p = {"a": 0.6, "b": 0.4}
    one = combine(p, {"b": 1}, rule_weight=1.0, temperature=1.0)
    assert one["b"] > 0.5 and math.isclose(sum(one.values()), 1.0)
    assert combine(p, {"b": 2}, rule_weight=1.0, temperature=1.0) == combine(
        p, {"b": 9}, rule_weight=1.0, temperature=1.0
    )  # at most two matches count


def test_classify_nlp_temperature_softens():
    p = {"a": 0.9, "b": 0.1}
    assert combine(p, {}, rule_weight=0, temperature=2.0)["a"] < 0.9


def test_classify_nlp_lemma_patterns_expand_to_word_forms():
    forms_of = {"be": {"am", "is", "was", "been"}, "hold": {"holds", "held"}}
    forms = word_forms([("be", " "), ("on", " "), ("hold", "")], forms_of)
    assert "was on hold" in forms and "been on held" in forms and "be on hold" in forms
    assert len(forms) == 5 * 1 * 3
    assert len(word_forms([("be", " ")] * 6, forms_of, limit=50)) == 50


def test_classify_nlp_ruler_matches_like_spacy_span_ruler(nlp):
    # TaxonomyRuler only drops per-document overhead; its spans must be the stock ruler's.
    stock = spacy.blank("en")
    ruler = stock.add_pipe(
        "span_ruler", config={"spans_key": "rules", "phrase_matcher_attr": "LOWER"}
    )
    ruler.add_patterns(nlp.get_pipe("span_ruler").patterns)
    for text in (
        "the agent hung up on me and i was on hold for an hour",
        "they sent me the wrong size, still no refund, closing my account",
        "nothing to see here",
    ):
        ours, theirs = _run_rules(nlp, text), stock(text)
        assert [(s.start, s.end, s.label_, s.id_) for s in ours.spans.get("rules", [])] == [
            (s.start, s.end, s.label_, s.id_) for s in theirs.spans["rules"]
        ]
        # No match, no span group: rule_spans reads the missing group as empty.
        assert len(rule_spans(ours)) > 0 or ("rules" not in ours.spans and text.startswith("no"))


def test_classify_nlp_bow_features_score_like_spacy_extract_ngrams(taxonomy):
    # Dropping extract_ngrams' per-document `unique` must not change the textcat's output:
    # the same weights give the same probabilities with spaCy's own forward swapped back in.
    # (spaCy's own forward fails on an empty document in a batch; ours must not.)
    from spacy.ml.extract_ngrams import forward as spacy_forward
    from spacy.training import Example
    from thinc.api import Model

    pipeline = build_nlp(taxonomy)
    texts = ["wrong item wrong item again", "on hold for an hour", "great service", "no no no"]
    examples = [
        Example.from_dict(pipeline.make_doc(t), {"cats": {c: float(c == cause) for c in causes}})
        for t, cause, causes in zip(
            texts, ["order_mixup", "process_gap", "other", "other"],
            [taxonomy.cause_names] * 4, strict=True,
        )
    ]  # fmt: skip
    optimizer = pipeline.initialize(lambda: examples)
    for _ in range(5):
        pipeline.update(examples, sgd=optimizer)
    model = pipeline.get_pipe("textcat").model
    node = next(n for n in model.walk() if n.name == "extract_ngrams")
    node.attrs["normalize"] = False  # the length scaling is ours; spaCy's forward has none
    docs = [pipeline.make_doc(t) for t in [*texts, "a", "the the the the wrong wrong"]]
    ours = model.predict(docs)
    assert model.predict([pipeline.make_doc(""), *docs]).shape[0] == len(docs) + 1
    model.replace_node(node, Model("extract_ngrams", spacy_forward, attrs=dict(node.attrs)))
    theirs = model.predict(docs)
    assert np.allclose(ours, theirs, atol=1e-5)
    assert ours[0].argmax() != ours[2].argmax()  # trained: the scores differ by text


def test_classify_nlp_bow_features_fold_case_and_scale_by_length(taxonomy):
    # Case is folded per word (the text is fed as written), and each document's n-gram
    # counts are scaled by 1/sqrt(its number of n-grams), so a long text does not win on
    # length alone.
    pipeline = build_nlp(taxonomy)
    model = pipeline.get_pipe("textcat").model
    node = next(n for n in model.walk() if n.name == "extract_ngrams")
    docs = [pipeline.make_doc(t) for t in ["Wrong ITEM", "wrong item", "", "on hold for an hour"]]
    (keys, vals, lengths), _ = node(docs, is_train=False)
    assert lengths.tolist() == [3, 3, 0, 9]  # unigrams + bigrams
    assert keys[:3].tolist() == keys[3:6].tolist()
    assert np.allclose(vals[:6], 1 / np.sqrt(3)) and np.allclose(vals[6:], 1 / 3)
    # The model saved before the scaling (architecture v1) loads and keeps unscaled counts.
    from spacy.util import registry

    old = registry.architectures.get("rootcause.TextCatBOW.v1")(True, 2, False, nO=4)
    old_node = next(n for n in old.walk() if n.name == "extract_ngrams")
    assert np.allclose(old_node(docs, is_train=False)[0][1], 1.0)


def test_classify_nlp_batched_scores_equal_combine(taxonomy):
    pipeline = build_nlp(taxonomy)
    add_rules(pipeline, taxonomy)
    scorer = CauseScores(rule_weight=1.5, temperature=0.8)
    texts = ["they sent me the wrong size and the wrong colour", "on hold for an hour", "fine"]
    docs = [pipeline.get_pipe("span_ruler")(pipeline.make_doc(t)) for t in texts]
    raw = [{"agent_error": 0.1, "order_mixup": 0.2, "process_gap": 0.3, "other": 0.4}] * 3
    for doc, cats in zip(docs, raw, strict=True):
        doc.cats = dict(cats)
    expected = [
        combine(cats, rule_counts(doc), rule_weight=1.5, temperature=0.8)
        for doc, cats in zip(docs, raw, strict=True)
    ]
    scored = list(scorer.pipe(docs, batch_size=2))
    for doc, want in zip(scored, expected, strict=True):
        assert doc.cats == pytest.approx(want, abs=1e-12)
        assert doc.user_data[RULE_SPANS] == rule_spans(doc)
    assert scored[0].cats["order_mixup"] > scored[2].cats["order_mixup"]
