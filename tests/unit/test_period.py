"""Unit tests for rootcause.period (ISO weeks and the default report week)."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from rootcause.period import IsoWeek, latest_complete_week


# --- parse -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-W47", IsoWeek(2026, 47)),
        ("2026W47", IsoWeek(2026, 47)),
        ("2026-w47", IsoWeek(2026, 47)),
        ("  2026-W47  ", IsoWeek(2026, 47)),
        ("2026-W1", IsoWeek(2026, 1)),
        ("2026-W01", IsoWeek(2026, 1)),
        ("2026-W53", IsoWeek(2026, 53)),
        ("2020-W53", IsoWeek(2020, 53)),
    ],
)
def test_period_parse_accepts_iso_week_forms(text: str, expected: IsoWeek) -> None:
    assert IsoWeek.parse(text) == expected


@pytest.mark.parametrize(
    "text", ["", "2026-47", "26-W47", "2026-W", "2026-W470", "W47-2026", "2026-11-23", "2026 W47"]
)
def test_period_parse_rejects_malformed_text_with_expected_form(text: str) -> None:
    with pytest.raises(ValueError) as info:
        IsoWeek.parse(text)
    assert str(info.value) == (f"{text!r} is not an ISO week; expected YYYY-Www, e.g. 2026-W47")


@pytest.mark.parametrize(
    ("text", "year", "week"),
    [("2025-W53", 2025, 53), ("2026-W54", 2026, 54), ("2026-W00", 2026, 0), ("2026-W99", 2026, 99)],
)
def test_period_parse_rejects_week_the_year_does_not_have(text: str, year: int, week: int) -> None:
    with pytest.raises(ValueError) as info:
        IsoWeek.parse(text)
    assert str(info.value) == f"{text!r} is not an ISO week: {year} has no week {week}"


def test_period_str_round_trips_through_parse() -> None:
    week = IsoWeek(2026, 3)
    assert str(week) == "2026-W03"
    assert IsoWeek.parse(str(week)) == week


# --- of --------------------------------------------------------------------------------------
def test_period_of_date_uses_iso_year_not_calendar_year() -> None:
    assert IsoWeek.of(date(2026, 11, 23)) == IsoWeek(2026, 48)
    # 1 January 2027 is a Friday: it still belongs to 2026's week 53.
    assert IsoWeek.of(date(2027, 1, 1)) == IsoWeek(2026, 53)
    # 29 December 2025 is a Monday: it opens 2026's week 1.
    assert IsoWeek.of(date(2025, 12, 29)) == IsoWeek(2026, 1)


def test_period_of_aware_datetime_is_converted_to_utc_first() -> None:
    # Monday 00:30 in UTC+2 is still Sunday in UTC, i.e. the week before.
    plus_two = timezone(timedelta(hours=2))
    assert IsoWeek.of(datetime(2026, 11, 23, 0, 30, tzinfo=plus_two)) == IsoWeek(2026, 47)
    # Sunday 23:30 in UTC-2 is already Monday in UTC.
    minus_two = timezone(timedelta(hours=-2))
    assert IsoWeek.of(datetime(2026, 11, 22, 23, 30, tzinfo=minus_two)) == IsoWeek(2026, 48)


def test_period_of_naive_datetime_is_taken_as_is() -> None:
    assert IsoWeek.of(datetime(2026, 11, 22, 23, 59, 59)) == IsoWeek(2026, 47)
    assert IsoWeek.of(datetime(2026, 11, 23, 0, 0)) == IsoWeek(2026, 48)


# --- boundaries ------------------------------------------------------------------------------
def test_period_monday_sunday_start_end() -> None:
    week = IsoWeek(2026, 47)
    assert week.monday == date(2026, 11, 16)
    assert week.monday.isoweekday() == 1
    assert week.sunday == date(2026, 11, 22)
    assert week.sunday.isoweekday() == 7
    assert week.start == datetime(2026, 11, 16, tzinfo=UTC)
    assert week.end == datetime(2026, 11, 23, tzinfo=UTC)
    assert week.start.tzinfo is UTC
    assert week.end - week.start == timedelta(days=7)


def test_period_end_is_exclusive_and_next_week_start() -> None:
    week = IsoWeek(2026, 47)
    assert week.end == week.shift(1).start
    assert IsoWeek.of(week.end) == IsoWeek(2026, 48)
    assert IsoWeek.of(week.end - timedelta(microseconds=1)) == week


def test_period_week_one_monday_can_be_in_previous_calendar_year() -> None:
    assert IsoWeek(2026, 1).monday == date(2025, 12, 29)
    assert IsoWeek(2026, 53).sunday == date(2027, 1, 3)


def test_period_weeks_order_chronologically() -> None:
    assert IsoWeek(2025, 52) < IsoWeek(2026, 1) < IsoWeek(2026, 2) < IsoWeek(2026, 10)
    assert sorted([IsoWeek(2026, 10), IsoWeek(2025, 53), IsoWeek(2026, 2)]) == [
        IsoWeek(2025, 53),
        IsoWeek(2026, 2),
        IsoWeek(2026, 10),
    ]


# --- shift -----------------------------------------------------------------------------------
def test_period_shift_within_a_year() -> None:
    assert IsoWeek(2026, 47).shift(1) == IsoWeek(2026, 48)
    assert IsoWeek(2026, 47).shift(-1) == IsoWeek(2026, 46)
    assert IsoWeek(2026, 47).shift(0) == IsoWeek(2026, 47)


def test_period_shift_across_53_week_year_boundary() -> None:
    # 2026 has 53 ISO weeks: W52 -> W53 -> 2027-W01.
    assert IsoWeek(2026, 52).shift(1) == IsoWeek(2026, 53)
    assert IsoWeek(2026, 53).shift(1) == IsoWeek(2027, 1)
    assert IsoWeek(2027, 1).shift(-1) == IsoWeek(2026, 53)
    assert IsoWeek(2027, 1).shift(-2) == IsoWeek(2026, 52)


def test_period_shift_across_52_week_year_boundary() -> None:
    # 2025 has 52 ISO weeks: W52 is followed directly by 2026-W01.
    assert IsoWeek(2025, 52).shift(1) == IsoWeek(2026, 1)
    assert IsoWeek(2026, 1).shift(-1) == IsoWeek(2025, 52)


def test_period_shift_many_weeks_round_trips() -> None:
    week = IsoWeek(2026, 47)
    assert week.shift(-104).shift(104) == week
    assert week.shift(53) == IsoWeek(2027, 47)  # 2026 has 53 weeks


# --- window ----------------------------------------------------------------------------------
def test_period_window_is_oldest_first_and_ends_with_self() -> None:
    window = IsoWeek(2027, 2).window(4)
    assert window == [IsoWeek(2026, 52), IsoWeek(2026, 53), IsoWeek(2027, 1), IsoWeek(2027, 2)]
    assert window == sorted(window)


def test_period_window_of_one_is_just_the_week() -> None:
    assert IsoWeek(2026, 47).window(1) == [IsoWeek(2026, 47)]


def test_period_window_has_no_gaps_or_repeats() -> None:
    window = IsoWeek(2026, 10).window(12)
    assert len(window) == 12
    assert len(set(window)) == 12
    for older, newer in itertools.pairwise(window):
        assert older.shift(1) == newer


# --- latest_complete_week --------------------------------------------------------------------
W47 = IsoWeek(2026, 47)  # Monday 2026-11-16 .. Sunday 2026-11-22


def test_period_latest_complete_week_mid_week_data_gives_week_before() -> None:
    last_seen = datetime(2026, 11, 18, 12, tzinfo=UTC)  # Wednesday of W47
    now = datetime(2026, 11, 19, 9, tzinfo=UTC)  # Thursday of W47
    assert latest_complete_week(last_seen, now) == IsoWeek(2026, 46)


def test_period_latest_complete_week_once_the_data_week_has_ended() -> None:
    last_seen = datetime(2026, 11, 18, 12, tzinfo=UTC)  # Wednesday of W47
    now = datetime(2026, 11, 25, tzinfo=UTC)  # the following Wednesday
    assert latest_complete_week(last_seen, now) == W47


def test_period_latest_complete_week_when_now_is_exactly_week_end() -> None:
    last_seen = W47.end - timedelta(seconds=1)  # Sunday 23:59:59
    assert latest_complete_week(last_seen, W47.end) == W47
    # One microsecond earlier the week is still under way.
    assert latest_complete_week(last_seen, W47.end - timedelta(microseconds=1)) == IsoWeek(2026, 46)


def test_period_latest_complete_week_data_exactly_at_week_end_starts_next_week() -> None:
    # A complaint at Monday 00:00 belongs to the new week, which has not ended yet.
    last_seen = W47.end
    now = W47.end + timedelta(hours=1)
    assert latest_complete_week(last_seen, now) == W47


def test_period_latest_complete_week_ignores_future_data() -> None:
    now = datetime(2026, 11, 19, 9, tzinfo=UTC)  # Thursday of W47
    last_seen = datetime(2027, 3, 1, tzinfo=UTC)  # a clock or export error
    assert latest_complete_week(last_seen, now) == IsoWeek(2026, 46)


def test_period_latest_complete_week_old_data_gives_the_data_week() -> None:
    last_seen = datetime(2026, 10, 7, tzinfo=UTC)  # W41
    now = datetime(2026, 11, 19, tzinfo=UTC)
    assert latest_complete_week(last_seen, now) == IsoWeek(2026, 41)


def test_period_latest_complete_week_across_new_year() -> None:
    last_seen = datetime(2027, 1, 2, 10, tzinfo=UTC)  # Saturday of 2026-W53
    now = datetime(2027, 1, 5, tzinfo=UTC)  # Tuesday of 2027-W01
    assert latest_complete_week(last_seen, now) == IsoWeek(2026, 53)
    assert latest_complete_week(now, now) == IsoWeek(2026, 53)
