"""Parsing what people type for a fix (dates, statuses, causes), with errors that say the form."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date

from rootcause.errors import ConfigError
from rootcause.models import FixStatus

_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
MAX_TITLE = 300
MAX_OWNER = 200


def parse_date(text: str, what: str = "date") -> date:
    """An ISO date, YYYY-MM-DD exactly; anything else is a ConfigError naming `what`."""
    value = text.strip()
    if _DATE_RE.match(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise ConfigError(f"{what} {text!r} is not a date; expected YYYY-MM-DD, e.g. 2026-10-21")


def parse_optional_date(text: str | None, what: str = "date") -> date | None:
    return None if text is None or not text.strip() else parse_date(text, what)


def parse_status(text: str) -> FixStatus:
    try:
        return FixStatus(text.strip().lower())
    except ValueError:
        known = ", ".join(s.value for s in FixStatus)
        raise ConfigError(f"unknown fix status {text!r} (known: {known})") from None


def check_cause(cause: str, causes: Sequence[str]) -> str:
    if cause not in causes:
        raise ConfigError(f"unknown cause {cause!r} (known: {', '.join(causes)})")
    return cause


def clean_text(value: str, what: str, limit: int) -> str:
    """One-line text with collapsed spaces; refuses empty or over-long values."""
    text = " ".join(value.split())
    if not text:
        raise ConfigError(f"a fix's {what} cannot be empty")
    if len(text) > limit:
        raise ConfigError(f"a fix's {what} has at most {limit} characters, not {len(text)}")
    return text
