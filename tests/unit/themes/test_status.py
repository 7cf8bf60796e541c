"""rootcause.themes.status: the growth rule on constructed weekly series."""

from __future__ import annotations

import pytest

from rootcause.settings import ThemeSettings
from rootcause.themes.status import ThemeStatus, status_rule, theme_status

SETTINGS = ThemeSettings()


def status(weekly: list[int], first: int | None = None) -> ThemeStatus:
    return theme_status(weekly, first_seen_index=first, settings=SETTINGS).status


def test_status_clear_jump_is_growing():
    verdict = theme_status([4, 5, 3, 4, 6, 4, 5, 4, 15], first_seen_index=None, settings=SETTINGS)
    assert verdict.status is ThemeStatus.growing
    assert verdict.baseline == pytest.approx(35 / 8)
    assert verdict.p_growth < 0.001


def test_status_flat_series_is_stable():
    assert status([10, 12, 9, 11, 10, 13, 9, 10, 11]) is ThemeStatus.stable


def test_status_zero_this_week_is_dormant():
    assert status([3, 4, 2, 5, 3, 0]) is ThemeStatus.dormant


def test_status_first_seen_in_the_last_two_weeks_is_new():
    assert status([0, 0, 0, 0, 0, 0, 0, 0, 6], first=8) is ThemeStatus.new
    assert status([0, 0, 0, 0, 0, 0, 0, 2, 6], first=7) is ThemeStatus.new
    assert status([0, 0, 0, 0, 0, 0, 1, 2, 6], first=6) is not ThemeStatus.new


def test_status_small_noisy_counts_are_not_growth():
    # 1 -> 3 is "significant" against a baseline of 0.6 but below the minimum count.
    assert status([1, 0, 1, 0, 1, 1, 0, 1, 3]) is ThemeStatus.stable
    assert status([2, 0, 3, 1, 0, 2, 1, 0, 4]) is ThemeStatus.stable


def test_status_clear_drop_is_fading():
    assert status([16, 15, 17, 14, 16, 15, 17, 16, 3]) is ThemeStatus.fading


def test_status_uses_only_the_configured_baseline_weeks():
    # Twelve weeks: the first three (high) are outside the eight-week baseline.
    weekly = [40, 40, 40, 5, 5, 5, 5, 5, 5, 5, 5, 6]
    verdict = theme_status(weekly, first_seen_index=None, settings=SETTINGS)
    assert verdict.baseline == 5.0
    assert verdict.status is ThemeStatus.stable


def test_status_rule_states_the_numbers():
    rule = status_rule(SETTINGS)
    assert "Poisson" in rule and "8 previous weeks" in rule and "p < 0.05" in rule
    assert "at least 5" in rule and "last 2 weeks" in rule
