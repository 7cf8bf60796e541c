"""One typed settings object, built by `load_settings()` and passed to every stage.

Layers, later wins: defaults < `rootcause.toml` (or the file named by ROOTCAUSE_CONFIG) <
ROOTCAUSE_* environment variables < CLI flags. Nested keys use a double underscore in the
environment: ROOTCAUSE_INGEST__BATCH_SIZE=5000 sets `[ingest] batch_size`. Nothing here runs at
import time, so tests and the CLI each build exactly the settings they mean.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from rootcause.errors import ConfigError

ENV_PREFIX = "ROOTCAUSE_"
CONFIG_FILE = "rootcause.toml"


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class IngestSettings(_Section):
    batch_size: int = Field(5000, ge=1, le=50_000)
    max_text_chars: int = Field(20_000, ge=100)
    # Rows whose received_at is further in the future than this are quarantined as implausible.
    max_future_days: int = Field(2, ge=0)
    earliest_year: int = Field(1990, ge=1900)


class ClassifySettings(_Section):
    model_path: Path | None = None  # default: the classifier shipped with rootcause
    batch_size: int = Field(2000, ge=1, le=100_000)


class ReportSettings(_Section):
    out_dir: Path = Path("reports/out")
    templates_dir: Path | None = None  # default: the templates shipped with rootcause
    title: str = "Complaint root causes"
    trend_weeks: int = Field(12, ge=2, le=104)


class Settings(_Section):
    database_url: str = "sqlite:///rootcause.db"
    taxonomy_path: Path | None = None  # default: the taxonomy shipped with rootcause
    ingest: IngestSettings = IngestSettings()
    classify: ClassifySettings = ClassifySettings()
    report: ReportSettings = ReportSettings()


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
