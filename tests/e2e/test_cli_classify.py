"""`predict`, `evaluate`, `classify` and `label` end to end, with the shipped model."""

from __future__ import annotations

import io
import json

from sqlalchemy import delete, func, select
from sqlmodel import Session

from rootcause.models import Classification, Label
from rootcause.pipeline import open_database
from tests import hostile
from tests.e2e.cli import run_cli


def test_predict_one_line_out_per_line_in(capsys, monkeypatch):
    lines = [
        {"id": "a", "text": "The driver was rude and hung up on me when I called."},
        "not json at all",
        {"text": "Still no refund after six weeks and nobody answers my e-mails."},
        {"id": 4, "text": "You sent me the wrong size and two items were missing."},
    ]
    stdin = "\n".join(x if isinstance(x, str) else json.dumps(x) for x in lines) + "\n"
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    result = run_cli(capsys, "predict")
    assert result.code == 2
    assert result.err.strip() == "rootcause: error: <stdin>: line 2: Expecting value"
    out = [json.loads(x) for x in result.out.splitlines()]
    assert [o["id"] for o in out] == ["a", None, None, 4]
    assert out[1] == {"id": None, "error": "line 2: Expecting value"}
    assert [o["cause"] for o in (out[0], out[2], out[3])] == [
        "agent_error",
        "process_gap",
        "order_mixup",
    ]
    for o in (out[0], out[2], out[3]):
        assert set(o) == {
            "id",
            "cause",
            "confidence",
            "scores",
            "needs_review",
            "evidence",
            "secondary",
            "churn_risk",
        }
        assert o["confidence"] == max(o["scores"].values())


def test_evaluate_prints_metrics_and_rejects_unknown_causes(tmp_path, capsys):
    data = tmp_path / "labelled.jsonl"
    rows = [
        ("They charged me twice and the refund never came.", "process_gap"),
        ("Wrong colour sofa delivered, I ordered grey.", "order_mixup"),
        ("Thanks for the quick help today!", "other"),
    ]
    data.write_text("".join(json.dumps({"text": t, "cause": c}) + "\n" for t, c in rows))
    result = run_cli(capsys, "evaluate", "--data", data, "--json")
    assert result.code == 0, result.err
    metrics = result.json()
    assert metrics["n"] == 3 and set(metrics["per_cause"]) == {
        "agent_error",
        "order_mixup",
        "process_gap",
        "other",
    }
    assert sum(sum(row.values()) for row in metrics["confusion"].values()) == 3
    bad = tmp_path / "bad.csv"
    bad.write_text("text,cause\nhello there,rudeness\n")
    result = run_cli(capsys, "evaluate", "--data", bad)
    assert result.code == 2
    assert result.err.strip() == (
        f"rootcause: error: {bad}: line 2: unknown cause 'rudeness' "
        "(known: agent_error, order_mixup, process_gap, other)"
    )


def test_classify_stores_every_pending_complaint_once_and_resumes(env, settings, tmp_path, capsys):
    path = hostile.write(tmp_path / "hostile.csv")
    inserted = run_cli(capsys, "ingest", path, "--json").json()["inserted"]
    first = run_cli(capsys, "classify", "--json").json()
    assert first["classified"] == inserted
    assert run_cli(capsys, "classify", "--json").json()["classified"] == 0

    engine = open_database(settings)
    with Session(engine) as session:
        ids = sorted(session.scalars(select(Classification.complaint_id)))
        session.execute(delete(Classification).where(Classification.complaint_id.in_(ids[:3])))
        session.commit()
    assert run_cli(capsys, "classify", "--json").json()["classified"] == 3  # only what is missing
    status = run_cli(capsys, "status", "--json").json()
    assert status["classified"] == inserted and status["pending"] == 0
    with Session(engine) as session:
        rows = list(session.scalars(select(Classification)))
    assert all(r.model_version == first["model_version"] and r.evidence is not None for r in rows)

    result = run_cli(capsys, "label", str(ids[0]), "agent_error", "--author", "qa-lead")
    assert (
        result.code == 0 and result.out.strip() == f"complaint {ids[0]}: agent_error (by qa-lead)"
    )
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(Label)) == 1
    assert run_cli(capsys, "label", "999999", "other").code == 1
    bad = run_cli(capsys, "label", str(ids[0]), "bad_cause")
    assert bad.code == 2 and "unknown cause 'bad_cause'" in bad.err
