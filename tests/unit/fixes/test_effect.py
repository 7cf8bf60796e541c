"""rootcause.fixes.effect on constructed weekly series: no database, exact expectations."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from rootcause.fixes.criterion import DEFAULT_CRITERION, parse_criterion
from rootcause.fixes.effect import (
    MIN_WEEKS_AFTER,
    RECURRENCE_RULE,
    TOO_EARLY_RULE,
    VERDICT_RULES,
    Method,
    Verdict,
    WeekPoint,
    assess_effect,
    check_recurrence,
)
from rootcause.period import IsoWeek, latest_complete_week

FIRST = IsoWeek.parse("2026-W30")


def series(before: list[int], after: list[int], exposure: float = 1000.0):
    """Weekly points: `before`, then the ship week (its count is ignored), then `after`.
    Returns (points, ship week, last week)."""
    counts = [*before, 999, *after]  # a ship week that would wreck any estimate if it were used
    points = [WeekPoint(FIRST.shift(i), n, exposure) for i, n in enumerate(counts)]
    ship = FIRST.shift(len(before))
    return points, ship, FIRST.shift(len(counts) - 1)


def judge(before, after, criterion=DEFAULT_CRITERION, exposure=1000.0):
    points, ship, today = series(before, after, exposure)
    return assess_effect(points, ship_week=ship, criterion=criterion, today=today)


BEFORE = [30, 28, 33, 29, 31, 27, 32]


def test_effect_clear_drop_is_effective_by_poisson_rate_ratio():
    e = judge(BEFORE, [10, 12, 9, 11])
    assert e.verdict is Verdict.effective
    assert e.method is Method.poisson_rate_ratio
    assert (e.weeks_before, e.weeks_after) == (7, 4)
    assert (e.count_before, e.count_after) == (210, 42)
    assert e.rate_before == pytest.approx(0.030)
    assert e.rate_after == pytest.approx(0.0105)
    assert e.ratio == pytest.approx(0.35)
    assert e.ratio_ci is not None and e.ratio_ci[1] < 0.5
    assert e.p_value is not None and e.p_value < 1e-6
    assert e.expected_after == pytest.approx(120.0)
    assert e.explanation.startswith("The rate of linked complaints changed by -65% after the fix")
    assert "3 before, 1.05 after per 100 complaints" in e.explanation
    assert e.explanation.endswith("meeting the target (rate down 30% within 4 weeks).")


def test_effect_flat_series_is_not_effective():
    e = judge(BEFORE, [31, 29, 30, 32])
    assert e.verdict is Verdict.not_effective
    assert e.method is Method.poisson_rate_ratio
    assert e.ratio == pytest.approx((122 / 4) / (210 / 7))
    assert e.p_value is not None and e.p_value > 0.5
    assert "short of the target" in e.explanation


@pytest.mark.parametrize("after", [[], [5]])
def test_effect_fewer_than_two_full_weeks_after_shipping_is_too_early(after):
    e = judge(BEFORE, after)
    assert e.verdict is Verdict.too_early
    assert e.method is Method.none and e.ratio is None and e.p_value is None
    assert e.weeks_after == len(after)
    assert f"a verdict needs at least {MIN_WEEKS_AFTER}" in e.explanation


def test_effect_two_weeks_after_shipping_by_the_calendar_is_too_early():
    """Shipped on a Wednesday; two weeks later only one full week has ended since."""
    shipped = datetime(2026, 10, 21, 9, tzinfo=UTC)
    today = latest_complete_week(shipped + timedelta(days=14), shipped + timedelta(days=14))
    ship = IsoWeek.of(shipped)
    points = [WeekPoint(ship.shift(i), 20 if i < 0 else 2, 500.0) for i in range(-7, 3)]
    e = assess_effect(points, ship_week=ship, criterion=DEFAULT_CRITERION, today=today)
    assert today == ship.shift(1)
    assert e.verdict is Verdict.too_early and e.weeks_after == 1


def test_effect_too_early_rule_is_stated():
    assert "fewer than 2 full ISO weeks" in TOO_EARLY_RULE
    assert TOO_EARLY_RULE in VERDICT_RULES
    assert "p < 0.05" in VERDICT_RULES and "p < 0.05" in RECURRENCE_RULE


def test_effect_small_counts_are_inconclusive():
    e = judge([2, 0, 3, 1, 2, 0, 1], [1, 0, 2, 0], exposure=100.0)
    assert e.verdict is Verdict.inconclusive
    assert e.expected_after == pytest.approx(9 / 700 * 400)
    assert e.explanation.startswith("Too few linked complaints to judge")


def test_effect_noisy_counts_with_a_wide_interval_are_inconclusive():
    e = judge([5, 3, 6, 4, 5, 2, 4], [3, 2, 4, 1], exposure=100.0)
    assert e.expected_after is not None and e.expected_after >= 10
    assert e.ratio is not None and e.ratio < 0.7  # looks like it met the target ...
    assert e.p_value is not None and e.p_value >= 0.05  # ... but it could be chance
    assert e.verdict is Verdict.inconclusive
    assert "too uncertain to tell" in e.explanation


def test_effect_significant_drop_short_of_the_criterion_is_not_effective():
    before, after = [500] * 7, [400] * 4  # a 20% drop, significant on these counts
    strict = judge(before, after, parse_criterion("50% within 4 weeks"), exposure=10_000)
    assert strict.p_value is not None and strict.p_value < 1e-6
    assert strict.ratio == pytest.approx(0.8)
    assert strict.verdict is Verdict.not_effective
    loose = judge(before, after, parse_criterion("15% within 4 weeks"), exposure=10_000)
    assert loose.verdict is Verdict.effective


def test_effect_a_shortfall_before_the_horizon_is_too_early_but_success_is_not():
    criterion = parse_criterion("50% within 6 weeks")
    partial = judge(BEFORE, [25, 24, 26], criterion)
    assert partial.verdict is Verdict.too_early
    assert "the criterion allows 6 weeks and 3 have passed" in partial.explanation
    early_win = judge(BEFORE, [5, 4, 6], criterion)
    assert early_win.verdict is Verdict.effective


# Hand-made noise, so the regression has residuals and the test stays deterministic.
LONG_BEFORE = [98, 103, 101, 97, 104, 99, 102, 100]


def test_effect_segmented_regression_with_six_weeks_each_side_finds_the_drop():
    e = judge(LONG_BEFORE, [41, 38, 42, 39, 40, 43, 37, 41])
    assert e.method is Method.segmented_regression
    assert e.verdict is Verdict.effective
    assert e.ratio == pytest.approx(0.40, abs=0.05)
    assert e.level_change is not None and e.level_change == pytest.approx(-0.06, abs=0.01)
    assert e.level_change_ci is not None and e.level_change_ci[1] < 0
    assert e.slope_change is not None and e.slope_change_ci is not None
    assert e.slope_change_ci[0] < 0 < e.slope_change_ci[1]  # no change of trend
    assert "against its pre-ship trend" in e.explanation


def test_effect_segmented_regression_flat_series_is_not_effective():
    e = judge(LONG_BEFORE, [99, 102, 97, 103, 100, 98, 101, 104])
    assert e.method is Method.segmented_regression
    assert e.verdict is Verdict.not_effective
    assert e.level_change_ci is not None and e.level_change_ci[0] < 0 < e.level_change_ci[1]


def test_effect_segmented_regression_judges_against_the_pre_ship_trend():
    """A rate already falling 4 a week keeps falling at that pace: not the fix's doing."""
    before = [130 - 4 * i + (1 if i % 2 else -1) for i in range(8)]
    after = [130 - 4 * (i + 9) + (1 if i % 2 else -1) for i in range(8)]
    e = judge(before, after)
    assert e.method is Method.segmented_regression
    assert e.rate_after is not None and e.rate_before is not None
    assert e.rate_after < 0.7 * e.rate_before  # a naive before/after: "down 30%, it worked" ...
    assert e.ratio == pytest.approx(1.0, abs=0.05)  # ... the trend says nothing changed
    assert e.verdict is Verdict.not_effective


def test_effect_five_weeks_on_a_side_uses_the_rate_ratio():
    assert judge(LONG_BEFORE, [41, 38, 42, 39, 40]).method is Method.poisson_rate_ratio
    assert judge(LONG_BEFORE[:5], [41] * 8).method is Method.poisson_rate_ratio


def test_effect_weeks_without_data_are_left_out():
    points, ship, today = series(BEFORE, [10, 12, 9, 11])
    gappy = [*points[:3], WeekPoint(FIRST.shift(3), 0, 0.0), *points[4:]]
    e = assess_effect(gappy, ship_week=ship, criterion=DEFAULT_CRITERION, today=today)
    assert e.weeks_before == 6 and e.count_before == 210 - BEFORE[3]


def test_effect_as_dict_is_plain_data():
    data = judge(BEFORE, [10, 12, 9, 11]).as_dict()
    assert data["verdict"] == "effective" and data["method"] == "poisson_rate_ratio"
    assert data["criterion"] == {"reduction": 0.3, "horizon_weeks": 4,
                                 "text": "rate down 30% within 4 weeks"}  # fmt: skip
    assert data["change"] == pytest.approx(-0.65)


def recurrence_series(recent: list[int]):
    counts = [30] * 6 + [99] + [10, 11, 9, 10] + recent  # ship week, then 4 settled weeks
    points = [WeekPoint(FIRST.shift(i), n, 1000.0) for i, n in enumerate(counts)]
    ship = FIRST.shift(6)
    return points, ship, ship.shift(4), FIRST.shift(len(counts) - 1)


def test_effect_recurrence_after_verification_is_detected():
    points, ship, verified, today = recurrence_series([26, 29, 27])
    found = check_recurrence(points, ship_week=ship, verified_week=verified, today=today)
    assert found.recurred
    assert found.rate_before == pytest.approx(0.030)
    assert found.rate_settled == pytest.approx(0.010)
    assert found.rate_recent == pytest.approx(0.0273, abs=1e-4)
    assert found.back_share is not None and found.back_share > 0.8
    assert found.p_value is not None and found.p_value < 0.001
    assert found.explanation.startswith("Linked complaints came back: 2.73 per 100")


def test_effect_no_recurrence_while_the_rate_stays_down_or_too_soon():
    points, ship, verified, today = recurrence_series([11, 9, 12])
    assert not check_recurrence(
        points, ship_week=ship, verified_week=verified, today=today
    ).recurred
    points, ship, verified, today = recurrence_series([29])
    early = check_recurrence(points, ship_week=ship, verified_week=verified, today=today)
    assert not early.recurred and early.explanation.startswith("Fewer than 2 full weeks")
    # Up, and significantly, but not half-way back to where it was: not a recurrence.
    points, ship, verified, today = recurrence_series([16, 17, 16, 15])
    partial = check_recurrence(points, ship_week=ship, verified_week=verified, today=today)
    assert partial.p_value is not None and partial.p_value < 0.05
    assert not partial.recurred
