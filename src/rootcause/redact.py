"""Mask personal data (PII) in complaint text, once, at ingest.

Every later stage (classification, themes, the report) reads only the text this module returns,
so masking happens here and nowhere else. The original text is kept for audit by the caller.

Why it is built this way:

* No model and no network. It runs offline on every row at ingest, so it has to be fast,
  deterministic and auditable rule by rule; a statistical tagger would be slow, opaque and
  would need weights we cannot ship or download.
* Candidates are found with compiled module-level regular expressions and then *validated* in
  small functions: Luhn for payment cards, the ISO 13616 mod-97 check for IBANs, a calendar
  check for 8-digit runs. The checksums are what keep dates, amounts, order numbers and other
  harmless long numbers from being masked as cards or IBANs: a pattern alone cannot tell them
  apart.
* Cheap prefilters skip the work for the common row: the e-mail pattern runs only when the text
  contains "@", the number patterns only when it has at least six ASCII digits (masking order
  numbers, when switched on, needs one digit). A typical row without either costs a couple of
  microseconds.
* Detection is span based. Detectors claim non-overlapping character ranges in a fixed priority
  order (e-mail, IBAN, card, phone, account after a keyword, order number, long digit run) and
  the output is assembled once. A stronger detector can never be swallowed by a weaker one: an
  order number never eats a card, and an order number that is kept still blocks the long-number
  rule from masking it as an account.
* Masks are bracketed upper-case words without digits or "@" ([EMAIL], [CARD], ...). Every
  pattern treats "[" and "]" next to a number like a letter, so a mask never exposes a new match
  to its neighbours: redacting redacted text changes nothing.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Final

__all__ = ["KINDS", "Redaction", "RedactionPolicy", "redact", "redact_text"]

KINDS: Final[tuple[str, ...]] = ("email", "card", "iban", "phone", "account", "order")
_MASKS: Final[Mapping[str, str]] = MappingProxyType({kind: f"[{kind.upper()}]" for kind in KINDS})
_NO_COUNTS: Final[Mapping[str, int]] = MappingProxyType({})


@dataclass(frozen=True)
class RedactionPolicy:
    """What to mask beyond the always-masked kinds."""

    mask_order_numbers: bool = False  # order-number-like tokens are kept by default (evidence)


@dataclass(frozen=True)
class Redaction:
    """The redacted text and how many items of each kind were masked (only kinds seen)."""

    text: str
    counts: Mapping[str, int] = field(hash=False)


# A span is (start, end, kind); kind None marks a kept order number that blocks other rules.
_Span = tuple[int, int, str | None]

# --- prefilters ------------------------------------------------------------------------------
_SIX_DIGITS: Final = re.compile(r"(?:[^0-9]*+[0-9]){6}")
_ANY_DIGIT: Final = re.compile(r"[0-9]")

# --- patterns ------------------------------------------------------------------------------
# "[" and "]" are excluded next to numbers like word characters, so masks stay inert.
# No look-behind: if a local part is malformed, masking its valid tail beats leaking it; the
# {0,63} bound keeps a long token without "@" from costing quadratic time.
_EMAIL: Final = re.compile(
    r"[\w%+-][\w%+'.-]{0,63}"
    r"@(?:[^\W_](?:[\w-]{0,61}[^\W_])?\.)+[^\W\d_]{2,63}(?![^\W\d]|-)"
)
# Country code, check digits, 11-30 alphanumerics with optional single spaces (print format).
_IBAN: Final = re.compile(
    r"(?<![A-Za-z0-9\]])[A-Z]{2}[0-9]{2}(?: ?[A-Z0-9]){11,30}(?![A-Za-z0-9\[])"
)
# A run of digit groups joined by single spaces or hyphens; cards are looked for inside it.
_DIGIT_RUN: Final = re.compile(r"(?<![0-9+])[0-9]+(?:[ -][0-9]+)*")
_DIGITS: Final = re.compile(r"[0-9]+")
_PHONE_INTL: Final = re.compile(
    r"(?<![\w+\]])(?:\+|00(?=[1-9]))[0-9]{1,3}"
    r"(?:[ .-]?+(?:\([0-9]{1,4}\)|[0-9]++)){1,7}"
)
_PHONE_US: Final = re.compile(
    r"(?<![\w+\]])(?:1[ .-]?)?(?:\([0-9]{3}\)[ .-]?|[0-9]{3}[ .-])[0-9]{3}[ .-][0-9]{4}"
    r"(?![\w\[]|[.-][0-9\[])"
)
_PHONE_UK: Final = re.compile(
    r"(?<![\w+\]])0[0-9]{2,4}[ -]?[0-9]{3,4}[ -]?[0-9]{3,4}(?![\w\[]|[.-][0-9\[])"
)
_CONNECTORS: Final = r"(?:\s*+(?:[:#=]|is\b))*\s*+"
_ACCOUNT_KEYWORD: Final = re.compile(
    r"(?<![\w\]])(?:acc(?:oun)?t|a/c|member(?:ship)?[ ]+(?:id|number|no))\b\.?"
    r"(?:[ ]+(?:number|num|no\b\.?|id\b))?" + _CONNECTORS + r"(?P<num>[0-9](?:[ -]?[0-9]){5,})",
    re.IGNORECASE,
)
_ORDER_TOKEN: Final = re.compile(
    # NWS-884213, EATS-55120
    r"(?<![\w\]-])[A-Z]{2,6}-[0-9]{5,12}(?![\w\[-])"
    # booking references such as NWA7KQ2P: letters first, a digit followed by a letter
    r"|(?<![\w\]-])(?=[A-Z0-9]{6,10}(?![\w\[-]))[A-Z]{2}[A-Z0-9]*[0-9][A-Z][A-Z0-9]*(?![\w\[-])"
    # #123456
    r"|(?<![\w\]#&])#[0-9]{5,12}(?![\w\[])"
)
_ORDER_KEYWORD: Final = re.compile(
    r"(?<![\w\]])(?:order|booking|reservation|confirmation|reference|ref|invoice|ticket|tracking)s?\b\.?"
    r"(?:[ ]+(?:number|num|no\b\.?|id\b|code|ref\b\.?))?"
    + _CONNECTORS
    + r"(?P<num>(?=[A-Za-z0-9-]*[0-9])[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){3,24})"
    r"(?![\w\[]|-[\w\[(+#%])",
    re.IGNORECASE,
)
# Not after a decimal point, thousands separator or currency sign; not followed by decimals.
_ACCOUNT_RUN: Final = re.compile(r"(?<![\w\].,$€£¥])[0-9]{8,}(?![\w\[]|[.,][0-9\[])")

_LUHN_DOUBLED: Final = (0, 2, 4, 6, 8, 1, 3, 5, 7, 9)
_IBAN_LETTERS: Final = str.maketrans(
    {letter: str(value) for value, letter in enumerate(string.ascii_uppercase, start=10)}
)
_DROP_DIGITS: Final = str.maketrans("", "", string.digits)


# --- validators ------------------------------------------------------------------------------
def _digit_count(text: str) -> int:
    return len(text) - len(text.translate(_DROP_DIGITS))


def _luhn_ok(digits: str) -> bool:
    """Luhn (mod 10) check of an ASCII digit string."""
    total = 0
    double = False
    for char in reversed(digits):
        value = ord(char) - 48
        total += _LUHN_DOUBLED[value] if double else value
        double = not double
    return total % 10 == 0


def _iban_ok(compact: str) -> bool:
    """ISO 13616 mod-97 check of an upper-case IBAN without spaces."""
    if not 15 <= len(compact) <= 34:
        return False
    return int((compact[4:] + compact[:4]).translate(_IBAN_LETTERS)) % 97 == 1


def _is_day(year: str, month: str, day: str) -> bool:
    return 1900 <= int(year) <= 2099 and 1 <= int(month) <= 12 and 1 <= int(day) <= 31


def _looks_like_date(digits: str) -> bool:
    """20261123, 23112026, 11232026, or a compact timestamp such as 202611231030(45)."""
    if len(digits) == 8:
        return (
            _is_day(digits[:4], digits[4:6], digits[6:])
            or _is_day(digits[4:], digits[2:4], digits[:2])
            or _is_day(digits[4:], digits[:2], digits[2:4])
        )
    if len(digits) in (12, 14):
        clock = digits[8:]
        return (
            _is_day(digits[:4], digits[4:6], digits[6:8])
            and int(clock[:2]) < 24
            and all(int(clock[i : i + 2]) < 60 for i in range(2, len(clock), 2))
        )
    return False


# --- span bookkeeping ------------------------------------------------------------------------
def _is_free(spans: list[_Span], start: int, end: int) -> bool:
    return all(end <= s or start >= e for s, e, _ in spans)


def _claim(
    text: str, spans: list[_Span], start: int, end: int, *, kind: str, min_digits: int
) -> None:
    """Claim [start, end) for kind; if other spans overlap it, claim the free pieces that still
    hold at least min_digits digits, trimmed to their first and last digit."""
    if _is_free(spans, start, end):
        spans.append((start, end, kind))
        return
    pieces = [(start, end)]
    for s, e, _ in spans:
        cut: list[tuple[int, int]] = []
        for a, b in pieces:
            if e <= a or s >= b:
                cut.append((a, b))
                continue
            if a < s:
                cut.append((a, s))
            if e < b:
                cut.append((e, b))
        pieces = cut
    for a, b in pieces:
        match = _DIGITS.search(text, a, b)
        if match is None:
            continue
        first = match.start()
        last = b
        while text[last - 1] not in string.digits:
            last -= 1
        if _digit_count(text[first:last]) >= min_digits:
            spans.append((first, last, kind))


# --- detectors -------------------------------------------------------------------------------
def _find_emails(text: str, spans: list[_Span]) -> None:
    spans.extend((m.start(), m.end(), "email") for m in _EMAIL.finditer(text))


def _find_ibans(text: str, spans: list[_Span]) -> None:
    pos = 0
    while (match := _IBAN.search(text, pos)) is not None:
        start, end = match.span()
        # Longest first; a trailing word or number may have been swallowed, so also try
        # ending before each space.
        ends = [end] + [i for i in range(end - 1, start, -1) if text[i] == " "]
        for cut in ends:
            if _iban_ok(text[start:cut].replace(" ", "")) and _is_free(spans, start, cut):
                spans.append((start, cut, "iban"))
                pos = cut
                break
        else:
            pos = start + 1


def _find_cards(text: str, spans: list[_Span]) -> None:
    for run in _DIGIT_RUN.finditer(text):
        run_start, run_end = run.span()
        if run_end - run_start < 13:
            continue
        groups = [m.span() for m in _DIGITS.finditer(text, run_start, run_end)]
        hits: list[tuple[int, int]] = []
        for i, (start, _) in enumerate(groups):
            if text[start] == "0":  # no payment card number starts with 0
                continue
            digits = ""
            for group_start, group_end in groups[i:]:
                digits += text[group_start:group_end]
                if len(digits) > 19:
                    break
                if len(digits) >= 13 and _luhn_ok(digits) and _is_free(spans, start, group_end):
                    hits.append((start, group_end))
                if group_end - group_start < 4:  # only the last group of a card may be short
                    break
        # Overlapping candidates are merged: masking a little too much beats leaking digits.
        hits.sort()
        merged: list[tuple[int, int]] = []
        for start, end in hits:
            if merged and start < merged[-1][1]:
                merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
            else:
                merged.append((start, end))
        spans.extend((start, end, "card") for start, end in merged)


def _intl_phone_end(text: str, start: int, end: int) -> int | None:
    """Drop trailing groups (a date or count right after the number) until 7-15 digits."""
    groups = [m.span() for m in _DIGITS.finditer(text, start, end)]
    total = sum(e - s for s, e in groups)
    while total > 15 and len(groups) > 1:
        s, e = groups.pop()
        total -= e - s
    if not 7 <= total <= 15:
        return None
    first, last = groups[-1]
    return last + 1 if text[first - 1] == "(" else last


def _us_phone_end(text: str, start: int, end: int) -> int | None:
    return end


def _uk_phone_end(text: str, start: int, end: int) -> int | None:
    return end if 10 <= _digit_count(text[start:end]) <= 11 else None


_PHONE_RULES: Final = (
    (_PHONE_INTL, _intl_phone_end),
    (_PHONE_US, _us_phone_end),
    (_PHONE_UK, _uk_phone_end),
)


def _find_phones(text: str, spans: list[_Span]) -> None:
    for pattern, phone_end in _PHONE_RULES:
        # A manual search loop rather than finditer: when a candidate is cut short or rejected,
        # whatever it had swallowed is searched again.
        pos = 0
        while (match := pattern.search(text, pos)) is not None:
            end = phone_end(text, *match.span())
            if end is None:
                pos = match.start() + 1
                continue
            _claim(text, spans, match.start(), end, kind="phone", min_digits=4)
            pos = end


def _free_matches(
    pattern: re.Pattern[str], text: str, spans: list[_Span], upto: str | None = None
) -> Iterator[re.Match[str]]:
    """Like finditer, but skip a match whose text (up to group `upto`, if given) overlaps a claimed
    span, and search again one character later so the skipped match cannot hide a later one."""
    pos = 0
    while (match := pattern.search(text, pos)) is not None:
        end = match.end() if upto is None else match.start(upto)
        if _is_free(spans, match.start(), end):
            yield match
            pos = match.end()
        else:
            pos = match.start() + 1


def _find_keyword_accounts(text: str, spans: list[_Span]) -> None:
    for match in _free_matches(_ACCOUNT_KEYWORD, text, spans, upto="num"):
        _claim(text, spans, match.start("num"), match.end("num"), kind="account", min_digits=6)


def _find_orders(text: str, spans: list[_Span], mask: bool) -> None:
    kind = "order" if mask else None
    for match in _free_matches(_ORDER_TOKEN, text, spans):
        spans.append((match.start(), match.end(), kind))
    for match in _free_matches(_ORDER_KEYWORD, text, spans):
        spans.append((match.start("num"), match.end("num"), kind))


def _find_account_runs(text: str, spans: list[_Span]) -> None:
    for match in _ACCOUNT_RUN.finditer(text):
        if not _looks_like_date(match.group()) and _is_free(spans, *match.span()):
            spans.append((match.start(), match.end(), "account"))


def _scan(text: str, mask_orders: bool) -> list[_Span]:
    spans: list[_Span] = []
    if "@" in text:
        _find_emails(text, spans)
    if _SIX_DIGITS.match(text) is not None:
        _find_ibans(text, spans)
        _find_cards(text, spans)  # cards before anything that could swallow one
        _find_phones(text, spans)
        _find_keyword_accounts(text, spans)
        _find_orders(text, spans, mask_orders)
        _find_account_runs(text, spans)
    elif mask_orders and _ANY_DIGIT.search(text) is not None:
        _find_orders(text, spans, mask_orders)
    return spans


def _apply(text: str, spans: list[_Span], counts: dict[str, int]) -> str:
    parts: list[str] = []
    pos = 0
    for start, end, kind in sorted(spans, key=lambda span: span[0]):
        if kind is None:
            continue
        parts.append(text[pos:start])
        parts.append(_MASKS[kind])
        counts[kind] = counts.get(kind, 0) + 1
        pos = end
    parts.append(text[pos:])
    return "".join(parts)


def _redact(text: str, mask_orders: bool, counts: dict[str, int]) -> str:
    """Scan and mask until nothing new is found, so the result is a fixed point.

    The patterns already treat masks like words, so a second scan almost never finds anything;
    it is the guarantee that redaction is idempotent. It always ends: every mask removes at least
    one digit or "@". Text without PII is scanned once and returned as the same object.
    """
    while True:
        spans = _scan(text, mask_orders)
        if not any(kind is not None for _, _, kind in spans):
            return text
        text = _apply(text, spans, counts)


# --- public API ------------------------------------------------------------------------------
def redact(text: str, policy: RedactionPolicy = RedactionPolicy()) -> Redaction:
    """Mask e-mails, cards, IBANs, phones, account numbers (and order numbers if asked)."""
    counts: dict[str, int] = {}
    masked = _redact(text, policy.mask_order_numbers, counts)
    return Redaction(masked, MappingProxyType(counts) if counts else _NO_COUNTS)


def redact_text(text: str, policy: RedactionPolicy = RedactionPolicy()) -> str:
    """Just the redacted text of redact()."""
    return _redact(text, policy.mask_order_numbers, {})
