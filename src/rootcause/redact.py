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
* Cheap prefilters skip the work for the common row: e-mails are looked for only when the text
  contains "@" (and then only around each "@"), numbers only when it has at least six ASCII
  digits (masking order numbers, when switched on, needs one digit). A typical row without
  either costs a few microseconds. Rows with digits are cut into "number zones" (a digit and the
  separators numbers are written with) in one scan, and the number patterns run only inside, or
  for keywords just before, the few zones with enough digits: a date or an amount costs a
  short search or none, not a scan of the whole row per pattern.
* Detection is span based. Detectors claim non-overlapping character ranges in a fixed priority
  order (e-mail, IBAN, card, phone, account after a keyword, order number, long digit run) and
  the output is assembled in one go. A stronger detector is never swallowed by a weaker one: an
  order number never eats a card, and an order number that is kept still blocks the long-number
  rule from masking it as an account.
* Masks are bracketed upper-case words without digits or "@" ([EMAIL], [CARD], ...), and every
  pattern treats "[" and "]" next to a number like a letter, so a mask almost never exposes a new
  match to its neighbours. To make idempotence a guarantee rather than a hope, text in which
  something was masked is scanned again until nothing new is found (usually one cheap extra
  scan); redact_text(redact_text(t)) == redact_text(t) for every t.
"""

from __future__ import annotations

import re
import string
from bisect import bisect_left, bisect_right, insort
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from operator import itemgetter
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
#
# Only the prefilters and _ZONE scan the whole text. Number patterns are searched only inside
# (or, for keywords, just before) the few number zones that hold enough digits, and e-mails only
# around each "@": a scan of the whole row per pattern would cost more than everything else.
#
# A number zone: a digit (or "+", "(") followed by digits and the characters numbers are written
# with. Every card, phone and digit run lies inside one zone.
_ZONE: Final = re.compile(r"[0-9+(][0-9 ().+-]*")
# E-mail: the domain is matched right after an "@", then the local part right before it. No
# look-behind: if a local part is malformed, masking its valid tail beats leaking it.
_EMAIL_DOMAIN: Final = re.compile(r"(?:[^\W_](?:[\w-]{0,61}[^\W_])?\.)+[^\W\d_]{2,63}(?![^\W\d]|-)")
_EMAIL_LOCAL: Final = re.compile(r"[\w%+-][\w%+'.-]{0,63}+\Z")  # searched with endpos at "@"
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
    r"[am](?<![\w\]][am])"
    r"(?:(?<=a)cc(?:oun)?t|(?<=a)/c|(?<=m)ember(?:ship)?[ ]+(?:id|number|no))\b\.?"
    r"(?:[ ]+(?:number|num|no\b\.?|id\b))?" + _CONNECTORS + r"(?P<num>[0-9](?:[ -]?[0-9]){5,})",
    re.IGNORECASE,
)
# Order tokens; the first character is matched plainly so a whole-text scan skips fast.
_ORDER_TOKEN: Final = re.compile(
    r"[A-Z#]"
    # #123456
    r"(?:(?<=#)(?<![\w\]#&]#)[0-9]{5,12}(?![\w\[])"
    r"|(?<![\w\]-][A-Z])"
    # NWS-884213, EATS-55120
    r"(?:[A-Z]{1,5}-[0-9]{5,12}"
    # booking references such as NWA7KQ2P: letters first, a digit followed by a letter
    r"|(?=[A-Z0-9]{5,9}(?![\w\[-]))[A-Z][A-Z0-9]*[0-9][A-Z][A-Z0-9]*)"
    r"(?![\w\[-]))"
)
_ORDER_KEYWORD: Final = re.compile(
    r"[bcinort](?<![\w\]][bcinort])"
    r"(?:(?<=o)rder|(?<=b)ooking|(?<=r)eservation|(?<=c)onfirmation|(?<=r)ef(?:erence)?"
    r"|(?<=i)nvoice|(?<=t)icket|(?<=t)racking)s?\b\.?"
    r"(?:[ ]+(?:number|num|no\b\.?|id\b|code|ref\b\.?))?"
    + _CONNECTORS
    + r"(?P<num>(?=[A-Za-z0-9-]*[0-9])[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){3,24})"
    r"(?![\w\[]|-[\w\[(+#%])",
    re.IGNORECASE,
)
# Not after a decimal point, thousands separator or currency sign; not followed by decimals.
_ACCOUNT_RUN: Final = re.compile(r"(?<![\w\].,$€£¥])[0-9]{8,}(?![\w\[]|[.,][0-9\[])")

# Each digit replaced by the digit sum of its double, for the Luhn check.
_LUHN_DOUBLED: Final = str.maketrans("0123456789", "0246813579")
_IBAN_LETTERS: Final = str.maketrans(
    {letter: str(value) for value, letter in enumerate(string.ascii_uppercase, start=10)}
)
_DROP_DIGITS: Final = str.maketrans("", "", string.digits)


# --- validators ------------------------------------------------------------------------------
def _digit_count(text: str) -> int:
    return len(text) - len(text.translate(_DROP_DIGITS))


def _luhn_ok(digits: str) -> bool:
    """Luhn (mod 10) check of an ASCII digit string."""
    doubled = digits[-2::-2].translate(_LUHN_DOUBLED)
    return (sum(map(int, digits[-1::-2])) + sum(map(int, doubled))) % 10 == 0


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
# Claimed spans never overlap and are kept sorted by start, so lookups are binary searches: a
# long row full of numbers stays linear-logarithmic instead of quadratic.
_span_start: Final = itemgetter(0)


def _add(spans: list[_Span], start: int, end: int, kind: str | None) -> None:
    insort(spans, (start, end, kind), key=_span_start)


def _overlapping(spans: list[_Span], start: int, end: int) -> list[_Span]:
    i = bisect_right(spans, start, key=_span_start)
    if i and spans[i - 1][1] > start:
        i -= 1
    j = bisect_left(spans, end, key=_span_start)
    return spans[i:j]


def _is_free(spans: list[_Span], start: int, end: int) -> bool:
    i = bisect_right(spans, start, key=_span_start)
    if i and spans[i - 1][1] > start:
        return False
    return i == len(spans) or spans[i][0] >= end


def _covered(spans: list[_Span], start: int, end: int) -> bool:
    i = bisect_right(spans, start, key=_span_start)
    return i > 0 and spans[i - 1][1] >= end


def _claim(
    text: str, spans: list[_Span], start: int, end: int, *, kind: str, min_digits: int
) -> None:
    """Claim [start, end) for kind; if other spans overlap it, claim the free pieces that still
    hold at least min_digits digits, trimmed to their first and last digit."""
    taken = _overlapping(spans, start, end)
    if not taken:
        _add(spans, start, end, kind)
        return
    pieces: list[tuple[int, int]] = []
    pos = start
    for s, e, _ in taken:
        if pos < s:
            pieces.append((pos, s))
        pos = max(pos, e)
    if pos < end:
        pieces.append((pos, end))
    for a, b in pieces:
        match = _DIGITS.search(text, a, b)
        if match is None:
            continue
        first = match.start()
        last = b
        while text[last - 1] not in string.digits:
            last -= 1
        if _digit_count(text[first:last]) >= min_digits:
            _add(spans, first, last, kind)


# --- detectors -------------------------------------------------------------------------------
# A zone is (start, end, digits): from its first character to its last digit (or ")").
_Zone = tuple[int, int, int]


def _zones(text: str) -> list[_Zone]:
    zones: list[_Zone] = []
    for match in _ZONE.finditer(text):
        body = match.group()
        if len(body) < 2:  # a lone digit, "+" or "("
            continue
        body = body.rstrip(" (.+-")
        digits = _digit_count(body)
        if digits >= 2:
            zones.append((match.start(), match.start() + len(body), digits))
    return zones


def _free_matches(
    pattern: re.Pattern[str],
    text: str,
    spans: list[_Span],
    pos: int,
    endpos: int,
    upto: str | None = None,
) -> Iterator[re.Match[str]]:
    """Like finditer, but skip a match whose text (up to group `upto`, if given) overlaps a claimed
    span, and search again one character later so the skipped match cannot hide a later one."""
    while (match := pattern.search(text, pos, endpos)) is not None:
        end = match.end() if upto is None else match.start(upto)
        if _is_free(spans, match.start(), end):
            yield match
            pos = match.end()
        else:
            pos = match.start() + 1


def _window(text: str, zone: _Zone) -> tuple[int, int]:
    """Where a keyword or order token that reaches into the zone can be: the zone, up to 64
    characters before it (keyword and connectors) and 40 after (the rest of a token)."""
    return max(0, zone[0] - 64), min(len(text), zone[1] + 40)


def _find_emails(text: str, spans: list[_Span]) -> None:
    pos = 0
    while (at := text.find("@", pos)) != -1:
        domain = _EMAIL_DOMAIN.match(text, at + 1)
        local = None if domain is None else _EMAIL_LOCAL.search(text, max(pos, at - 64), at)
        if domain is None or local is None:
            pos = at + 1
            continue
        _add(spans, local.start(), domain.end(), "email")
        pos = domain.end()


def _find_ibans(text: str, spans: list[_Span], zones: list[_Zone]) -> None:
    for zone_start, _, _ in zones:
        # The check digits open a zone; the country code is the two letters before it.
        if zone_start < 2 or not "A" <= text[zone_start - 1] <= "Z":
            continue
        match = _IBAN.match(text, zone_start - 2)
        if match is None:
            continue
        start, end = match.span()
        # Longest first; a trailing word or number may have been swallowed, so also try
        # ending before each space.
        for cut in [end] + [i for i in range(end - 1, start, -1) if text[i] == " "]:
            if _is_free(spans, start, cut) and _iban_ok(text[start:cut].replace(" ", "")):
                _add(spans, start, cut, "iban")
                break


def _find_cards(text: str, spans: list[_Span], zone: _Zone) -> None:
    for run in _DIGIT_RUN.finditer(text, zone[0], zone[1]):
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
                if len(digits) >= 13 and _is_free(spans, start, group_end) and _luhn_ok(digits):
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
        for start, end in merged:
            _add(spans, start, end, "card")


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


def _find_phones(text: str, spans: list[_Span], zone: _Zone) -> None:
    zone_start, zone_end, digits = zone
    # International numbers need "+" or "00" and 7 digits, national ones 10 digits, so a date
    # or an amount costs no search at all.
    rules: list[tuple[re.Pattern[str], Callable[[str, int, int], int | None]]] = []
    if text.find("+", zone_start, zone_end) != -1 or text.find("00", zone_start, zone_end) != -1:
        rules.append((_PHONE_INTL, _intl_phone_end))
    if digits >= 10:
        rules.append((_PHONE_US, _us_phone_end))
        if text.find("0", zone_start, zone_end) != -1:
            rules.append((_PHONE_UK, _uk_phone_end))
    # Look-aheads read at most two characters past the zone.
    endpos = min(len(text), zone_end + 2)
    for pattern, phone_end in rules:
        # A manual search loop rather than finditer: when a candidate is cut short or rejected,
        # whatever it had swallowed is searched again.
        pos = zone_start
        while (match := pattern.search(text, pos, endpos)) is not None:
            end = phone_end(text, *match.span())
            if end is None:
                pos = match.start() + 1
                continue
            _claim(text, spans, match.start(), end, kind="phone", min_digits=4)
            pos = end


def _find_keyword_accounts(text: str, spans: list[_Span], zone: _Zone) -> None:
    pos, endpos = _window(text, zone)
    before = text[pos : zone[0]].lower()
    if "acc" not in before and "a/c" not in before and "member" not in before:
        return
    for match in _free_matches(_ACCOUNT_KEYWORD, text, spans, pos, endpos, "num"):
        _claim(text, spans, match.start("num"), match.end("num"), kind="account", min_digits=6)


def _find_orders(text: str, spans: list[_Span]) -> None:
    """Mask order numbers anywhere in the text (policy.mask_order_numbers)."""
    for pattern in (_ORDER_TOKEN, _ORDER_KEYWORD):
        for match in _free_matches(pattern, text, spans, 0, len(text)):
            start, end = match.span(match.lastgroup or 0)
            _add(spans, start, end, "order")


def _kept_order_over(text: str, spans: list[_Span], start: int, end: int) -> bool:
    """Whether [start, end) lies in an order number that is kept; if so, mark it as kept."""
    window = _window(text, (start, end, 0))
    for pattern in (_ORDER_TOKEN, _ORDER_KEYWORD):
        for match in _free_matches(pattern, text, spans, *window):
            order_start, order_end = match.span(match.lastgroup or 0)
            if order_start < end and start < order_end:
                _add(spans, order_start, order_end, None)
                return True
    return False


def _find_account_runs(text: str, spans: list[_Span], zone: _Zone, mask_orders: bool) -> None:
    endpos = min(len(text), zone[1] + 2)
    for match in _ACCOUNT_RUN.finditer(text, zone[0], endpos):
        start, end = match.span()
        if _looks_like_date(match.group()) or not _is_free(spans, start, end):
            continue
        # Order numbers are kept by default, so "order 12345678" is not an account. (When they
        # are masked, _find_orders has claimed them already.)
        if not mask_orders and _kept_order_over(text, spans, start, end):
            continue
        _add(spans, start, end, "account")


def _scan(text: str, mask_orders: bool) -> list[_Span]:
    """Claim spans in priority order: e-mail, IBAN, then per number zone card, phone and account
    after a keyword, then order numbers (if masked) and last long digit runs."""
    spans: list[_Span] = []
    if "@" in text:
        _find_emails(text, spans)
    if _SIX_DIGITS.match(text) is not None:
        zones = _zones(text)
        _find_ibans(text, spans, zones)
        zones = [z for z in zones if z[2] >= 6 and not _covered(spans, z[0], z[1])]
        for zone in zones:
            if zone[2] >= 13:
                _find_cards(text, spans, zone)  # cards before anything that could swallow one
            if zone[2] >= 7:
                _find_phones(text, spans, zone)
            _find_keyword_accounts(text, spans, zone)
        if mask_orders:
            _find_orders(text, spans)
        for zone in zones:
            if zone[2] >= 8 and not _covered(spans, zone[0], zone[1]):
                _find_account_runs(text, spans, zone, mask_orders)
    elif mask_orders and _ANY_DIGIT.search(text) is not None:
        _find_orders(text, spans)
    return spans


def _apply(text: str, spans: list[_Span], counts: dict[str, int]) -> str:
    parts: list[str] = []
    pos = 0
    for start, end, kind in spans:  # sorted by start
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
