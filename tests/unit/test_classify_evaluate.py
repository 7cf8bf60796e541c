"""Metrics against hand-computed values."""

from __future__ import annotations

from rootcause.classify.evaluate import classification_metrics, expected_calibration_error


def test_classify_evaluate_per_cause_and_macro():
    gold = ["a", "a", "a", "b", "b", "c"]
    pred = ["a", "a", "b", "b", "a", "c"]
    m = classification_metrics(gold, pred, ["a", "b", "c"])
    assert m["accuracy"] == round(4 / 6, 4)
    assert m["per_cause"]["a"] == {
        "precision": round(2 / 3, 4),
        "recall": round(2 / 3, 4),
        "f1": round(2 / 3, 4),
        "support": 3,
    }
    assert m["per_cause"]["b"]["f1"] == 0.5
    assert m["macro_f1"] == round((2 / 3 + 0.5 + 1.0) / 3, 4)
    assert m["confusion"]["a"] == {"a": 2, "b": 1, "c": 0}
    assert m["majority_class"] == "a" and m["majority_baseline"] == 0.5


def test_classify_evaluate_absent_cause_is_left_out_of_macro():
    m = classification_metrics(["a", "a"], ["a", "b"], ["a", "b", "c"])
    assert m["macro_f1"] == round(2 / 3, 4)  # only 'a' has support


def test_classify_evaluate_ece():
    assert expected_calibration_error([0.9, 0.9], [True, False]) == 0.4
    assert expected_calibration_error([0.75] * 4, [True, True, True, False]) == 0.0
