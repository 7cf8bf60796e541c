"""Unit tests for rootcause.ingest.normalize: text cleaning and every reason a row is rejected."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from rootcause.ingest import problems as p
from rootcause.ingest.normalize import (
    RowRules,
    clean_text,
    normalise_channel,
    normalise_row,
    plausible_range,
    strip_html,
    text_fingerprint,
)
from rootcause.ingest.problems import RowRejected
from rootcause.models import text_digest
from rootcause.redact import RedactionPolicy

NOW = datetime(2026, 11, 25, 12, tzinfo=UTC)
EARLIEST, LATEST = plausible_range(1990, 2, NOW)
RULES = RowRules(max_text_chars=200, earliest=EARLIEST, latest=LATEST, redaction=RedactionPolicy())
DATE = "2026-11-18T09:30:00Z"
CARD = "4111 1111 1111 1111"  # Luhn-valid test card number

EXPECTED_KEYS = {
    "external_id", "text_original", "text_redacted", "text_hash", "text_digest", "received_at",
    "week", "channel", "customer_id", "order_id", "agent_id", "product", "first_response_at",
    "resolved_at",
}  # fmt: skip


def row(**values: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"text": "My parcel arrived late.", "received_at": DATE}
    base.update(values)
    return base


def normalise(
    values: dict[str, Any],
    *,
    rules: RowRules = RULES,
    default: datetime | None = None,
    warnings: list[str] | None = None,
) -> dict[str, Any]:
    return normalise_row(
        values,
        rules=rules,
        default_received_at=default,
        warnings=[] if warnings is None else warnings,
    )


def rejected(values: dict[str, Any], **kwargs: Any) -> RowRejected:
    with pytest.raises(RowRejected) as info:
        normalise(values, **kwargs)
    assert info.value.code in p.CODES
    assert str(info.value) == info.value.reason
    return info.value


# --- clean_text ------------------------------------------------------------------------------
def test_ingest_normalize_clean_text_plain_text_is_only_stripped() -> None:
    assert clean_text("  My order is late.  ") == "My order is late."


def test_ingest_normalize_clean_text_crlf_and_cr_become_newlines() -> None:
    assert clean_text("Line one.\r\nLine two.\rLine three.") == "Line one.\nLine two.\nLine three."


def test_ingest_normalize_clean_text_collapses_spaces_and_blank_lines() -> None:
    text = "a  \t b\xa0\xa0c\n\n\n\n   d   \n e"
    assert clean_text(text) == "a b c\n\nd\ne"


def test_ingest_normalize_clean_text_removes_control_characters() -> None:
    assert clean_text("bro\x07ken\x1b text\x7f") == "broken text"


def test_ingest_normalize_clean_text_strips_html_tags_and_breaks() -> None:
    html = '<div class="x"><p>Hello <b>there</b>,</p><p>my order<br/>is late.</p></div>'
    assert clean_text(html) == "Hello there ,\nmy order\nis late."


def test_ingest_normalize_clean_text_drops_script_and_style_blocks() -> None:
    html = (
        "<style>p { color: red; }</style><p>Refund please</p>"
        "<SCRIPT type='text/javascript'>alert('x')</SCRIPT><p>now</p>"
    )
    cleaned = clean_text(html)
    assert cleaned == "Refund please\nnow"
    assert "alert" not in cleaned and "color" not in cleaned


def test_ingest_normalize_clean_text_decodes_entities() -> None:
    assert clean_text("Tom &amp; Jerry &lt;3 &quot;fast&quot; caf&eacute;") == (
        'Tom & Jerry <3 "fast" café'
    )
    assert clean_text("<p>5 &gt; 3&nbsp;&nbsp;items</p>") == "5 > 3 items"


@pytest.mark.parametrize(
    "text",
    [
        "price < 5 and I paid 10",
        "the price was <5 euros",
        "I <3 your shop but not this delay",
        "<< urgent >> refund",
    ],
)
def test_ingest_normalize_clean_text_keeps_lone_angle_brackets(text: str) -> None:
    assert strip_html(text) == text
    assert clean_text(text) == text


def test_ingest_normalize_text_fingerprint_ignores_case_and_spacing() -> None:
    a = text_fingerprint("The parcel arrived  with the WRONG colour.")
    b = text_fingerprint("  the parcel arrived\nwith the wrong\tcolour. ")
    assert a == b
    assert len(a) == 40 and int(a, 16) >= 0
    assert a != text_fingerprint("The parcel arrived with the wrong colour!")
    assert a != text_fingerprint("The parcel arrivedwith the wrong colour.")


# --- a good row ------------------------------------------------------------------------------
def test_ingest_normalize_good_row_returns_expected_record() -> None:
    warnings: list[str] = []
    record = normalise(
        {
            "id": " 42 ",
            "text": "  <p>My parcel   arrived <b>late</b>.</p>  ",
            "received_at": "2026-11-18T10:30:00+01:00",
            "channel": " Live Chat ",
            "customer_id": "C-1",
            "order_id": "O-9",
            "agent_id": "A7",
            "product": " Blue shirt ",
            "first_response_at": "2026-11-18T11:00:00Z",
            "resolved_at": "",
        },
        warnings=warnings,
    )
    assert set(record) == EXPECTED_KEYS
    assert record["external_id"] == "42"
    assert record["text_original"] == "My parcel arrived late ."
    assert record["text_redacted"] == record["text_original"]
    assert record["text_hash"] == text_fingerprint("My parcel arrived late .")
    assert record["received_at"] == datetime(2026, 11, 18, 9, 30, tzinfo=UTC)
    assert record["week"] == "2026-W47"
    assert record["channel"] == "chat"
    assert record["customer_id"] == "C-1"
    assert record["order_id"] == "O-9"
    assert record["agent_id"] == "A7"
    assert record["product"] == "Blue shirt"
    assert record["first_response_at"] == datetime(2026, 11, 18, 11, tzinfo=UTC)
    assert record["resolved_at"] is None
    assert warnings == []


def test_ingest_normalize_minimal_row_has_none_for_optional_fields() -> None:
    record = normalise(row())
    assert set(record) == EXPECTED_KEYS
    for key in ("external_id", "channel", "customer_id", "order_id", "agent_id", "product"):
        assert record[key] is None, key
    assert record["text_original"] == "My parcel arrived late."


def test_ingest_normalize_week_follows_utc_date() -> None:
    # Monday 00:30 at +02:00 is Sunday in UTC: the week before.
    record = normalise(row(received_at="2026-11-23T00:30:00+02:00"))
    assert record["week"] == "2026-W47"


def test_ingest_normalize_text_is_nfc_normalised() -> None:
    record = normalise(row(text="Cafe\u0301 order was cold"))
    assert record["text_original"] == "Caf\u00e9 order was cold"


def test_ingest_normalize_non_string_values_are_stringified() -> None:
    record = normalise(row(id=12345, customer_id=7))
    assert record["external_id"] == "12345"
    assert record["customer_id"] == "7"


def test_ingest_normalize_product_is_cut_to_200_characters() -> None:
    assert normalise(row(product="p" * 300))["product"] == "p" * 200


# --- rejections ------------------------------------------------------------------------------
@pytest.mark.parametrize("text", [None, "", "   ", " \t\n "])
def test_ingest_normalize_rejects_empty_or_whitespace_text(text: Any) -> None:
    rej = rejected(row(text=text))
    assert rej.code == p.EMPTY_TEXT
    assert rej.reason == "the text is empty"


def test_ingest_normalize_rejects_missing_text_key() -> None:
    assert rejected({"received_at": DATE}).code == p.EMPTY_TEXT


@pytest.mark.parametrize("text", ["<br><br>", "<p></p>", "<p> &nbsp; </p>", "<style>x{}</style>"])
def test_ingest_normalize_rejects_markup_only_text(text: str) -> None:
    rej = rejected(row(text=text))
    assert rej.code == p.EMPTY_TEXT
    assert rej.reason == "the text is empty once markup and spaces are removed"


def test_ingest_normalize_rejects_text_too_long_after_cleaning() -> None:
    rej = rejected(row(text="word " * 50))  # 249 characters once stripped; the limit is 200
    assert rej.code == p.TEXT_TOO_LONG
    assert rej.reason == (
        "the text has 249 characters; the limit is 200 (setting ingest.max_text_chars)"
    )


def test_ingest_normalize_rejects_huge_raw_text_before_cleaning() -> None:
    rej = rejected(row(text="<b>" * 300))  # 900 raw characters > 4 x 200
    assert rej.code == p.TEXT_TOO_LONG
    assert rej.reason.startswith("the text has 900 characters; the limit is 200")


def test_ingest_normalize_text_exactly_at_limit_is_accepted() -> None:
    text = "a" * 200
    assert normalise(row(text=text))["text_original"] == text


def test_ingest_normalize_markup_can_bring_text_under_the_limit() -> None:
    text = "<b>" + "a" * 190 + "</b>" * 5
    assert normalise(row(text=text))["text_original"] == "a" * 190


def test_ingest_normalize_rejects_nul_bytes() -> None:
    rej = rejected(row(text="broken\x00text in the middle"))
    assert rej.code == p.BINARY_CONTENT
    assert rej.reason == "the text contains NUL bytes (a corrupted export?)"


def test_ingest_normalize_rejects_binary_junk() -> None:
    junk = "".join(chr(c) for c in range(1, 9)) * 5 + "\ufffd\ufffd some words"
    rej = rejected(row(text=junk))
    assert rej.code == p.BINARY_CONTENT
    assert rej.reason == "the text looks like binary data, not words"


def test_ingest_normalize_a_few_replacement_characters_are_tolerated() -> None:
    text = "Caf\ufffd order was cold and late, again and again."
    assert normalise(row(text=text))["text_original"] == text


@pytest.mark.parametrize("text", ["12345 !!! 678", "---", "42", "£5.00 / $7"])
def test_ingest_normalize_rejects_text_without_letters(text: str) -> None:
    rej = rejected(row(text=text))
    assert rej.code == p.NO_WORDS
    assert rej.reason == "the text has no letters"


@pytest.mark.parametrize("value", [None, "", "   "])
def test_ingest_normalize_rejects_missing_date(value: Any) -> None:
    rej = rejected(row(received_at=value))
    assert rej.code == p.MISSING_DATE
    assert rej.reason == "'received_at' is empty; every complaint needs a date"


def test_ingest_normalize_rejects_row_without_date_when_no_default() -> None:
    rej = rejected({"text": "My parcel arrived late."}, default=None)
    assert rej.code == p.MISSING_DATE


@pytest.mark.parametrize("value", ["not a date", "31/31/2026", "2026-02-30"])
def test_ingest_normalize_rejects_invalid_date(value: str) -> None:
    rej = rejected(row(received_at=value))
    assert rej.code == p.INVALID_DATE
    assert rej.reason.startswith("'received_at': ")


def test_ingest_normalize_rejects_date_before_earliest() -> None:
    rej = rejected(row(received_at="1989-12-31T23:59:59Z"))
    assert rej.code == p.IMPLAUSIBLE_DATE
    assert rej.reason == "'received_at' 1989-12-31 is outside 1990-01-01..2026-11-27"


def test_ingest_normalize_rejects_date_after_latest() -> None:
    rej = rejected(row(received_at="2026-11-27T12:00:01Z"))
    assert rej.code == p.IMPLAUSIBLE_DATE
    assert rej.reason == "'received_at' 2026-11-27 is outside 1990-01-01..2026-11-27"


def test_ingest_normalize_dates_at_both_bounds_are_accepted() -> None:
    assert normalise(row(received_at="1990-01-01T00:00:00Z"))["week"] == "1990-W01"
    assert normalise(row(received_at="2026-11-27T12:00:00Z"))["received_at"] == LATEST


def test_ingest_normalize_plausible_range() -> None:
    assert plausible_range(2000, 3, NOW) == (
        datetime(2000, 1, 1, tzinfo=UTC),
        NOW + timedelta(days=3),
    )


@pytest.mark.parametrize("key", ["id", "customer_id", "order_id", "agent_id"])
def test_ingest_normalize_rejects_id_longer_than_200(key: str) -> None:
    rej = rejected(row(**{key: "x" * 201}))
    assert rej.code == p.INVALID_FIELD
    assert rej.reason == f"'{key}' is longer than 200 characters"


def test_ingest_normalize_id_of_200_characters_is_accepted() -> None:
    assert normalise(row(id="x" * 200))["external_id"] == "x" * 200


def test_ingest_normalize_rejects_nul_in_id_field() -> None:
    rej = rejected(row(customer_id="C\x001"))
    assert rej.code == p.BINARY_CONTENT
    assert rej.reason == "'customer_id' contains NUL bytes"


# --- default date ----------------------------------------------------------------------------
def test_ingest_normalize_default_date_used_when_row_has_no_date_key() -> None:
    default = datetime(2026, 11, 20, 8, tzinfo=UTC)
    record = normalise({"text": "My parcel arrived late."}, default=default)
    assert record["received_at"] == default
    assert record["week"] == "2026-W47"


def test_ingest_normalize_default_date_not_used_when_row_has_a_date() -> None:
    default = datetime(2026, 11, 20, 8, tzinfo=UTC)
    record = normalise(row(received_at="2026-11-10T08:00:00Z"), default=default)
    assert record["received_at"] == datetime(2026, 11, 10, 8, tzinfo=UTC)
    assert record["week"] == "2026-W46"


def test_ingest_normalize_default_date_not_used_when_row_date_is_empty() -> None:
    default = datetime(2026, 11, 20, 8, tzinfo=UTC)
    assert rejected(row(received_at=""), default=default).code == p.MISSING_DATE
    assert rejected(row(received_at=None), default=default).code == p.MISSING_DATE


# --- optional dates --------------------------------------------------------------------------
@pytest.mark.parametrize("key", ["first_response_at", "resolved_at"])
def test_ingest_normalize_bad_optional_date_becomes_none_with_warning(key: str) -> None:
    warnings: list[str] = []
    record = normalise(row(**{key: "soon-ish"}), warnings=warnings)
    assert record[key] is None
    assert len(warnings) == 1
    assert warnings[0].startswith(f"'{key}' ignored: 'soon-ish' is not a date")


def test_ingest_normalize_optional_date_is_parsed_to_utc() -> None:
    record = normalise(row(resolved_at="11/19/2026 3:00 PM"))
    assert record["resolved_at"] == datetime(2026, 11, 19, 15, tzinfo=UTC)


# --- channels --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("email", "email"),
        ("Mail", "email"),
        ("Twitter", "social"),
        ("X", "social"),
        ("Facebook", "social"),
        ("Phone Call", "phone"),
        ("telephone", "phone"),
        ("Live Chat", "chat"),
        ("live-chat", "chat"),
        ("WebChat", "chat"),
        ("Web Form", "web_form"),
        ("web", "web_form"),
        ("App Review", "review"),
        ("Survey", "survey"),
        ("  In Store  ", "in_store"),
    ],
)
def test_ingest_normalize_channel_aliases(raw: str, expected: str) -> None:
    assert normalise_channel(raw) == expected
    assert normalise(row(channel=raw))["channel"] == expected


@pytest.mark.parametrize("raw", ["E-mail", "e-mail", "E-Mail"])
def test_ingest_normalize_channel_e_mail_alias(raw: str) -> None:
    assert normalise_channel(raw) == "email"


def test_ingest_normalize_channel_none_and_length_limit() -> None:
    assert normalise_channel(None) is None
    assert normalise(row(channel="   "))["channel"] is None
    assert normalise_channel("c" * 60) == "c" * 40


# --- redaction -------------------------------------------------------------------------------
def test_ingest_normalize_redacts_text_redacted_but_not_text_original() -> None:
    text = f"Please refund card {CARD} and mail ana@example.com"
    record = normalise(row(text=text))
    assert record["text_original"] == text
    assert record["text_redacted"] == "Please refund card [CARD] and mail [EMAIL]"
    assert "4111" not in record["text_redacted"]
    assert record["text_hash"] == text_fingerprint(text)  # the hash is of the original
    # ... and the themes' digest of the redacted text: two cards, one theme document
    assert record["text_digest"] == text_digest("Please refund card [CARD] and mail [EMAIL]")
    other = normalise(row(text=text.replace(CARD, "5555 5555 5555 4444")))
    assert other["text_digest"] == record["text_digest"]
    assert other["text_hash"] != record["text_hash"]


def test_ingest_normalize_redaction_policy_masks_order_numbers_only_when_asked() -> None:
    text = "My order number AB12345 never arrived"
    assert normalise(row(text=text))["text_redacted"] == text
    masking = RowRules(
        max_text_chars=200,
        earliest=EARLIEST,
        latest=LATEST,
        redaction=RedactionPolicy(mask_order_numbers=True),
    )
    redacted = normalise(row(text=text), rules=masking)["text_redacted"]
    assert "AB12345" not in redacted
    assert "[ORDER]" in redacted


def test_ingest_normalize_angle_bracket_names_are_not_markup() -> None:
    assert clean_text("Hi <John Smith> wrote: <p>late</p>") == "Hi <John Smith> wrote: late"
