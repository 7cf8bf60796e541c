"""Mine one week's themes: embed (with the cache), fit BERTopic, match the registry, save.

The window is the `themes.window_weeks` ISO weeks ending with the report week. Saving is one
transaction: the theme registry (ids, labels, keywords, centres, first/last seen) and one
assignment per window complaint change together or not at all, so a crash mid-run leaves the
registry as it was, and re-running a week reproduces the same ids and counts (fixed seeds,
de-duplicated input, cached vectors).
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import Engine
from sqlmodel import Session

from rootcause.db import session_scope
from rootcause.gcpause import paused_gc
from rootcause.models import EmbedderState, ModelVersion, Theme, utcnow
from rootcause.period import IsoWeek
from rootcause.settings import Settings, ThemeSettings
from rootcause.themes import queries
from rootcause.themes.embed import (
    TFIDF_SVD,
    Embedder,
    TfidfSvdEmbedder,
    fit_tfidf_svd,
    from_bytes,
    load_sentence_transformer,
    sample_rows,
    seeded_sample,
    tfidf_svd_params,
    to_bytes,
)
from rootcause.themes.model import (
    FittedModel,
    TopicFit,
    extend_fit,
    fit_topic_model,
    merge_topics,
)
from rootcause.themes.registry import KnownTheme, match_topics
from rootcause.themes.text import boilerplate_sentences, stop_words_for

log = logging.getLogger(__name__)
Progress = Callable[[str], None]
_EMBED_BATCH = 5000
_MAX_MERGE_ROUNDS = 3
_UNKNOWN_SAMPLE = 20_000


@dataclass(frozen=True)
class MinedTheme:
    id: int
    label: str
    keywords: tuple[str, ...]
    size: int  # complaints in the window
    created: bool  # registered by this run


@dataclass(frozen=True)
class ThemeRun:
    """What one mining run did; `timings` are seconds per stage."""

    week: str
    window: tuple[str, ...]
    complaints: int
    unassigned: int
    themes: tuple[MinedTheme, ...]
    embedder: str
    embedded: int  # complaints embedded by this run (the rest came from the cache)
    embedder_refitted: bool
    timings: dict[str, float] = field(default_factory=dict)
    fitted: int = 0  # distinct complaints the topic model was fitted on (a sample past fit_sample)
    # complaints per (theme id or None, week) as saved: what a summary would count right after
    weekly: dict[tuple[int | None, str], int] = field(default_factory=dict)

    def tally(self) -> queries.WindowTally:
        """The saved assignments' counts, for `week_summary(..., tally=)` (no cause mix)."""
        return queries.WindowTally(dict(self.weekly), {}, self.complaints)

    @property
    def unassigned_share(self) -> float:
        return self.unassigned / self.complaints if self.complaints else 0.0


def mine_themes(
    engine: Engine,
    settings: Settings,
    week: IsoWeek,
    *,
    refit_embedder: bool = False,
    progress: Progress | None = None,
) -> ThemeRun:
    """Fit the themes of the window ending at `week` and store them (see the module docstring)."""
    say = progress or (lambda _stage: None)
    cfg = settings.themes
    weeks = [str(w) for w in week.window(cfg.window_weeks)]
    clock: dict[str, float] = {}
    started = time.perf_counter()
    with session_scope(engine) as session:
        complaints = queries.window_complaints(session=session, weeks=weeks)
    if not complaints:
        return ThemeRun(str(week), tuple(weeks), 0, 0, (), "", 0, False, {})

    say("embedding")
    t = time.perf_counter()
    embedder, refitted, cached = _choose_embedder(
        engine, cfg, complaints, week, weeks, refit_embedder
    )
    vectors, embedded = _embed_missing(engine, embedder, complaints, cached)
    clock["embed"] = time.perf_counter() - t

    say("clustering")
    t = time.perf_counter()
    first, inverse, weights = _deduplicate(complaints.keys)
    unique_vectors = vectors[first]
    # The topic model learns from a seeded sample past fit_sample; the rest is assigned. Only
    # the texts it learns from are read.
    sample = sample_rows(len(first), cfg.fit_sample, cfg.seed)
    rows = first if sample is None else first[sample]
    with session_scope(engine) as session:
        docs = queries.texts_of(session=session, ids=[complaints.ids[i] for i in rows])
    # Labels ignore this window's names and boilerplate, and whatever the embedder ignores.
    stop_words = stop_words_for(docs, cfg.stop_words)
    boilerplate = boilerplate_sentences(docs)
    if isinstance(embedder, TfidfSvdEmbedder):
        stop_words |= embedder.stop_words
        boilerplate |= embedder.boilerplate
    model, fit = fit_topic_model(
        cfg,
        docs,
        unique_vectors if sample is None else unique_vectors[sample],
        weights if sample is None else weights[sample],
        embedder=embedder,
        stop_words=stop_words,
        boilerplate=boilerplate,
    )
    clock["fit"] = time.perf_counter() - t

    say("saving")
    t = time.perf_counter()
    with session_scope(engine) as session:
        themes = queries.all_themes(session=session, lock=True)
        # Members are needed only for a centre from another embedder (see _known_themes).
        stale = [
            th.id for th in themes if th.centroid is None or th.centroid_embedder != embedder.id
        ]
        members = (
            queries.window_members(session=session, weeks=weeks, theme_ids=stale) if stale else {}
        )
        index = {cid: i for i, cid in enumerate(complaints.ids)} if members else {}
        known = _known_themes(themes, members, index, vectors, embedder.id)
        fit, topic_theme = _match(cfg, model, fit, known)
        if sample is not None:
            fit = extend_fit(cfg, fit, sample, unique_vectors, weights)
        doc_topic = fit.topics[inverse]
        with paused_gc():  # a row per window complaint, built and written
            mined, weekly = _save(
                session,
                week=str(week),
                weeks=weeks,
                complaints=complaints,
                doc_topic=doc_topic,
                similarity=fit.similarity[inverse],
                fit=fit,
                topic_theme=topic_theme,
                themes={th.id: th for th in themes if th.id is not None},
                embedder_id=embedder.id,
            )
    clock["save"] = time.perf_counter() - t
    clock["total"] = time.perf_counter() - started
    unassigned = int((doc_topic == -1).sum())
    log.info(
        "themes %s: %d complaints, %d themes, %d unassigned, %.1f s",
        week,
        len(complaints),
        len(mined),
        unassigned,
        clock["total"],
    )
    return ThemeRun(
        week=str(week),
        window=tuple(weeks),
        complaints=len(complaints),
        unassigned=unassigned,
        themes=tuple(mined),
        embedder=embedder.id,
        embedded=embedded,
        embedder_refitted=refitted,
        timings=clock,
        fitted=len(docs),
        weekly=weekly,
    )


def _deduplicate(
    keys: Sequence[bytes],
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.float64]]:
    """The first row of each distinct key (first-seen order), each row's distinct index, and
    how many rows each distinct key stands for."""
    position: dict[bytes, int] = {}
    first: list[int] = []
    inverse = np.empty(len(keys), dtype=np.int64)
    for i, key in enumerate(keys):
        if key not in position:
            position[key] = len(first)
            first.append(i)
        inverse[i] = position[key]
    weights = np.bincount(inverse, minlength=len(first)).astype(np.float64)
    return np.asarray(first, dtype=np.int64), inverse, weights


class _Cached(NamedTuple):
    """The window's vectors found in the cache (rows in window order; `found` marks them)."""

    vectors: NDArray[np.float32] | None
    found: NDArray[np.bool_]


def _choose_embedder(
    engine: Engine,
    cfg: ThemeSettings,
    complaints: queries.WindowComplaints,
    week: IsoWeek,
    weeks: Sequence[str],
    refit: bool,
) -> tuple[Embedder, bool, _Cached]:
    """The stored TF-IDF embedder if it is still good for this window, else a new fit; and
    the window's vectors cached under the chosen one.

    The complaints the cache does not know are the new ones whose words are checked against
    the stored embedder: reading the cache first tells which they are, where a separate
    query for them had cost 2-2.7 s at 1.2M window complaints.
    (Sentence-transformer models are fixed: nothing to fit, never stale.)
    """
    if cfg.embedding == "sentence-transformers":
        model = load_sentence_transformer(cfg.embedding_model_path)
        return model, False, _read_cached(engine, model.id, complaints, weeks)
    params = tfidf_svd_params(
        dims=cfg.embedding_dims, seed=cfg.seed, extra_stop_words=cfg.stop_words
    )
    reason = "asked to" if refit else ""
    if not refit:
        with session_scope(engine) as session:
            state = queries.latest_embedder_state(session=session, kind=TFIDF_SVD, params=params)
        if state is None:
            reason = "none stored"
        elif IsoWeek.parse(state.fitted_week) < IsoWeek.parse(weeks[0]):
            reason = f"fitted for {state.fitted_week}, before the window"
        else:
            embedder = TfidfSvdEmbedder.from_bytes(state.state)
            cached = _read_cached(engine, embedder.id, complaints, weeks)
            # A share is a share: 20,000 new complaints measure it as well as a million do.
            new = np.flatnonzero(~cached.found).tolist()
            fresh_ids = seeded_sample([complaints.ids[i] for i in new], _UNKNOWN_SAMPLE, cfg.seed)
            with session_scope(engine) as session:
                fresh = queries.texts_of(session=session, ids=fresh_ids)
            unknown = embedder.unknown_share(fresh) if fresh else 0.0
            if unknown <= cfg.embedder_max_unknown:
                return embedder, False, cached
            del cached
            reason = f"{unknown:.0%} of the new complaints' words are unknown to it"
    with session_scope(engine) as session:
        texts = queries.texts_of(session=session, ids=complaints.ids)
    embedder = fit_tfidf_svd(texts, params)
    del texts
    log.info("fitting the TF-IDF embedder on %d complaints (%s)", len(complaints), reason)
    now = utcnow()
    with session_scope(engine) as session:
        queries.save_embedder_state(
            session=session,
            state=EmbedderState(
                id=embedder.id,
                kind=TFIDF_SVD,
                params=params,
                state=embedder.to_bytes(),
                fitted_week=str(week),
                documents=len(complaints),
                created_at=now,
            ),
        )
        if session.get(ModelVersion, embedder.id) is None:
            session.add(
                ModelVersion(
                    id=embedder.id,
                    kind="embedder",
                    metrics={"documents": len(complaints), "vocabulary": len(embedder.vocabulary)},
                    created_at=now,
                )
            )
        queries.drop_vectors_of_other_embedders(
            session=session, kind_prefix=f"{TFIDF_SVD}-", keep=embedder.id
        )
    # A refitted embedder's id is new unless the fit came out identical to a stored one.
    return embedder, True, _read_cached(engine, embedder.id, complaints, weeks)


def _read_cached(
    engine: Engine, embedder_id: str, complaints: queries.WindowComplaints, weeks: Sequence[str]
) -> _Cached:
    """The window's vectors stored under `embedder_id`, streamed a page at a time into one
    float32 matrix; no per-complaint Python objects are kept."""
    row = {cid: i for i, cid in enumerate(complaints.ids)}
    out: NDArray[np.float32] | None = None
    found = np.zeros(len(complaints), dtype=bool)
    with session_scope(engine) as session, paused_gc():
        for ids, data in queries.cached_vector_pages(
            session=session, embedder=embedder_id, weeks=weeks
        ):
            block = from_bytes(b"".join(data)).reshape(len(ids), -1)
            if out is None:
                out = np.empty((len(complaints), block.shape[1]), dtype=np.float32)
            rows = [row[i] for i in ids]
            out[rows] = block
            found[rows] = True
    return _Cached(out, found)


def _embed_missing(
    engine: Engine, embedder: Embedder, complaints: queries.WindowComplaints, cached: _Cached
) -> tuple[NDArray[np.float32], int]:
    """Vectors for every window complaint (rows in window order): the cached ones as read,
    the rest embedded and cached, one committed batch at a time."""
    out, found = cached
    missing = np.flatnonzero(~found)
    for start in range(0, len(missing), _EMBED_BATCH):
        rows = missing[start : start + _EMBED_BATCH].tolist()
        batch = [complaints.ids[i] for i in rows]
        with session_scope(engine) as session:
            vectors = embedder.embed(queries.texts_of(session=session, ids=batch))
        with session_scope(engine) as session:
            queries.store_vectors(
                session=session,
                embedder=embedder.id,
                vectors=[(i, to_bytes(v)) for i, v in zip(batch, vectors, strict=True)],
            )
        block = np.asarray(vectors, dtype=np.float32)
        if out is None:
            out = np.empty((len(complaints), block.shape[1]), dtype=np.float32)
        out[rows] = block
    assert out is not None  # the window is never empty here
    return out, len(missing)


def _known_themes(
    themes: Sequence[Theme],
    members: dict[int, int],
    index: dict[int, int],
    vectors: NDArray[np.float32],
    embedder_id: str,
) -> list[KnownTheme]:
    """Registered themes with a centre in the current embedding space.

    A stored centre from another embedder is not comparable; such a theme's centre is
    recomputed from its members in the window, and a theme with neither cannot be matched.
    """
    by_theme: dict[int, list[int]] = {}
    for complaint_id, theme_id in members.items():
        if complaint_id in index:
            by_theme.setdefault(theme_id, []).append(index[complaint_id])
    roots = {th.id: _root(th, themes) for th in themes}
    known: list[KnownTheme] = []
    for theme in themes:
        assert theme.id is not None
        if theme.centroid is not None and theme.centroid_embedder == embedder_id:
            centre = from_bytes(theme.centroid).astype(np.float64)
        elif theme.id in by_theme:
            centre = vectors[by_theme[theme.id]].astype(np.float64).mean(axis=0)
        else:
            continue
        norm = float(np.linalg.norm(centre))
        if norm > 0:
            known.append(KnownTheme(theme.id, roots[theme.id], centre / norm))
    return known


def _root(theme: Theme, themes: Sequence[Theme]) -> int:
    by_id = {t.id: t for t in themes}
    seen: set[int] = set()
    current = theme
    while current.merged_into_id is not None and current.merged_into_id not in seen:
        assert current.id is not None
        seen.add(current.id)
        current = by_id[current.merged_into_id]
    assert current.id is not None
    return current.id


def _match(
    cfg: ThemeSettings, model: FittedModel, fit: TopicFit, known: Sequence[KnownTheme]
) -> tuple[TopicFit, dict[int, int]]:
    """Topic -> registered theme id; topics that resolve to one theme are merged first."""
    for _ in range(_MAX_MERGE_ROUNDS):
        ids = fit.topic_ids
        centres = np.vstack([fit.centres[t] for t in ids]) if ids else np.zeros((0, 1))
        matched = match_topics(centres, known, threshold=cfg.match_threshold)
        topic_theme = {ids[row]: theme_id for row, theme_id in matched.items()}
        groups: dict[int, list[int]] = {}
        for topic, theme_id in sorted(topic_theme.items()):
            groups.setdefault(theme_id, []).append(topic)
        merges = [g for g in groups.values() if len(g) > 1]
        if not merges:
            return fit, topic_theme
        fit = merge_topics(model, merges)
    return fit, topic_theme


def _save(
    session: Session,
    *,
    week: str,
    weeks: Sequence[str],
    complaints: queries.WindowComplaints,
    doc_topic: NDArray[np.int64],
    similarity: NDArray[np.float64],
    fit: TopicFit,
    topic_theme: dict[int, int],
    themes: dict[int, Theme],
    embedder_id: str,
) -> tuple[list[MinedTheme], dict[tuple[int | None, str], int]]:
    """Update matched themes, register new ones, and replace the window's assignments; the
    themes and the complaints saved per (theme id or None, week)."""
    now = utcnow()
    topic_weeks: dict[int, list[str]] = {}
    for complaint_week, topic in zip(complaints.weeks, doc_topic.tolist(), strict=True):
        if topic >= 0:
            topic_weeks.setdefault(topic, []).append(complaint_week)
    mined: list[MinedTheme] = []
    theme_of_topic: dict[int, int] = {}
    for topic in fit.topic_ids:
        seen = topic_weeks.get(topic, [])
        if not seen:
            continue
        words = fit.words[topic]
        theme = themes.get(topic_theme[topic]) if topic in topic_theme else None
        created = theme is None
        if theme is None:
            theme = Theme(
                label=words.label,
                first_seen_week=min(seen),
                last_seen_week=max(seen),
                created_at=now,
                updated_at=now,
            )
        elif not theme.label_locked:
            theme.label = words.label
        theme.keywords = list(words.keywords)
        theme.centroid = to_bytes(fit.centres[topic].astype(np.float32))
        theme.centroid_embedder = embedder_id
        theme.first_seen_week = min(theme.first_seen_week, *seen)
        theme.last_seen_week = max(theme.last_seen_week, *seen)
        theme.updated_at = now
        session.add(theme)
        session.flush()
        assert theme.id is not None
        theme_of_topic[topic] = theme.id
        mined.append(MinedTheme(theme.id, theme.label, words.keywords, len(seen), created))
    probability = np.clip(similarity, 0.0, 1.0).tolist()
    theme_ids = [theme_of_topic.get(t) if t >= 0 else None for t in doc_topic.tolist()]
    rows = list(zip(complaints.ids, theme_ids, probability, strict=True))
    queries.replace_assignments(session=session, weeks=weeks, week=week, assigned_at=now, rows=rows)
    weekly = Counter(zip(theme_ids, complaints.weeks, strict=True))
    return sorted(mined, key=lambda m: (-m.size, m.id)), dict(weekly)
