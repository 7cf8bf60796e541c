"""Unit tests for rootcause.ingest.dates.parse_datetime: every accepted form, into aware UTC."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from rootcause.ingest.dates import parse_datetime

FORMS_MESSAGE = "is not a date in a form rootcause reads"


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def assert_utc(value: datetime, expected: datetime) -> None:
    assert value == expected
    assert value.tzinfo is UTC
    assert value.utcoffset() is not None and value.utcoffset().total_seconds() == 0


# --- ISO 8601 --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-23T10:15:30Z", utc(2026, 11, 23, 10, 15, 30)),
        ("2026-11-23T10:15:30.250Z", utc(2026, 11, 23, 10, 15, 30, 250_000)),
        ("2026-11-23T10:15:30+02:00", utc(2026, 11, 23, 8, 15, 30)),
        ("2026-11-23T23:30:00-05:00", utc(2026, 11, 24, 4, 30)),
        ("2026-11-23T10:15:30", utc(2026, 11, 23, 10, 15, 30)),
        ("2026-11-23 10:15:30", utc(2026, 11, 23, 10, 15, 30)),
        ("2026-11-23 10:15:30 UTC", utc(2026, 11, 23, 10, 15, 30)),
        ("2026-11-23", utc(2026, 11, 23)),
        ("  2026-11-23T10:15:30Z  ", utc(2026, 11, 23, 10, 15, 30)),
    ],
)
def test_ingest_dates_iso_forms(text: str, expected: datetime) -> None:
    assert_utc(parse_datetime(text), expected)


def test_ingest_dates_offset_crossing_midnight_changes_the_day() -> None:
    assert_utc(parse_datetime("2027-01-01T01:00:00+03:00"), utc(2026, 12, 31, 22))


# --- epoch numbers ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1795435200", utc(2026, 11, 23, 12)),  # seconds
        ("1795435200.5", utc(2026, 11, 23, 12, 0, 0, 500_000)),
        ("1795435200000", utc(2026, 11, 23, 12)),  # milliseconds
        ("1795435200123", utc(2026, 11, 23, 12, 0, 0, 123_000)),
        ("1795435200000000", utc(2026, 11, 23, 12)),  # microseconds
        ("1795435200123456", utc(2026, 11, 23, 12, 0, 0, 123_456)),
    ],
)
def test_ingest_dates_epoch_seconds_milliseconds_microseconds(
    text: str, expected: datetime
) -> None:
    assert_utc(parse_datetime(text), expected)


# --- US MM/DD/YYYY ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("11/23/2026", utc(2026, 11, 23)),
        ("1/2/2026", utc(2026, 1, 2)),
        ("11/23/2026 14:05", utc(2026, 11, 23, 14, 5)),
        ("11/23/2026 14:05:09", utc(2026, 11, 23, 14, 5, 9)),
        ("11/23/2026T14:05", utc(2026, 11, 23, 14, 5)),
        ("11/23/2026 2:05 PM", utc(2026, 11, 23, 14, 5)),
        ("11/23/2026 2:05PM", utc(2026, 11, 23, 14, 5)),
        ("11/23/2026 2:05:09 pm", utc(2026, 11, 23, 14, 5, 9)),
        ("11/23/2026 9:30 AM", utc(2026, 11, 23, 9, 30)),
        ("11/23/2026 12:00 AM", utc(2026, 11, 23, 0, 0)),  # midnight
        ("11/23/2026 12:30 am", utc(2026, 11, 23, 0, 30)),
        ("11/23/2026 12:00 PM", utc(2026, 11, 23, 12, 0)),  # noon
        ("11/23/2026 12:45 pm", utc(2026, 11, 23, 12, 45)),
    ],
)
def test_ingest_dates_us_forms(text: str, expected: datetime) -> None:
    assert_utc(parse_datetime(text), expected)


@pytest.mark.parametrize("text", ["11/23/2026 13:00 PM", "11/23/2026 0:30 AM"])
def test_ingest_dates_us_hour_out_of_range_with_am_pm(text: str) -> None:
    with pytest.raises(ValueError, match="with AM/PM"):
        parse_datetime(text)


@pytest.mark.parametrize("text", ["31/31/2026", "23/11/2026", "02/30/2026", "11/23/2026 25:00"])
def test_ingest_dates_us_impossible_dates_are_rejected(text: str) -> None:
    with pytest.raises(ValueError):
        parse_datetime(text)


# --- RFC 2822 --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Mon, 23 Nov 2026 10:00:00 +0100", utc(2026, 11, 23, 9)),
        ("Mon, 23 Nov 2026 10:00:00 GMT", utc(2026, 11, 23, 10)),
        ("23 Nov 2026 10:00:00 -0500", utc(2026, 11, 23, 15)),
        ("Mon, 23 Nov 2026 10:00:00 -0000", utc(2026, 11, 23, 10)),  # "zone unknown"
    ],
)
def test_ingest_dates_rfc_2822(text: str, expected: datetime) -> None:
    assert_utc(parse_datetime(text), expected)


# --- rejects ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "text",
    [
        "hello",
        "not a date at all",
        "1/2/3",
        "2026-13-01",
        "20261123",
        "yesterday",
        "--",
        "0",
        "12345678",
    ],
)
def test_ingest_dates_rejects_garbage_naming_accepted_forms(text: str) -> None:
    with pytest.raises(ValueError) as info:
        parse_datetime(text)
    message = str(info.value)
    assert message.startswith(repr(text))
    assert FORMS_MESSAGE in message
    assert "ISO 8601" in message and "RFC 2822" in message and "MM/DD/YYYY" in message


def test_ingest_dates_rejection_message_quotes_at_most_40_characters() -> None:
    text = "x" * 100
    with pytest.raises(ValueError) as info:
        parse_datetime(text)
    assert str(info.value).startswith(repr("x" * 40) + " ")


@pytest.mark.parametrize("text", ["", "   ", "\t\n"])
def test_ingest_dates_rejects_empty(text: str) -> None:
    with pytest.raises(ValueError, match=r"^empty$"):
        parse_datetime(text)
