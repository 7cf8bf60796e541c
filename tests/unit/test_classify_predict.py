"""`Classifier.predict` on the shipped model: its own batched path against spaCy's pipeline."""

from __future__ import annotations

import gc

import pytest

from rootcause.classify.nlp import rule_spans
from rootcause.classify.phrases import LEARNED_PREFIX
from rootcause.classify.predict import DEFAULT_MODEL, Classifier
from rootcause.classify.text import model_text

TEXTS = [
    "They sent me the wrong size and half my order was missing.",
    "On hold for 40 minutes then the agent hung up on me. I'm switching to another bank!",
    "Hi team, the app logs me out every time I open it. Thanks, Jo",
    "",
    "@AcmeAir flight AA XXXX delayed 3 hrs, no gate change alert, nobody told us anything",
    "refund still not here after 6 weeks, your policy says 5 days",
]


@pytest.fixture(scope="module")
def clf() -> Classifier:
    return Classifier(DEFAULT_MODEL)


def test_classify_predict_scores_and_rules_match_the_spacy_pipeline(clf):
    # predict drives the components itself and hands the textcat's matrix straight to the
    # cause scores; the saved pipeline run the stock way must agree with it.
    for text, pred in zip(TEXTS, clf.predict(TEXTS), strict=True):
        doc = clf.nlp(model_text(text))
        assert pred.scores == pytest.approx(doc.cats, abs=5e-5)
        assert pred.cause == max(doc.cats, key=doc.cats.__getitem__)
        found = [(s.label_, s.start_char, s.end_char) for s in rule_spans(doc)]
        shown = [
            (e.get("cause", "churn"), e["start"], e["end"])
            for e in pred.evidence
            if e["kind"] in ("rule", "phrase", "churn")
        ]
        assert shown == found
    assert any(p.churn_risk for p in clf.predict(TEXTS))


def test_classify_predict_learned_phrases_are_evidence_but_name_no_secondary_cause(clf):
    learned = {
        p["pattern"]: p["label"]
        for p in clf.ruler.patterns
        if p["id"].startswith(LEARNED_PREFIX) and p["label"] == "agent_error"
    }
    assert learned, "the shipped model learned no agent_error phrase"
    phrase = sorted(learned)[0]
    # A refund chase (process_gap by the taxonomy's rules) that also holds an agent_error phrase.
    [pred] = list(clf.predict([f"Still no refund after 6 weeks. {phrase}."]))
    kinds = {(e["kind"], e["cause"]) for e in pred.evidence if e["kind"] != "token"}
    assert ("phrase", "agent_error") in kinds and ("rule", "process_gap") in kinds
    shown = [e for e in pred.evidence if e["kind"] == "phrase"]
    assert all(e["pattern"] == LEARNED_PREFIX + e["text"].lower() for e in shown)
    if pred.cause != "agent_error":
        assert "agent_error" not in pred.secondary


def test_classify_predict_results_do_not_depend_on_batching(clf):
    whole = [p.as_dict() for p in clf.predict(TEXTS)]
    assert [p.as_dict() for p in clf.predict(TEXTS, batch_size=2)] == whole
    assert [p.as_dict() for p in clf.predict(TEXTS, batch_chars=60)] == whole
    assert [p.as_dict() for p in clf.predict(iter(TEXTS), batch_size=1)] == whole


def test_classify_predict_leaves_the_garbage_collector_as_it_found_it(clf):
    # Predict pauses the cyclic collector inside a batch only; the caller's setting survives,
    # and the caller's code between predictions runs with it.
    texts = ["The courier left it at the wrong address."] * 5
    seen = []
    for _ in clf.predict(texts, batch_size=2):
        seen.append(gc.isenabled())
    assert seen == [True] * 5 and gc.isenabled()
    gc.disable()
    try:
        assert len(list(clf.predict(texts, batch_size=2))) == 5
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_classify_predict_evidence_words_are_each_documents_own_lexicon_words(clf):
    # The lexicon is looked up for a whole batch at once; every document must get exactly its
    # own tokens that are in some cause's lexicon, in order, and none from its neighbours.
    lexicon = set().union(*clf.lexicon.values())
    texts = ["", "agent hung up", "", "Hung", "nothing here", "the refund agent", ""]
    docs = [clf.nlp.make_doc(model_text(t)) for t in texts]
    want = [[t.lower_ for t in doc if t.lower_ in lexicon] for doc in docs]
    assert clf._lexicon_words(docs) == want
    assert want[1] and want[3] == ["hung"]  # the case holds: these words are in the lexicon
    [pred] = list(clf.predict(["The agent HUNG up on me."]))
    tokens = [e for e in pred.evidence if e["kind"] == "token"]
    assert tokens and all(e["text"] in clf.lexicon[pred.cause] for e in tokens)
    weights = [e["weight"] for e in tokens]
    assert weights == sorted(weights, reverse=True) and len(tokens) <= 3
