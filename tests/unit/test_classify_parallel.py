"""Worker processes give exactly the verdicts one process gives, and start only when needed."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlmodel import Session

from rootcause.classify.parallel import PredictPool, worker_count
from rootcause.models import Classification, Complaint
from rootcause.pipeline import classify_pending, load_classifier, load_demo


def test_worker_count_zero_means_one_per_core_at_most_four():
    assert worker_count(3) == 3
    assert 1 <= worker_count(0) <= 4


def _verdicts(engine) -> dict[int, tuple[str, float, bool, list]]:
    with Session(engine) as session:
        rows = session.scalars(select(Classification))
        return {r.complaint_id: (r.cause, r.confidence, r.needs_review, r.evidence) for r in rows}


@pytest.mark.slow
def test_classify_with_two_workers_stores_what_one_process_predicts(engine, settings, taxonomy):
    load_demo(engine, settings, taxonomy)
    small = settings.classify.model_copy(update={"batch_size": 150, "processes": 2})
    outcome = classify_pending(engine, settings.model_copy(update={"classify": small}), taxonomy)
    stored = _verdicts(engine)
    assert outcome.classified == outcome.read == len(stored) > 2 * 150

    classifier = load_classifier(settings)
    with Session(engine) as session:
        texts = dict(session.execute(select(Complaint.id, Complaint.text_redacted)).all())
    ids = sorted(texts)
    with PredictPool(classifier.path, 2) as pool:
        pooled = pool.predict([texts[i] for i in ids])
    alone = list(classifier.predict(texts[i] for i in ids))
    assert pooled == alone
    assert {
        i: (p.cause, p.confidence, p.needs_review, p.evidence)
        for i, p in zip(ids, alone, strict=True)
    } == stored


def test_classify_goes_back_for_a_released_batch(engine, settings, taxonomy):
    # Batches start past the last one; a complaint behind that point that becomes pending
    # again (another worker's claim released when it was killed) is still classified.
    load_demo(engine, settings, taxonomy)
    small = settings.classify.model_copy(update={"batch_size": 100, "processes": 1})
    released: list[int] = []

    def release_first(_: int) -> None:
        if released:
            return
        with Session(engine) as session:
            first = session.scalars(select(Classification).order_by(Classification.complaint_id))
            row = first.first()
            released.append(row.complaint_id)
            session.delete(row)
            session.commit()

    outcome = classify_pending(
        engine, settings.model_copy(update={"classify": small}), taxonomy, on_batch=release_first
    )
    with Session(engine) as session:
        total = len(session.scalars(select(Complaint.id)).all())
    assert released and released[0] in _verdicts(engine)
    assert len(_verdicts(engine)) == total == outcome.read - 1 > 200
