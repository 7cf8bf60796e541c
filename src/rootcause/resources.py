"""Where the files rootcause ships live: inside the wheel, or in the source checkout.

A wheel carries the templates and demo data under the package (see pyproject's force-include);
an editable install finds them at the repository root.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent
_REPO = _PACKAGE.parent.parent


def _first_existing(*candidates: Path) -> Path:
    for candidate in candidates:
        if candidate.exists():
            return candidate
    return candidates[-1]


def templates_dir() -> Path:
    return _first_existing(_PACKAGE / "_templates", _REPO / "reports" / "templates")


def demo_dir() -> Path:
    return _first_existing(_PACKAGE / "_demo", _REPO / "data" / "fixtures" / "demo")


def default_taxonomy() -> Path:
    return _PACKAGE / "taxonomy.toml"


def training_dir() -> Path:
    return _first_existing(_PACKAGE / "_training", _REPO / "data" / "fixtures" / "training")
