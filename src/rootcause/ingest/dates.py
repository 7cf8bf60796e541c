"""Parse the date forms complaint exports use, into UTC.

Fast paths first (ISO 8601 and epoch numbers cover most exports), then US `MM/DD/YYYY` with an
optional time, then RFC 2822 as e-mail systems write it. Times without a zone are taken as UTC.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

_US_RE = re.compile(
    r"^(\d{1,2})/(\d{1,2})/(\d{4})"
    r"(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?\s*([AaPp][Mm])?)?$"
)
_EPOCH_RE = re.compile(r"^\d{9,16}(?:\.\d+)?$")


def parse_datetime(value: str) -> datetime:
    """Return an aware UTC datetime; raise ValueError naming the accepted forms."""
    text = value.strip()
    if not text:
        raise ValueError("empty")
    if len(text) >= 10 and text[4] == "-" and text[:4].isdigit():
        try:
            parsed = datetime.fromisoformat(text.replace(" UTC", "Z"))
        except ValueError:
            pass
        else:
            return _utc(parsed)
    if _EPOCH_RE.match(text):
        number = float(text)
        digits = len(text.split(".")[0])
        if digits >= 15:
            number /= 1_000_000
        elif digits >= 12:
            number /= 1_000
        return datetime.fromtimestamp(number, UTC)
    m = _US_RE.match(text)
    if m:
        month, day, year = int(m[1]), int(m[2]), int(m[3])
        hour, minute, second = int(m[4] or 0), int(m[5] or 0), int(m[6] or 0)
        if m[7]:
            if not 1 <= hour <= 12:
                raise ValueError(f"{value!r}: hour {hour} with AM/PM")
            hour = hour % 12 + (12 if m[7].lower() == "pm" else 0)
        try:
            return datetime(year, month, day, hour, minute, second, tzinfo=UTC)
        except ValueError as exc:
            raise ValueError(f"{value[:40]!r} is not a valid MM/DD/YYYY date: {exc}") from None
    try:
        return _utc(parsedate_to_datetime(text))
    except (TypeError, ValueError, IndexError):
        pass
    raise ValueError(
        f"{value[:40]!r} is not a date in a form rootcause reads "
        "(ISO 8601, RFC 2822, MM/DD/YYYY, or epoch seconds)"
    )


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
