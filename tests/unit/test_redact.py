"""Unit and property tests for rootcause.redact (PII masking at ingest)."""

from __future__ import annotations

import dataclasses
import re
import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rootcause.redact import KINDS, Redaction, RedactionPolicy, redact, redact_text

MASK_ORDERS = RedactionPolicy(mask_order_numbers=True)
MASK_TOKEN = re.compile(r"\[(?:EMAIL|CARD|IBAN|PHONE|ACCOUNT|ORDER)\]")


# --- helpers ---------------------------------------------------------------------------------
def luhn_check_digit(body: str) -> str:
    """The digit that makes body + digit pass the Luhn check."""
    total = 0
    for i, char in enumerate(reversed(body)):
        value = int(char)
        if i % 2 == 0:  # these are doubled once the check digit is appended
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return str((10 - total % 10) % 10)


def iban_with_check_digits(country: str, bban: str) -> str:
    """Build a valid IBAN by computing its two ISO 13616 check digits."""
    numeric = "".join(str(int(c, 36)) for c in bban + country + "00")
    return f"{country}{98 - int(numeric) % 97:02d}{bban}"


def grouped(compact: str, size: int = 4, sep: str = " ") -> str:
    return sep.join(compact[i : i + size] for i in range(0, len(compact), size))


def digit_segments(text: str) -> list[str]:
    """Each number-like stretch of text, reduced to its digits."""
    return [re.sub(r"[^0-9]", "", m) for m in re.findall(r"[0-9][0-9 .()+-]*", text)]


def assert_gone(pii: str, out: str) -> None:
    assert pii not in out
    digits = re.sub(r"[^0-9]", "", pii)
    if len(digits) >= 7:
        assert all(digits not in segment for segment in digit_segments(out)), out


# --- API shape -------------------------------------------------------------------------------
def test_redact_api_types_and_kinds() -> None:
    assert KINDS == ("email", "card", "iban", "phone", "account", "order")
    result = redact("mail me at ana@example.com")
    assert isinstance(result, Redaction)
    assert result.text == "mail me at [EMAIL]"
    assert dict(result.counts) == {"email": 1}
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.text = "x"  # type: ignore[misc]
    with pytest.raises(TypeError):
        result.counts["email"] = 2  # type: ignore[index]
    assert RedactionPolicy().mask_order_numbers is False


def test_redact_text_matches_redact() -> None:
    text = "Card 4111 1111 1111 1111, order NWS-884213, call 07700 900123"
    assert redact_text(text) == redact(text).text
    assert redact_text(text, MASK_ORDERS) == redact(text, MASK_ORDERS).text


def test_redact_empty_string() -> None:
    assert redact("") == Redaction("", {})
    assert redact_text("") == ""
    assert redact_text("", MASK_ORDERS) == ""


def test_redact_plain_text_is_unchanged_and_identical() -> None:
    text = "The courier left my parcel in the rain and nobody answered the chat for hours."
    result = redact(text)
    assert result.text is text
    assert dict(result.counts) == {}


# --- e-mail ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "email",
    [
        "ana@example.com",
        "john.smith+refunds@mail.example.co.uk",
        "JANE_DOE@Example.COM",
        "o'brien@example.ie",
        "first.last-2@sub.domain-name.org",
        "user%tag@shop.io",
        "jürgen@exämple.de",
    ],
)
def test_redact_email_forms(email: str) -> None:
    out = redact(f"Reply to {email}, thanks.")
    assert out.text == "Reply to [EMAIL], thanks."
    assert dict(out.counts) == {"email": 1}


def test_redact_email_in_brackets_and_quotes() -> None:
    assert redact_text("<ana@example.com> and 'bo@example.com'") == "<[EMAIL]> and '[EMAIL]'"


def test_redact_email_partially_masked_is_left_alone() -> None:
    text = "sent to j***@example.com and to an @handle"
    assert redact_text(text) == text


# --- cards -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "card",
    [
        "4111 1111 1111 1111",
        "4111-1111-1111-1111",
        "4111111111111111",
        "5500 0000 0000 0004",
        "3782 822463 10005",  # Amex 15 digits, 4-6-5
        "6011000990139424",
        "4222222222222",  # 13 digits
        "4000 0012 3456 7899",
    ],
)
def test_redact_card_forms(card: str) -> None:
    assert luhn_check_digit(re.sub(r"\D", "", card)[:-1]) == card[-1]
    out = redact(f"They charged my card {card} twice.")
    assert out.text == "They charged my card [CARD] twice."
    assert dict(out.counts) == {"card": 1}


def test_redact_luhn_invalid_16_digits_is_not_a_card() -> None:
    out = redact("reference 1234567890123456 please")
    assert "[CARD]" not in out.text
    out = redact("number 1234567890123456 was refused")
    assert out.text == "number [ACCOUNT] was refused"  # long digit run, but not a card
    grouped_invalid = "card 4111 1111 1111 1112 declined"
    assert redact_text(grouped_invalid) == grouped_invalid


def test_redact_card_next_to_other_numbers() -> None:
    assert redact_text("on 2026-11-23 4111 1111 1111 1111 got refused") == (
        "on 2026-11-23 [CARD] got refused"
    )
    assert redact_text("x@y.com4111111111111111") == "[EMAIL][CARD]"


def test_redact_card_is_never_swallowed_by_an_order_number() -> None:
    for policy in (RedactionPolicy(), MASK_ORDERS):
        out = redact("order 4111111111111111 and order #4111 1111 1111 1111", policy)
        assert out.text == "order [CARD] and order #[CARD]"
        assert dict(out.counts) == {"card": 2}


# --- IBAN ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "iban",
    [
        "GB82 WEST 1234 5698 7654 32",
        "GB82WEST12345698765432",
        "DE89 3704 0044 0532 0130 00",
        "DE89370400440532013000",
        "FR14 2004 1010 0505 0001 3M02 606",
        "NL91ABNA0417164300",
        "NO93 8601 1117 947",
    ],
)
def test_redact_iban_forms(iban: str) -> None:
    out = redact(f"Refund to IBAN {iban} please")
    assert out.text == "Refund to IBAN [IBAN] please"
    assert dict(out.counts) == {"iban": 1}


def test_redact_iban_checksum_both_ways() -> None:
    valid = "GB82 WEST 1234 5698 7654 32"
    wrong = "GB83 WEST 1234 5698 7654 32"
    assert redact_text(valid) == "[IBAN]"
    assert "[IBAN]" not in redact_text(wrong)
    built = iban_with_check_digits("DE", "370400440532013000")
    assert built == "DE89370400440532013000"


def test_redact_iban_followed_by_more_text() -> None:
    text = "GB82 WEST 1234 5698 7654 32 THANKS and GB82WEST12345698765432 2026"
    assert redact_text(text) == "[IBAN] THANKS and [IBAN] 2026"


# --- phones ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "phone",
    [
        "+44 7700 900123",
        "+44 (0)20 7946 0958",
        "+1-202-555-0143",
        "+1 (202) 555-0143",
        "0044 7700 900123",
        "+49 30 901820",
        "+33 1 23 45 67 89",
        "(555) 010-4477",
        "555-010-4477",
        "555.010.4477",
        "1-800-555-0199",
        "07700 900123",
        "07700900123",
        "020 7946 0958",
        "0161 496 0000",
    ],
)
def test_redact_phone_forms(phone: str) -> None:
    out = redact(f"Please call me on {phone} after six.")
    assert out.text == "Please call me on [PHONE] after six."
    assert dict(out.counts) == {"phone": 1}


def test_redact_phone_followed_by_a_year() -> None:
    assert redact_text("+44 7700 900123 2026") == "[PHONE] 2026"


# --- non-PII numbers -------------------------------------------------------------------------
@pytest.mark.parametrize(
    "text",
    [
        "Delivered 2026-11-23, promised 11/23/2026, invoiced 23.11.2026.",
        "Booked for 20261123 at 10:30 and again at 14:05:22.",
        "I paid $1,234.56 plus {$250.00} and €1.234.567,89; total 12345678.90.",
        "Back in 2026, and 1999, about 15% or 12.5% off.",
        "Flight NW 482 and NW482 were late by 45 minutes, gate 12, 3 bags.",
        "Short numbers 12345, 123 456, 1234567 stay.",
        "Already masked XXXX XX/XX/XXXX [EMAIL] XXXX-XXXX-XXXX-1234 and **** 4321.",
        "Version 2.3.4-rc1 crashed on build 20261123103000.",
    ],
)
def test_redact_keeps_non_pii_numbers(text: str) -> None:
    assert redact_text(text) == text
    assert redact_text(text, MASK_ORDERS) == text


# --- accounts --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("account 12345678 is frozen", "account [ACCOUNT] is frozen"),
        ("Account number: 55512345", "Account number: [ACCOUNT]"),
        ("account number is 987654", "account number is [ACCOUNT]"),
        ("acct #: 987654 closed", "acct #: [ACCOUNT] closed"),
        ("a/c 123456 debited", "a/c [ACCOUNT] debited"),
        ("member id 998877 lost", "member id [ACCOUNT] lost"),
        ("my loyalty no 73194402715 expired", "my loyalty no [ACCOUNT] expired"),
        ("debited from 31926819 today", "debited from [ACCOUNT] today"),
    ],
)
def test_redact_account_numbers(text: str, expected: str) -> None:
    out = redact(text)
    assert out.text == expected
    assert dict(out.counts) == {"account": 1}


def test_redact_account_keyword_needs_six_digits() -> None:
    text = "account 12345 and acct 99"
    assert redact_text(text) == text


# --- order numbers ---------------------------------------------------------------------------
ORDER_TEXT = (
    "Order NWS-884213 via EATS-55120 (ticket #123456), order 12345678, booking ref NWA7KQ2P."
)


def test_redact_order_numbers_kept_by_default() -> None:
    out = redact(ORDER_TEXT)
    assert out.text == ORDER_TEXT  # "order 12345678" is not mistaken for an account either
    assert dict(out.counts) == {}


def test_redact_order_numbers_masked_when_policy_asks() -> None:
    out = redact(ORDER_TEXT, MASK_ORDERS)
    assert out.text == (
        "Order [ORDER] via [ORDER] (ticket [ORDER]), order [ORDER], booking ref [ORDER]."
    )
    assert dict(out.counts) == {"order": 5}


def test_redact_order_policy_changes_only_order_numbers() -> None:
    text = "Order EATS-55120 for ana@example.com, card 4111 1111 1111 1111, call 07700 900123"
    kept = redact(text)
    masked = redact(text, MASK_ORDERS)
    assert kept.text == "Order EATS-55120 for [EMAIL], card [CARD], call [PHONE]"
    assert masked.text == "Order [ORDER] for [EMAIL], card [CARD], call [PHONE]"
    assert dict(masked.counts) == {**kept.counts, "order": 1}


def test_redact_order_with_few_digits_masked_when_asked() -> None:
    assert redact_text("ref NWA7KQ2P", MASK_ORDERS) == "ref [ORDER]"
    assert redact_text("ref NWA7KQ2P") == "ref NWA7KQ2P"


# --- counts, unicode, idempotence ------------------------------------------------------------
def test_redact_counts_every_kind() -> None:
    text = (
        "Ana (ana@example.com, bo@example.org) paid with 4111 1111 1111 1111 from "
        "GB82 WEST 1234 5698 7654 32; call +44 7700 900123 or 555-010-4477; "
        "account 12345678; order NWS-884213."
    )
    out = redact(text, MASK_ORDERS)
    assert dict(out.counts) == {
        "email": 2,
        "card": 1,
        "iban": 1,
        "phone": 2,
        "account": 1,
        "order": 1,
    }
    assert sum(out.counts.values()) == len(MASK_TOKEN.findall(out.text))
    assert set(out.counts) <= set(KINDS)


def test_redact_unicode_text() -> None:
    text = "Très déçu 😡 — écrivez à zoë@exemple.fr ou appelez +33 1 23 45 67 89, merci « vite »"
    out = redact(text)
    assert out.text == "Très déçu 😡 — écrivez à [EMAIL] ou appelez [PHONE], merci « vite »"
    assert redact_text("日本語のテキスト、番号なし。") == "日本語のテキスト、番号なし。"
    # Non-ASCII digits are not treated as numbers.
    assert redact_text("٤١١١١١١١١١١١١١١١") == "٤١١١١١١١١١١١١١١١"


def test_redact_long_row_full_of_pii() -> None:
    # Claimed spans are looked up by binary search; a 20,000-character row stays fast.
    items = [f"+44 7700 9{i:05d}, 4111 1111 1111 1111 and a{i}@example.com;" for i in range(350)]
    text = " ".join(items)
    out = redact(text)
    assert dict(out.counts) == {"phone": 350, "card": 350, "email": 350}
    assert not re.search(r"[0-9]{4}|@", out.text.replace("[", " "))


@pytest.mark.parametrize(
    "text",
    [
        ORDER_TEXT,
        "ana@example.com 4111 1111 1111 1111 GB82WEST12345698765432 +44 7700 900123",
        "account 123456 4111 1111 1111 1111 123456",
        "12345678+447700900123 and 12345678(555) 010-4477",
        "1234 5678 9012 07700 900123",
        "Already redacted: [EMAIL], [CARD], XXXX, XX/XX/XXXX.",
    ],
)
def test_redact_is_idempotent(text: str) -> None:
    for policy in (RedactionPolicy(), MASK_ORDERS):
        once = redact_text(text, policy)
        assert redact_text(once, policy) == once


# --- properties ------------------------------------------------------------------------------
_words = st.text(
    alphabet=st.characters(categories=("L", "P", "S", "Zs"), exclude_characters="\n"),
    min_size=1,
    max_size=12,
)
_noise = st.sampled_from(
    ["on 2026-11-23", "at 10:30", "paid $1,234.56", "in 2026", "15%", "NW 482", "x 3", "ref 77"]
)
_filler = st.lists(st.one_of(_words, _noise), max_size=6).map(" ".join)

_local = st.lists(
    st.text(alphabet=string.ascii_letters + string.digits + "_-", min_size=1, max_size=8),
    min_size=1,
    max_size=3,
).map(".".join)
_label = st.text(alphabet=string.ascii_lowercase + string.digits, min_size=1, max_size=10)
_tld = st.text(alphabet=string.ascii_lowercase, min_size=2, max_size=6)
_emails = st.builds(
    lambda local, tag, labels, tld: f"{local}{tag}@{'.'.join(labels)}.{tld}",
    _local,
    st.sampled_from(["", "+news", "+a1"]),
    st.lists(_label, min_size=1, max_size=3),
    _tld,
)


@st.composite
def _cards(draw: st.DrawFn) -> str:
    length = draw(st.integers(min_value=13, max_value=19))
    body = draw(st.sampled_from("123456789")) + draw(
        st.text(alphabet=string.digits, min_size=length - 2, max_size=length - 2)
    )
    digits = body + luhn_check_digit(body)
    chunks = [digits[i : i + 4] for i in range(0, len(digits), 4)]
    seps = draw(st.lists(st.sampled_from(["", " ", "-"]), min_size=len(chunks) - 1,
                         max_size=len(chunks) - 1))  # fmt: skip
    return chunks[0] + "".join(sep + chunk for sep, chunk in zip(seps, chunks[1:], strict=True))


@st.composite
def _ibans(draw: st.DrawFn) -> str:
    country = draw(st.text(alphabet=string.ascii_uppercase, min_size=2, max_size=2))
    bank = draw(st.text(alphabet=string.ascii_uppercase + string.digits, max_size=4))
    account = draw(st.text(alphabet=string.digits, min_size=11 - len(bank), max_size=26))
    iban = iban_with_check_digits(country, bank + account)
    return grouped(iban) if draw(st.booleans()) else iban


def _d(n: int) -> st.SearchStrategy[str]:
    return st.text(alphabet=string.digits, min_size=n, max_size=n)


_phones = st.one_of(
    st.builds(lambda a, b: f"+44 7{a} {b}", _d(3), _d(6)),
    st.builds(lambda a, b: f"0044 7{a} {b}", _d(3), _d(6)),
    st.builds(lambda a, b, c: f"+1-{a}-{b}-{c}", _d(3), _d(3), _d(4)),
    st.builds(lambda a, b, c: f"+49 {a} {b}{c}", _d(2), _d(4), _d(3)),
    st.builds(lambda a, b, c: f"({a}) {b}-{c}", _d(3), _d(3), _d(4)),
    st.builds(lambda a, b, c, s: f"{a}{s}{b}{s}{c}", _d(3), _d(3), _d(4), st.sampled_from("-. ")),
    st.builds(lambda a, b: f"07{a} {b}", _d(3), _d(6)),
    st.builds(lambda a, b: f"020 {a} {b}", _d(4), _d(4)),
)


@settings(max_examples=300, deadline=None)
@given(before=_filler, after=_filler, email=_emails)
def test_redact_property_emails_never_survive(before: str, after: str, email: str) -> None:
    out = redact_text(f"{before} {email} {after}")
    assert email not in out
    assert "[EMAIL]" in out


@settings(max_examples=300, deadline=None)
@given(before=_filler, after=_filler, card=_cards())
def test_redact_property_cards_never_survive(before: str, after: str, card: str) -> None:
    out = redact_text(f"{before} {card} {after}", MASK_ORDERS)
    assert_gone(card, out)


@settings(max_examples=300, deadline=None)
@given(before=_filler, after=_filler, iban=_ibans())
def test_redact_property_ibans_never_survive(before: str, after: str, iban: str) -> None:
    out = redact_text(f"{before} {iban} {after}")
    assert_gone(iban, out)
    assert iban.replace(" ", "") not in out.replace(" ", "")
    assert "[IBAN]" in out


@settings(max_examples=300, deadline=None)
@given(before=_filler, after=_filler, phone=_phones)
def test_redact_property_phones_never_survive(before: str, after: str, phone: str) -> None:
    out = redact_text(f"{before} {phone} {after}")
    assert_gone(phone, out)


_pieces = st.one_of(
    _emails,
    _cards(),
    _ibans(),
    _phones,
    _noise,
    st.sampled_from(["account ", "order ", "#", "+", "(", ")", "[CARD]", "]", "[", "NWS-", " "]),
    st.text(alphabet="0123456789 -+.()#@[]aZX/$,:", max_size=10),
    _words,
)


@settings(max_examples=500, deadline=None)
@given(pieces=st.lists(_pieces, max_size=8), mask_orders=st.booleans())
def test_redact_property_idempotent(pieces: list[str], mask_orders: bool) -> None:
    policy = RedactionPolicy(mask_order_numbers=mask_orders)
    text = "".join(pieces)
    once = redact(text, policy)
    assert redact_text(once.text, policy) == once.text
    assert sum(once.counts.values()) == len(MASK_TOKEN.findall(once.text)) - len(
        MASK_TOKEN.findall(text)
    )
