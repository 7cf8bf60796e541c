"""Which verdicts self-training learns from, and how the per-cause cap keeps them balanced."""

from __future__ import annotations

from rootcause.classify.adapt import PseudoLabelRule, as_examples, keep_best, trusted
from rootcause.classify.predict import Prediction

RULE = PseudoLabelRule(rule_confidence=0.8, bare_confidence=0.95, max_ratio=1.0)


def _pred(cause: str, confidence: float, rule_cause: str | None = None) -> Prediction:
    evidence = [{"kind": "rule", "cause": rule_cause, "text": "x"}] if rule_cause else []
    return Prediction(cause, confidence, {cause: confidence}, False, evidence)


def test_classify_adapt_a_rule_of_the_same_cause_lowers_the_bar():
    texts = ["a", "b", "c", "d", "e"]
    preds = [
        _pred("process_gap", 0.85, rule_cause="process_gap"),  # backed: 0.85 >= 0.8
        _pred("process_gap", 0.85),  # bare: 0.85 < 0.95
        _pred("other", 0.85, rule_cause="agent_error"),  # a rule of another cause is no backing
        _pred("other", 0.97),  # bare but very sure
        _pred("agent_error", 0.5, rule_cause="agent_error"),
    ]
    kept = trusted(texts, preds, RULE)
    assert [(c.text, c.cause) for c in kept] == [("a", "process_gap"), ("d", "other")]


def test_classify_adapt_a_learned_phrase_backs_a_verdict_as_a_rule_does():
    phrase = [{"kind": "phrase", "cause": "process_gap", "text": "been trying to"}]
    token = [{"kind": "token", "cause": "process_gap", "text": "refund", "weight": 2.0}]
    preds = [
        Prediction("process_gap", 0.85, {"process_gap": 0.85}, False, phrase),
        Prediction("process_gap", 0.85, {"process_gap": 0.85}, False, token),  # words: no backing
    ]
    kept = trusted(["a", "b"], preds, RULE)
    assert [c.text for c in kept] == ["a"]


def test_classify_adapt_cap_keeps_the_surest_and_counts_a_text_once():
    texts = ["Same text", "same   TEXT", "third", "fourth"]
    preds = [_pred("other", 0.99), _pred("other", 0.99), _pred("other", 0.96), _pred("other", 0.98)]
    kept = keep_best(trusted(texts, preds, RULE), {"other": 2}, RULE.max_ratio)
    assert sorted(c.text.lower().split()[0] for c in kept) == ["fourth", "same"]
    assert keep_best(trusted(texts, preds, RULE), {}, RULE.max_ratio) == []  # no team examples


def test_classify_adapt_page_by_page_equals_all_at_once():
    texts = [f"complaint number {i}" for i in range(40)]
    preds = [_pred(("other", "process_gap")[i % 2], 0.95 + (i % 5) / 100) for i in range(40)]
    counts = {"other": 3, "process_gap": 4}
    once = keep_best(trusted(texts, preds, RULE), counts, 1.0)
    paged: list = []
    for start in range(0, 40, 7):
        page = trusted(texts[start : start + 7], preds[start : start + 7], RULE)
        paged = keep_best([*paged, *page], counts, 1.0)
    assert paged == once
    assert [ex.origin for ex in as_examples(once)] == ["pseudo-label"] * 7


def test_classify_adapt_rule_only_mode_ignores_unbacked_verdicts():
    rule_only = PseudoLabelRule(rule_confidence=0.6, bare_confidence=None, max_ratio=1.0)
    preds = [_pred("other", 1.0), _pred("process_gap", 0.6, rule_cause="process_gap")]
    assert [c.cause for c in trusted(["x", "y"], preds, rule_only)] == ["process_gap"]
