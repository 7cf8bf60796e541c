"""The pipeline's rule layer and score combination, on a blank English pipeline."""

from __future__ import annotations

import math

import pytest

from rootcause.classify.nlp import (
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
