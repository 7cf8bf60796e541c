"""One typed settings object, built by `load_settings()` and passed to every stage.

Layers, later wins: defaults < `rootcause.toml` (or the file named by ROOTCAUSE_CONFIG) <
ROOTCAUSE_* environment variables < CLI flags. Nested keys use a double underscore in the
environment: ROOTCAUSE_INGEST__BATCH_SIZE=20000 sets `[ingest] batch_size`. Nothing here runs at
import time, so tests and the CLI each build exactly the settings they mean.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from rootcause.errors import ConfigError

ENV_PREFIX = "ROOTCAUSE_"
CONFIG_FILE = "rootcause.toml"


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class IngestSettings(_Section):
    # Rows per transaction. Each commit writes every index page its rows touched; with a million
    # complaints stored, 100k new ones took 8.8 s in batches of 5,000 and 6.1 s in 20,000.
    batch_size: int = Field(20_000, ge=1, le=50_000)
    max_text_chars: int = Field(20_000, ge=100)
    # Rows whose received_at is further in the future than this are quarantined as implausible.
    max_future_days: int = Field(2, ge=0)
    earliest_year: int = Field(1990, ge=1900)


class ClassifySettings(_Section):
    model_path: Path | None = None  # default: the classifier shipped with rootcause
    batch_size: int = Field(2000, ge=1, le=100_000)
    # Worker processes for predicting: 0 = one per core (at most 4), 1 = none. Started only when
    # there is more than one batch to do.
    processes: int = Field(0, ge=0, le=64)


class ReportSettings(_Section):
    out_dir: Path = Path("reports/out")
    templates_dir: Path | None = None  # default: the templates shipped with rootcause
    title: str = "Complaint root causes"
    trend_weeks: int = Field(12, ge=2, le=104)


class ThemeSettings(_Section):
    """Recurring themes: which BERTopic stages to use and the rules that keep themes stable.

    The defaults are the fast, offline, deterministic engine (TF-IDF + SVD embeddings, SVD,
    k-means); `reduction = "umap"` with `clustering = "hdbscan"` is stock BERTopic.
    """

    window_weeks: int = Field(12, ge=2, le=104)
    embedding: Literal["tfidf-svd", "sentence-transformers"] = "tfidf-svd"
    embedding_model_path: Path | None = None  # a local sentence-transformers model directory
    embedding_dims: int = Field(100, ge=2, le=1000)  # SVD components of the TF-IDF embedder
    # Refit the TF-IDF embedder when more than this share of the new complaints' words is unknown.
    embedder_max_unknown: float = Field(0.05, gt=0.0, le=1.0)
    reduction: Literal["svd", "umap", "none"] = "svd"
    reduction_dims: int = Field(20, ge=2, le=500)
    clustering: Literal["kmeans", "minibatch-kmeans", "hdbscan"] = "kmeans"
    n_themes: int | None = Field(None, ge=2)  # k-means k; default: sqrt(documents), bounded
    min_themes: int = Field(5, ge=2)
    max_themes: int = Field(100, ge=2)
    min_theme_size: int = Field(5, ge=2)
    # The topic model is fitted on at most this many distinct complaints (a seeded sample); the
    # rest of the window joins the nearest theme centre. Keeps a 1M-complaint window in minutes.
    fit_sample: int = Field(25_000, ge=100)
    # A complaint belongs to a theme when its cosine similarity to the theme's centre reaches this.
    outlier_similarity: float = Field(0.3, ge=-1.0, le=1.0)
    max_outlier_share: float = Field(0.15, ge=0.0, le=1.0)
    # Topics of one fit whose centres are at least this similar are one theme.
    merge_similarity: float = Field(0.3, ge=-1.0, le=1.0)
    # A topic keeps a registered theme's id when their centres are at least this similar.
    match_threshold: float = Field(0.5, ge=-1.0, le=1.0)
    top_n_words: int = Field(10, ge=3, le=50)
    representatives: int = Field(3, ge=1, le=20)
    stop_words: tuple[str, ...] = ()  # extra words never used in labels or embeddings
    seed: int = 42
    # Status rule: see rootcause.themes.status.
    baseline_weeks: int = Field(8, ge=2, le=52)
    new_weeks: int = Field(2, ge=1, le=12)
    growth_alpha: float = Field(0.05, gt=0.0, lt=1.0)
    growth_min_count: int = Field(5, ge=1)


class Settings(_Section):
    database_url: str = "sqlite:///rootcause.db"
    taxonomy_path: Path | None = None  # default: the taxonomy shipped with rootcause
    ingest: IngestSettings = IngestSettings()
    classify: ClassifySettings = ClassifySettings()
    report: ReportSettings = ReportSettings()
    themes: ThemeSettings = ThemeSettings()


def _deep_merge(base: dict[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), dict):
            out[key] = _deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def _from_env(environ: Mapping[str, str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name, value in environ.items():
        if not name.startswith(ENV_PREFIX) or name == ENV_PREFIX + "CONFIG":
            continue
        path = name[len(ENV_PREFIX) :].lower().split("__")
        if path[0] not in Settings.model_fields:
            continue  # ROOTCAUSE_* variables of other tools (e.g. the test suite's) are not ours
        node = values
        for part in path[:-1]:
            node = node.setdefault(part, {})
        node[path[-1]] = value
    return values


def _from_file(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the settings file: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None


def _describe(exc: ValidationError, origin: str) -> str:
    err = exc.errors()[0]
    key = ".".join(str(p) for p in err["loc"])
    return f"{origin}: setting '{key}': {err['msg']}"


def load_settings(
    overrides: Mapping[str, Any] | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> Settings:
    """Build the settings from every layer; raise ConfigError naming the bad key."""
    environ = os.environ if environ is None else environ
    cwd = Path.cwd() if cwd is None else cwd
    explicit = environ.get(ENV_PREFIX + "CONFIG")
    config_path = Path(explicit) if explicit else cwd / CONFIG_FILE
    merged: dict[str, Any] = {}
    origin = "defaults"
    if explicit or config_path.is_file():
        merged = _from_file(config_path)
        origin = str(config_path)
    env_values = _from_env(environ)
    if env_values:
        merged = _deep_merge(merged, env_values)
        origin = f"{origin} + {ENV_PREFIX}* environment"
    if overrides:
        merged = _deep_merge(merged, {k: v for k, v in overrides.items() if v is not None})
    try:
        return Settings.model_validate(merged)
    except ValidationError as exc:
        raise ConfigError(_describe(exc, origin)) from None
