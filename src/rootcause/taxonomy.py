"""The cause taxonomy, read from TOML into frozen objects and checked key by key.

The taxonomy is data, not code: a company renames causes, assigns owners and (later) adds rule
patterns without touching Python. Its version is a hash of the file's bytes, recorded with every
classification and report so a figure can be traced to the taxonomy that produced it.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rootcause.errors import TaxonomyError
from rootcause.resources import default_taxonomy

FALLBACK_CAUSE = "other"
_NAME_RE = re.compile(r"^[a-z][a-z0-9_]{1,39}$")


@dataclass(frozen=True)
class Cause:
    name: str
    label: str
    description: str
    owner: str
    evidence: tuple[str, ...] = ()
    patterns: tuple[str, ...] = ()


@dataclass(frozen=True)
class Taxonomy:
    name: str
    version: str
    causes: tuple[Cause, ...]
    mask_order_numbers: bool = False
    churn_patterns: tuple[str, ...] = ()

    @property
    def cause_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.causes)

    def cause(self, name: str) -> Cause:
        for c in self.causes:
            if c.name == name:
                return c
        raise KeyError(name)


def _expect(value: Any, kind: type, where: str, path: Path) -> Any:
    if not isinstance(value, kind):
        got = type(value).__name__
        raise TaxonomyError(f"{path}: key '{where}': expected {kind.__name__}, got {got}")
    return value


def parse_taxonomy(data: Mapping[str, Any], *, path: Path, version: str) -> Taxonomy:
    """Validate a parsed taxonomy document; every error names the offending key."""
    unknown_top = set(data) - {"name", "causes", "redaction", "churn"}
    if unknown_top:
        raise TaxonomyError(f"{path}: key '{sorted(unknown_top)[0]}': unknown key")
    causes_raw = _expect(data.get("causes"), dict, "causes", path)
    causes: list[Cause] = []
    for name, body in causes_raw.items():
        where = f"causes.{name}"
        if not _NAME_RE.match(name):
            raise TaxonomyError(
                f"{path}: key '{where}': cause names are lower-case snake_case (a-z, 0-9, _)"
            )
        _expect(body, dict, where, path)
        unknown = set(body) - {"label", "description", "owner", "evidence", "patterns"}
        if unknown:
            raise TaxonomyError(f"{path}: key '{where}.{sorted(unknown)[0]}': unknown key")
        for key in ("description", "owner"):
            if key not in body:
                raise TaxonomyError(f"{path}: key '{where}.{key}': missing")
            if not _expect(body[key], str, f"{where}.{key}", path).strip():
                raise TaxonomyError(f"{path}: key '{where}.{key}': must not be empty")
        evidence = _expect(body.get("evidence", []), list, f"{where}.evidence", path)
        for i, item in enumerate(evidence):
            _expect(item, str, f"{where}.evidence[{i}]", path)
        label = _expect(
            body.get("label", name.replace("_", " ").capitalize()), str, f"{where}.label", path
        )
        patterns = _patterns(body.get("patterns", []), f"{where}.patterns", path)
        causes.append(
            Cause(
                name,
                label,
                body["description"].strip(),
                body["owner"].strip(),
                tuple(evidence),
                patterns,
            )
        )
    if FALLBACK_CAUSE not in {c.name for c in causes}:
        raise TaxonomyError(f"{path}: key 'causes.{FALLBACK_CAUSE}': missing (the fallback cause)")
    redaction = _expect(data.get("redaction", {}), dict, "redaction", path)
    unknown_redaction = set(redaction) - {"mask_order_numbers"}
    if unknown_redaction:
        key = sorted(unknown_redaction)[0]
        raise TaxonomyError(f"{path}: key 'redaction.{key}': unknown key")
    mask = _expect(
        redaction.get("mask_order_numbers", False), bool, "redaction.mask_order_numbers", path
    )
    churn = _expect(data.get("churn", {}), dict, "churn", path)
    if set(churn) - {"patterns"}:
        raise TaxonomyError(
            f"{path}: key 'churn.{sorted(set(churn) - {'patterns'})[0]}': unknown key"
        )
    churn_patterns = _patterns(churn.get("patterns", []), "churn.patterns", path)
    name = _expect(data.get("name", path.stem), str, "name", path)
    return Taxonomy(
        name=name,
        version=version,
        causes=tuple(causes),
        mask_order_numbers=mask,
        churn_patterns=churn_patterns,
    )


def _patterns(value: Any, where: str, path: Path) -> tuple[str, ...]:
    items = _expect(value, list, where, path)
    out: list[str] = []
    for i, item in enumerate(items):
        text = _expect(item, str, f"{where}[{i}]", path).strip()
        if not text.lstrip("~").strip():
            raise TaxonomyError(f"{path}: key '{where}[{i}]': empty pattern")
        out.append(text)
    return tuple(out)


def load_taxonomy(path: Path | None = None) -> Taxonomy:
    """Read and validate the taxonomy file (the packaged default when `path` is None)."""
    path = path or default_taxonomy()
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise TaxonomyError(f"{path}: cannot read the taxonomy file: {exc.strerror}") from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise TaxonomyError(f"{path}: not valid TOML: {exc}") from None
    version = hashlib.sha256(raw).hexdigest()[:12]
    return parse_taxonomy(data, path=path, version=version)
