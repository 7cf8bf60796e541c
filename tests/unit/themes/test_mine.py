"""rootcause.themes end to end against the database (SQLite, and PostgreSQL when given).

Mining, theme identity across refits, locked labels, merges, the embedding cache, the one
transaction, and what `week_summary` reads back.
"""

from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy import select
from sqlmodel import col

from rootcause.db import session_scope
from rootcause.errors import RootcauseError
from rootcause.models import Embedding, Theme, ThemeAssignment
from rootcause.period import IsoWeek
from rootcause.themes import (
    UnknownThemeError,
    merge_themes,
    mine_themes,
    rename_theme,
    theme_detail,
    week_summary,
    window_mined,
)
from rootcause.themes import queries as theme_queries
from tests.unit.themes.corpus import THEMES, add_complaints, texts_for, weekly_corpus

W40 = IsoWeek.parse("2026-W40")
W41 = IsoWeek.parse("2026-W41")
PER_THEME = 8


def load(engine, corpus) -> dict[int, str]:
    """Insert {week: texts}; returns complaint id -> theme name (from weekly_corpus order)."""
    truth: dict[int, str] = {}
    with session_scope(engine) as session:
        for week, texts in corpus.items():
            ids = add_complaints(session, week, texts)
            names = [name for name in THEMES for _ in range(PER_THEME)]
            truth.update(zip(ids, names, strict=False))
    return truth


@pytest.fixture
def mined(engine, settings):
    truth = load(engine, weekly_corpus(W40.window(4), PER_THEME))
    run = mine_themes(engine, settings, W40)
    return truth, run


def assignments(engine) -> dict[int, tuple[int | None, float, str]]:
    with session_scope(engine) as session:
        rows = session.scalars(select(ThemeAssignment)).all()
        return {a.complaint_id: (a.theme_id, a.probability, a.window_end_week) for a in rows}


def theme_of(truth: dict[int, str], current: dict[int, tuple[int | None, float, str]]):
    """Most common theme id per true theme."""
    votes: dict[str, Counter[int | None]] = {}
    for cid, name in truth.items():
        votes.setdefault(name, Counter())[current[cid][0]] += 1
    return {name: counts.most_common(1)[0][0] for name, counts in votes.items()}


def test_mine_finds_the_themes_and_assigns_every_complaint(engine, settings, mined):
    truth, run = mined
    assert run.complaints == 4 * 4 * PER_THEME
    assert run.unassigned_share <= 0.15
    assert run.embedded == run.complaints and run.embedder_refitted
    assert set(run.timings) == {"embed", "fit", "save", "total"}
    current = assignments(engine)
    assert set(current) == set(truth)
    ids = theme_of(truth, current)
    assert None not in ids.values() and len(set(ids.values())) == 4
    purity = sum(current[c][0] == ids[n] for c, n in truth.items()) / len(truth)
    assert purity > 0.9
    labels = {name: next(t.label for t in run.themes if t.id == ids[name]) for name in ids}
    assert "size" in labels["size"] and "driver" in labels["driver"]


def test_mine_on_a_sample_assigns_the_rest_to_the_same_themes(engine, settings, mined):
    truth, full = mined
    sampled = settings.model_copy(
        update={"themes": settings.themes.model_copy(update={"fit_sample": 100})}
    )
    run = mine_themes(engine, sampled, W40)
    assert run.fitted == 100 < full.fitted
    assert run.unassigned_share <= 0.15
    current = assignments(engine)
    assert set(current) == set(truth)
    ids = theme_of(truth, current)
    assert sorted(ids.values()) == sorted(t.id for t in full.themes)  # same registry ids
    purity = sum(current[c][0] == ids[n] for c, n in truth.items()) / len(truth)
    assert purity > 0.9


def test_mine_again_is_identical_and_embeds_nothing(engine, settings, mined):
    _, first = mined
    before = assignments(engine)
    again = mine_themes(engine, settings, W40)
    assert again.embedded == 0 and not again.embedder_refitted
    assert assignments(engine).keys() == before.keys()
    assert {c: a[0] for c, a in assignments(engine).items()} == {c: a[0] for c, a in before.items()}
    assert [(t.id, t.label, t.size) for t in again.themes] == [
        (t.id, t.label, t.size) for t in first.themes
    ]
    assert not any(t.created for t in again.themes)
    with session_scope(engine) as session:
        assert len(session.scalars(select(Embedding)).all()) == first.complaints


def test_mine_keeps_ids_next_week_and_registers_a_genuinely_new_theme(engine, settings, mined):
    truth, _ = mined
    ids_before = theme_of(truth, assignments(engine))
    more = weekly_corpus([W41], PER_THEME, seed=7)[W41]
    with session_scope(engine) as session:
        add_complaints(session, W41, more)
        new_ids = add_complaints(session, W41, texts_for("new", 12), source="other")
    run = mine_themes(engine, settings, W41)
    current = assignments(engine)
    window = {c: n for c, n in truth.items() if c in current}
    assert theme_of(window, current) == ids_before
    new_theme = Counter(current[c][0] for c in new_ids).most_common(1)[0][0]
    assert new_theme not in ids_before.values()
    assert any(t.id == new_theme and t.created for t in run.themes)
    rows = {r.id: r for r in week_summary(engine, settings, W41).themes}
    assert rows[new_theme].status == "new"
    assert rows[new_theme].count == 12


def test_mine_refits_a_stale_embedder_and_still_keeps_ids(engine, settings, mined):
    truth, first = mined
    ids_before = theme_of(truth, assignments(engine))
    with session_scope(engine) as session:
        add_complaints(session, W41, texts_for("new", 40), source="other")
    run = mine_themes(engine, settings, W41)
    assert run.embedder_refitted and run.embedder != first.embedder
    assert run.embedded == run.complaints  # every vector again, under the new embedder
    current = assignments(engine)
    assert theme_of({c: n for c, n in truth.items() if c in current}, current) == ids_before
    with session_scope(engine) as session:
        stored = {e.embedder for e in session.scalars(select(Embedding))}
    assert stored == {run.embedder}


def test_mine_locked_label_survives_a_refit(engine, settings, mined):
    truth, _ = mined
    theme_id = theme_of(truth, assignments(engine))["refund"]
    rename_theme(engine, theme_id, "  refund   delay ")
    mine_themes(engine, settings, W40)
    with session_scope(engine) as session:
        theme = session.get(Theme, theme_id)
        assert theme is not None
        assert (theme.label, theme.label_locked) == ("refund delay", True)
        assert theme.keywords
    with pytest.raises(RootcauseError, match="cannot be empty"):
        rename_theme(engine, theme_id, "  ")


def test_mine_merge_moves_complaints_and_later_fits_respect_it(engine, settings, mined):
    truth, _ = mined
    ids = theme_of(truth, assignments(engine))
    keep, gone = ids["voucher"], ids["size"]
    merge_themes(engine, keep, gone)
    current = assignments(engine)
    assert not any(a[0] == gone for a in current.values())
    moved = [c for c, n in truth.items() if n in ("voucher", "size")]
    assert Counter(current[c][0] for c in moved)[keep] > 0.9 * len(moved)
    mine_themes(engine, settings, W40)
    current = assignments(engine)
    assert not any(a[0] == gone for a in current.values())
    assert Counter(current[c][0] for c in moved)[keep] > 0.9 * len(moved)
    detail = theme_detail(engine, settings, gone)
    assert detail.merged_into == keep and detail.row is None
    with pytest.raises(RootcauseError, match="already merged"):
        merge_themes(engine, gone, ids["driver"])
    with pytest.raises(RootcauseError, match="into itself"):
        merge_themes(engine, keep, keep)
    with pytest.raises(UnknownThemeError, match="no theme with id 9999"):
        merge_themes(engine, keep, 9999)


def test_mine_crash_while_saving_leaves_the_registry_as_it_was(
    engine, settings, mined, monkeypatch
):
    def snapshot():
        with session_scope(engine) as session:
            themes = [
                (t.id, t.label, tuple(t.keywords), t.centroid, t.last_seen_week)
                for t in session.scalars(select(Theme).order_by(col(Theme.id)))
            ]
        return themes, assignments(engine)

    before = snapshot()
    with session_scope(engine) as session:
        add_complaints(session, W41, texts_for("new", 12), source="other")

    def crash(**_kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(theme_queries, "replace_assignments", crash)
    with pytest.raises(RuntimeError, match="disk full"):
        mine_themes(engine, settings, W41)
    assert snapshot() == before


def test_mine_summary_reads_back_the_stored_fit(engine, settings, mined):
    summary = week_summary(engine, settings, W40)
    assert summary.mined and summary.week == "2026-W40"
    assert summary.complaints == 4 * PER_THEME
    assert summary.unassigned == summary.complaints - sum(r.count for r in summary.themes)
    data = summary.as_dict()
    assert set(data) == {"week", "complaints", "unassigned", "themes"}
    for theme in data["themes"]:
        assert set(theme) == {"id", "label", "keywords", "causes", "count", "trend", "status"}
        assert len(theme["trend"]) == settings.themes.window_weeks
        assert theme["trend"][-1] == theme["count"]
        assert sum(theme["causes"].values()) == sum(theme["trend"])
    row = summary.themes[0]
    assert 1 <= len(row.representatives) <= settings.themes.representatives
    sims = [r.similarity for r in row.representatives]
    assert sims == sorted(sims, reverse=True)
    assert not week_summary(engine, settings, W41).mined
    assert window_mined(engine, settings, W40) and not window_mined(engine, settings, W41)


def test_mine_an_empty_window_does_nothing(engine, settings):
    run = mine_themes(engine, settings, W40)
    assert (run.complaints, run.themes, run.unassigned_share) == (0, (), 0.0)
    with pytest.raises(UnknownThemeError):
        theme_detail(engine, settings, 1)


def test_mine_representatives_are_distinct_past_a_run_of_duplicates(engine):
    # Twenty copies of the most central text in the window fill a LIMIT the query asks for; the
    # query widens until it has three distinct texts, best first, ties by id.
    from datetime import UTC, datetime

    from rootcause.models import Complaint

    when = datetime(2026, 10, 1, tzinfo=UTC)
    # Thirty more central ones from a week outside the window come first and are skipped.
    texts = [f"old {n}" for n in range(30)] + ["same words"] * 20 + ["second", "third", "fourth"]
    probability = [0.95] * 30 + [0.9] * 20 + [0.8, 0.7, 0.7]
    weeks = ["2026-W30"] * 30 + ["2026-W40"] * 23
    with session_scope(engine) as session:
        theme = Theme(label="t", first_seen_week="2026-W40", last_seen_week="2026-W40",
                      created_at=when, updated_at=when)  # fmt: skip
        session.add(theme)
        for n, text in enumerate(texts):
            complaint = Complaint(source="t", external_id=str(n), text_original=text,
                                  text_redacted=text, text_hash=f"h{n}", received_at=when,
                                  week=weeks[n], channel="email", ingested_at=when)  # fmt: skip
            session.add(complaint)
            session.flush()
            # as stored after mining W40: the old week's complaints were last assigned by a
            # fit whose window held them (W33's), the rest by W40's
            mark = "2026-W33" if weeks[n] == "2026-W30" else "2026-W40"
            session.add(ThemeAssignment(complaint_id=complaint.id, theme_id=theme.id,
                                        probability=probability[n], window_end_week=mark,
                                        assigned_at=when))  # fmt: skip
        session.flush()
        reps = theme_queries.representatives(
            session=session, theme_ids=[theme.id], weeks=["2026-W40"], limit=3
        )[theme.id]
        other_week = theme_queries.representatives(
            session=session, theme_ids=[theme.id], weeks=["2026-W41"], limit=3
        )[theme.id]
        # A mined window's assignments are found by the fit's mark: the same three.
        by_mark = theme_queries.representatives(
            session=session, theme_ids=[theme.id], weeks=["2026-W40"], limit=3,
            mined_for="2026-W40",
        )[theme.id]  # fmt: skip
    assert [r.text for r in reps] == ["same words", "second", "third"]
    assert by_mark == reps
    assert reps[0].complaint_id < reps[1].complaint_id < reps[2].complaint_id
    assert other_week == []


def test_mine_summary_causes_follow_the_newest_human_label(engine, settings, mined):
    # No complaint is classified here, so every cause starts 'unclassified'; a human label
    # moves one complaint, the newest of two labels wins, and the weekly trend is untouched.
    from rootcause.store import add_label

    before = week_summary(engine, settings, W40)
    row = before.themes[0]
    with session_scope(engine) as session:
        member = session.scalars(
            select(ThemeAssignment.complaint_id).where(ThemeAssignment.theme_id == row.id)
        ).first()
        add_label(session=session, complaint_id=member, cause="agent_error", author="a")
        add_label(session=session, complaint_id=member, cause="order_mixup", author="b")
    after = next(r for r in week_summary(engine, settings, W40).themes if r.id == row.id)
    assert row.causes == {"unclassified": sum(row.trend)}
    assert after.causes == {"unclassified": sum(row.trend) - 1, "order_mixup": 1}
    assert after.trend == row.trend and week_summary(engine, settings, W40).mined


def test_mine_summary_without_details_has_the_same_counts(engine, settings, mined):
    full = week_summary(engine, settings, W40)
    table = week_summary(engine, settings, W40, details=False)
    assert table.mined == full.mined and table.complaints == full.complaints
    assert [(r.id, r.trend, r.status) for r in table.themes] == [
        (r.id, r.trend, r.status) for r in full.themes
    ]
    assert all(r.causes and r.representatives for r in full.themes)
    assert not any(r.causes or r.representatives for r in table.themes)


def test_mine_run_counts_what_a_summary_counts_after_it(engine, settings):
    load(engine, weekly_corpus(W40.window(4), PER_THEME))
    run = mine_themes(engine, settings, W40)
    counted = week_summary(engine, settings, W40, details=False)
    handed = week_summary(engine, settings, W40, details=False, tally=run.tally())
    assert handed == counted and handed.mined
    assert sum(run.weekly.values()) == run.complaints
    # With details the cause mix is counted anyway: a handed tally has none.
    assert week_summary(engine, settings, W40, tally=run.tally()) == week_summary(
        engine, settings, W40
    )


def test_mine_summary_counts_causes_per_week_as_the_report_would(engine, settings, mined):
    # The report takes its weekly cause counts from a mined window's tally: they must equal
    # store.weekly_cause_counts, where a label overrides a verdict and an unclassified
    # complaint (labelled or not) is not counted.
    from datetime import UTC, datetime

    from rootcause.models import Complaint
    from rootcause.store import add_label, insert_classifications, weekly_cause_counts

    with session_scope(engine) as session:
        ids = list(session.scalars(select(Complaint.id).order_by(Complaint.id)))
        verdict = {
            "confidence": 0.9, "scores": {}, "secondary": [], "evidence": [],
            "needs_review": False, "churn_risk": False, "model_version": "m",
            "taxonomy_version": "t", "classified_at": datetime(2026, 12, 1, tzinfo=UTC),
        }  # fmt: skip
        causes = ("process_gap", "other", "agent_error")
        rows = [{"complaint_id": i, "cause": causes[n % 3], **verdict} for n, i in enumerate(ids)]
        insert_classifications(session=session, rows=rows[:-5])
        add_label(session=session, complaint_id=ids[0], cause="order_mixup", author="a")
        add_label(session=session, complaint_id=ids[-1], cause="order_mixup", author="a")
    summary = week_summary(engine, settings, W40)
    with session_scope(engine) as session:
        expected = weekly_cause_counts(session=session, weeks=list(summary.weeks))
    assert summary.mined and summary.week_causes == expected
    assert sum(expected.values()) == len(ids) - 5  # the five unclassified are left out
    assert sum(n for (_, c), n in expected.items() if c == "order_mixup") == 1  # the label
    # Not counted when the window is not mined as it stands.
    with session_scope(engine) as session:
        add_complaints(session, W40, ["a new complaint after the fit"])
    assert week_summary(engine, settings, W40).week_causes == {}
