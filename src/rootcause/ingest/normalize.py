"""Turn one raw row into a clean complaint record, or reject it with a reason code.

Pure functions over plain values: no database, no I/O, so every rule is unit-tested directly.
The original text is kept for audit; the redacted text is what every later stage reads.
"""

from __future__ import annotations

import hashlib
import html
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any

from rootcause.ingest import problems as p
from rootcause.ingest.dates import parse_datetime
from rootcause.ingest.problems import RowRejected
from rootcause.models import text_digest
from rootcause.period import IsoWeek
from rootcause.redact import RedactionPolicy, redact_text

# Only real HTML tag names: "<John Smith>" in a forwarded e-mail is text, not markup.
_HTML_TAGS = (
    "a|abbr|b|blockquote|body|br|center|code|div|em|font|h[1-6]|head|hr|html|i|img|li|link|meta|"
    "ol|p|pre|s|script|small|span|strong|style|sub|sup|table|tbody|td|th|thead|title|tr|u|ul"
)
_TAG_RE = re.compile(rf"</?(?:{_HTML_TAGS})\b(?:\s[^<>]*)?/?>", re.IGNORECASE)
_BLOCK_RE = re.compile(r"<(script|style)\b[^>]*>.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
_BREAK_RE = re.compile(r"<(?:br|/p|/div|/li|/tr|/h[1-6])\b[^>]*>", re.IGNORECASE)
_SPACES_RE = re.compile(r"[ \t\f\v\u00a0]+")
_NEWLINES_RE = re.compile(r"\n\s*\n\s*\n+")
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")
_LETTER_RE = re.compile(r"[^\W\d_]")
_SUSPECT_RE = re.compile(r"[\ufffd\x00-\x08\x0b\x0c\x0e-\x1f]")
# Half of a UTF-16 pair, which JSON's \udXXX escapes can produce: no encoding can store it.
_SURROGATE_RE = re.compile(r"[\ud800-\udfff]")
_ID_LIMIT = 200

CHANNEL_ALIASES = {
    "e_mail": "email", "mail": "email", "tweet": "social", "twitter": "social", "x": "social",
    "facebook": "social", "instagram": "social", "phone_call": "phone", "call": "phone",
    "telephone": "phone", "voice": "phone", "live_chat": "chat", "webchat": "chat",
    "web": "web_form", "webform": "web_form", "form": "web_form", "app_review": "review",
}  # fmt: skip


@dataclass(frozen=True)
class RowRules:
    """The limits a row is checked against (from Settings.ingest), plus the redaction policy."""

    max_text_chars: int
    earliest: datetime
    latest: datetime
    redaction: RedactionPolicy


def strip_html(text: str) -> str:
    """Remove markup from HTML e-mail bodies; leaves text that merely contains '<' alone."""
    if "<" in text and _TAG_RE.search(text):
        text = _BLOCK_RE.sub(" ", text)
        text = _BREAK_RE.sub("\n", text)
        text = _TAG_RE.sub(" ", text)
    if "&" in text:
        text = html.unescape(text)
    return text


def clean_text(value: str) -> str:
    # Most complaint texts need none of the steps below; substring tests are far cheaper.
    if not (
        "\n" in value or "\r" in value or "<" in value or "&" in value or "  " in value
        or "\t" in value or "\xa0" in value or "\f" in value or _CONTROL_RE.search(value)
    ):  # fmt: skip
        return value.strip()
    text = value.replace("\r\n", "\n").replace("\r", "\n")
    text = strip_html(text)
    text = _CONTROL_RE.sub("", text)
    text = _SPACES_RE.sub(" ", text)
    text = _NEWLINES_RE.sub("\n\n", text)
    return "\n".join(line.strip() for line in text.split("\n")).strip()


def text_fingerprint(text: str) -> str:
    """Hash of the text with case and spacing ignored: two re-sends of one message match."""
    return hashlib.sha1(" ".join(text.casefold().split()).encode("utf-8")).hexdigest()


def _as_str(value: Any) -> str | None:
    if value is None:
        return None
    text = value if isinstance(value, str) else str(value)
    text = _SURROGATE_RE.sub("\ufffd", text).strip()
    return text or None


def _label(value: Any) -> str | None:
    """A free-text label (channel, product): control characters such as NUL become spaces,
    which PostgreSQL could not store and a report would print as boxes."""
    text = _as_str(value)
    return _as_str(_SPACES_RE.sub(" ", _CONTROL_RE.sub(" ", text))) if text else None


def _check_binary(value: str) -> None:
    if not _SUSPECT_RE.search(value):
        return
    if "\x00" in value:
        raise RowRejected(p.BINARY_CONTENT, "the text contains NUL bytes (a corrupted export?)")
    bad = len(_SUSPECT_RE.findall(value))
    if bad / len(value) > 0.1:
        raise RowRejected(p.BINARY_CONTENT, "the text looks like binary data, not words")


def _field_id(values: Mapping[str, Any], key: str) -> str | None:
    value = _as_str(values.get(key))
    if value is not None and len(value) > _ID_LIMIT:
        raise RowRejected(p.INVALID_FIELD, f"'{key}' is longer than {_ID_LIMIT} characters")
    if value is not None and "\x00" in value:
        raise RowRejected(p.BINARY_CONTENT, f"'{key}' contains NUL bytes")
    return value


def _when(values: Mapping[str, Any], key: str, rules: RowRules) -> datetime:
    raw = _as_str(values.get(key))
    if raw is None:
        raise RowRejected(p.MISSING_DATE, f"'{key}' is empty; every complaint needs a date")
    try:
        moment = parse_datetime(raw)
    except (ValueError, OverflowError, OSError) as exc:
        raise RowRejected(p.INVALID_DATE, f"'{key}': {exc}") from None
    if not rules.earliest <= moment <= rules.latest:
        raise RowRejected(
            p.IMPLAUSIBLE_DATE,
            f"'{key}' {moment:%Y-%m-%d} is outside "
            f"{rules.earliest:%Y-%m-%d}..{rules.latest:%Y-%m-%d}",
        )
    return moment


def _optional_when(values: Mapping[str, Any], key: str, warnings: list[str]) -> datetime | None:
    raw = _as_str(values.get(key))
    if raw is None:
        return None
    try:
        return parse_datetime(raw)
    except (ValueError, OverflowError, OSError) as exc:
        warnings.append(f"'{key}' ignored: {exc}")
        return None


@lru_cache(maxsize=4096)
def week_of(day: date) -> str:
    return str(IsoWeek.of(day))


def normalise_channel(value: str | None) -> str | None:
    if value is None:
        return None
    key = value.strip().lower().replace(" ", "_").replace("-", "_")[:40]
    return CHANNEL_ALIASES.get(key, key) or None


def normalise_row(
    values: Mapping[str, Any],
    *,
    rules: RowRules,
    default_received_at: datetime | None,
    warnings: list[str],
) -> dict[str, Any]:
    """Validate one row and return the complaint's columns; raise RowRejected when it is bad.

    `default_received_at` is used only when the file has no date column at all; a row with an
    empty date in a file that has one is rejected, because guessing would misplace it in a week.
    """
    raw_text = values.get("text")
    if raw_text is None or (isinstance(raw_text, str) and not raw_text.strip()):
        raise RowRejected(p.EMPTY_TEXT, "the text is empty")
    if not isinstance(raw_text, str):
        raw_text = str(raw_text)
    raw_text = _SURROGATE_RE.sub("\ufffd", raw_text)
    if len(raw_text) > rules.max_text_chars * 4:
        raise RowRejected(
            p.TEXT_TOO_LONG,
            f"the text has {len(raw_text):,} characters; the limit is {rules.max_text_chars:,} "
            "(setting ingest.max_text_chars)",
        )
    _check_binary(raw_text)
    text = clean_text(raw_text)
    if not text:
        raise RowRejected(p.EMPTY_TEXT, "the text is empty once markup and spaces are removed")
    if len(text) > rules.max_text_chars:
        raise RowRejected(
            p.TEXT_TOO_LONG,
            f"the text has {len(text):,} characters; the limit is {rules.max_text_chars:,} "
            "(setting ingest.max_text_chars)",
        )
    if not _LETTER_RE.search(text):
        raise RowRejected(p.NO_WORDS, "the text has no letters")
    external_id = _field_id(values, "id")
    if "received_at" in values or default_received_at is None:
        received_at = _when(values, "received_at", rules)
    else:
        received_at = default_received_at
    text_nfc = unicodedata.normalize("NFC", text)
    redacted = redact_text(text_nfc, rules.redaction)
    return {
        "external_id": external_id,
        "text_original": text_nfc,
        "text_redacted": redacted,
        "text_digest": text_digest(redacted),
        "text_hash": text_fingerprint(text_nfc),
        "received_at": received_at,
        "week": week_of(received_at.date()),
        "channel": normalise_channel(_label(values.get("channel"))),
        "customer_id": _field_id(values, "customer_id"),
        "order_id": _field_id(values, "order_id"),
        "agent_id": _field_id(values, "agent_id"),
        "product": (_label(values.get("product")) or "")[:200] or None,
        "first_response_at": _optional_when(values, "first_response_at", warnings),
        "resolved_at": _optional_when(values, "resolved_at", warnings),
    }


def plausible_range(
    earliest_year: int, max_future_days: int, now: datetime
) -> tuple[datetime, datetime]:
    return datetime(earliest_year, 1, 1, tzinfo=now.tzinfo), now + timedelta(days=max_future_days)
