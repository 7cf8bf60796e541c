"""`rootcause adapt` end to end: self-train a real spaCy model on the demo complaints."""

from __future__ import annotations

import json

from rootcause.classify.data import read_dir
from rootcause.classify.predict import Classifier
from rootcause.resources import training_dir
from tests.e2e.cli import run_cli


# 200 per cause: the length-scaled BOW features learn slowly, and from 60 per cause twelve epochs
# left the scores near uniform.
def _small_team_data(tmp_path, taxonomy, per_cause=200):
    rows: dict[str, list[str]] = {}
    for ex in read_dir(training_dir(), taxonomy.cause_names):
        if len(rows.setdefault(ex.cause, [])) < per_cause:
            rows[ex.cause].append(ex.text)
    path = tmp_path / "team.jsonl"
    with path.open("w") as fh:
        for cause, texts in rows.items():
            fh.writelines(json.dumps({"text": t, "cause": cause}) + "\n" for t in texts)
    return path


def test_adapt_learns_from_the_database_and_saves_a_new_model(env, tmp_path, taxonomy, capsys):
    data = _small_team_data(tmp_path, taxonomy)
    assert run_cli(capsys, "demo", "load").code == 0
    out = tmp_path / "adapted"
    result = run_cli(capsys, "adapt", "--data", data, "--out", out, "--json")
    assert result.code == 0, result.err
    summary = json.loads(result.out)
    assert summary["read"] > 1000
    # Capped at one pseudo-label per team example of the same cause.
    assert 0 < sum(summary["pseudo_labels"].values()) <= 4 * 200
    assert all(n <= 200 for n in summary["pseudo_labels"].values())
    report = summary["report"]
    # Pseudo-labels only train; dev and test stay team-written (10% + 10% of 800).
    assert report["examples"]["dev"] + report["examples"]["test"] == 160
    assert report["examples"]["train"] == 640 + sum(summary["pseudo_labels"].values())
    adapted = Classifier(out)
    assert adapted.version == report["version"] != Classifier().version
    [pred] = adapted.predict(["You sent me the wrong size and two items were missing."])
    assert pred.cause == "order_mixup"


def test_adapt_on_an_empty_database_says_there_is_nothing_to_learn(env, tmp_path, taxonomy, capsys):
    data = _small_team_data(tmp_path, taxonomy, per_cause=10)
    result = run_cli(capsys, "adapt", "--data", data, "--out", tmp_path / "m")
    assert result.code == 1
    assert "none of the 0 complaints" in result.err
    assert not (tmp_path / "m").exists()
