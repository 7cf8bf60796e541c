"""Is a theme new, growing, stable, fading or dormant this week? A stated statistical rule.

A theme is judged against its own baseline, not against other themes: 12 complaints a week is a
crisis for a theme that used to get 2 and a quiet week for one that gets 30. Weekly counts of a
steady theme are roughly Poisson, so the rule is a one-sided Poisson test of this week's count
against the mean of the weeks before it. A minimum count keeps 1 -> 3 from being called growth.
`status_rule()` gives the rule as a sentence for the report.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from rootcause.settings import ThemeSettings

# Baseline used when a theme had no complaints in its baseline weeks: the smallest mean a
# Poisson test can work with, so the first few complaints of a quiet theme can still register.
EMPTY_BASELINE = 0.5


class ThemeStatus(StrEnum):
    new = "new"
    growing = "growing"
    stable = "stable"
    fading = "fading"
    dormant = "dormant"


@dataclass(frozen=True)
class StatusVerdict:
    status: ThemeStatus
    count: int
    baseline: float  # mean weekly count over the baseline weeks
    p_growth: float  # P(X >= count | baseline), one-sided
    p_fade: float  # P(X <= count | baseline), one-sided


STATUS_RULE_TEMPLATE = (
    "A theme is new when its first complaint came in the last {new_weeks} weeks, and dormant "
    "when it has none this week. Otherwise this week's count is compared with the theme's own "
    "baseline, the mean of its {baseline_weeks} previous weeks, by a one-sided Poisson test: "
    "growing when the count is significantly higher (p < {alpha}) and at least {min_count}, "
    "fading when it is significantly lower (p < {alpha}), stable otherwise."
)


def status_rule(settings: ThemeSettings) -> str:
    """The status rule as one paragraph, with the configured numbers filled in."""
    return STATUS_RULE_TEMPLATE.format(
        new_weeks=settings.new_weeks,
        baseline_weeks=settings.baseline_weeks,
        alpha=f"{settings.growth_alpha:g}",
        min_count=settings.growth_min_count,
    )


def theme_status(
    weekly: Sequence[int], *, first_seen_index: int | None, settings: ThemeSettings
) -> StatusVerdict:
    """Status of a theme in the last week of `weekly` (counts per week, oldest first).

    `first_seen_index` is the position in `weekly` of the theme's first complaint (negative or
    None when that was before the series starts).
    """
    from scipy.stats import poisson

    if not weekly:
        raise ValueError("theme_status needs at least one week")
    count = int(weekly[-1])
    history = [int(n) for n in weekly[:-1]][-settings.baseline_weeks :]
    baseline = sum(history) / len(history) if history else 0.0
    mean = max(baseline, EMPTY_BASELINE)
    p_growth = float(poisson.sf(count - 1, mean))
    p_fade = float(poisson.cdf(count, mean))
    last = len(weekly) - 1
    if count == 0:
        status = ThemeStatus.dormant
    elif first_seen_index is not None and first_seen_index > last - settings.new_weeks:
        status = ThemeStatus.new
    elif p_growth < settings.growth_alpha and count >= settings.growth_min_count:
        status = ThemeStatus.growing
    elif p_fade < settings.growth_alpha:
        status = ThemeStatus.fading
    else:
        status = ThemeStatus.stable
    return StatusVerdict(status, count, baseline, p_growth, p_fade)
