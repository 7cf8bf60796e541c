"""Did a fix work? The weekly complaint rate before and after it shipped, judged against the
success criterion the owner declared up front. Pure: weekly numbers in, a verdict out.

The rate is a week's linked complaints (a theme's, a cause's) per unit of exposure (all
complaints that week, or orders when supplied), so a busy week does not look like a relapse.
The week the fix shipped is left out of both sides: it is part before, part after.

Two methods, chosen by how much data there is:

- segmented regression (interrupted time series) with at least 6 observed weeks on each side:
  rate ~ b0 + b1*t + b2*after + b3*(t - t_after)*after, by least squares with t-distribution
  95% CIs (no autocorrelation correction). b2 is the level change, b3 the slope change; the
  effect is the mean fitted rate after shipping against the pre-ship trend carried forward
  (the counterfactual), with a delta-method CI.
- otherwise a Poisson rate ratio: given the total count, the after-count is binomial with the
  after-share of exposure under "no change" (an exact conditional test, scipy's binomtest), and
  the Clopper-Pearson interval of that share converts to a CI for the rate ratio.

`VERDICT_RULES` states how the verdict follows from the figures; the report prints it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any

import numpy as np

from rootcause.fixes.criterion import Criterion
from rootcause.period import IsoWeek

ALPHA = 0.05
MIN_WEEKS_AFTER = 2
MIN_WEEKS_SEGMENTED = 6
MIN_EXPECTED_AFTER = 10.0
BEFORE_WEEKS = 12
RECURRENCE_WEEKS = 4
RECURRENCE_SHARE = 0.5

TOO_EARLY_RULE = (
    f"Too early: fewer than {MIN_WEEKS_AFTER} full ISO weeks of data after the week the fix "
    "shipped (that week itself is left out), or the criterion's horizon has not passed yet and "
    "the target is not met yet."
)
VERDICT_RULES = (
    "Effective: the rate fell significantly (p < 0.05) and by at least the declared drop. "
    f"Not effective: the rate fell by less than the declared drop (or rose), and the data are "
    "precise enough that a drop of the declared size would have been significant (the 95% CI, "
    "on the log scale, is no wider either side than the declared drop). Inconclusive: fewer than "
    f"{MIN_EXPECTED_AFTER:g} complaints were expected after shipping had nothing changed, or "
    f"the CI is wider than that. {TOO_EARLY_RULE} Segmented regression needs at least "
    f"{MIN_WEEKS_SEGMENTED} observed weeks on each side; otherwise a Poisson rate ratio is used."
)
RECURRENCE_RULE = (
    f"A verified fix is reopened when, over the latest {RECURRENCE_WEEKS} full weeks after the "
    f"week it was verified (at least {MIN_WEEKS_AFTER}), the rate is significantly higher than "
    "between shipping and verification (one-sided Poisson rate test, p < 0.05) and has climbed "
    f"back at least {RECURRENCE_SHARE:.0%} of the way to the rate before the fix shipped."
)


class Verdict(StrEnum):
    effective = "effective"
    not_effective = "not_effective"
    inconclusive = "inconclusive"
    too_early = "too_early"


class Method(StrEnum):
    segmented_regression = "segmented_regression"
    poisson_rate_ratio = "poisson_rate_ratio"
    none = "none"


@dataclass(frozen=True)
class WeekPoint:
    """One observed week: linked complaints and the exposure they are a share of."""

    week: IsoWeek
    count: int
    exposure: float


@dataclass(frozen=True)
class Effect:
    """A verdict and every figure behind it. Rates are per `per` units of `unit`; `ratio` is
    after / before (Poisson) or after / counterfactual (segmented regression)."""

    verdict: Verdict
    method: Method
    criterion: Criterion
    ship_week: str
    weeks_before: int
    weeks_after: int
    count_before: int
    count_after: int
    exposure_before: float
    exposure_after: float
    rate_before: float | None
    rate_after: float | None
    ratio: float | None
    ratio_ci: tuple[float, float] | None
    p_value: float | None
    expected_after: float | None
    explanation: str
    level_change: float | None = None
    level_change_ci: tuple[float, float] | None = None
    level_p: float | None = None
    slope_change: float | None = None
    slope_change_ci: tuple[float, float] | None = None
    slope_p: float | None = None
    unit: str = "complaints"
    per: int = 100

    @property
    def change(self) -> float | None:
        """Relative change of the rate (-0.4 is a 40% drop)."""
        return None if self.ratio is None else self.ratio - 1.0

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["verdict"] = self.verdict.value
        data["method"] = self.method.value
        data["criterion"] = self.criterion.as_dict()
        data["change"] = self.change
        return data


@dataclass(frozen=True)
class _Stats:
    method: Method
    ratio: float | None
    ci: tuple[float, float] | None
    p: float | None
    expected_after: float
    level: tuple[float, tuple[float, float], float] | None = None
    slope: tuple[float, tuple[float, float], float] | None = None


def _offset(week: IsoWeek, origin: IsoWeek) -> int:
    return (week.monday - origin.monday).days // 7


def _pooled(points: Sequence[WeekPoint]) -> tuple[int, float, float | None]:
    count = sum(p.count for p in points)
    exposure = float(sum(p.exposure for p in points))
    return count, exposure, (count / exposure if exposure > 0 else None)


def _split(
    points: Sequence[WeekPoint], ship_week: IsoWeek, today: IsoWeek, before_weeks: int
) -> tuple[list[WeekPoint], list[WeekPoint]]:
    first = ship_week.shift(-before_weeks)
    usable = sorted((p for p in points if p.exposure > 0), key=lambda p: p.week)
    before = [p for p in usable if first <= p.week < ship_week]
    after = [p for p in usable if ship_week < p.week <= today]
    return before, after


def _poisson(n1: int, e1: float, n2: int, e2: float) -> _Stats:
    from scipy.stats import binomtest

    expected = n1 / e1 * e2 if e1 > 0 else 0.0
    if n1 + n2 == 0:
        return _Stats(Method.poisson_rate_ratio, None, None, None, expected)
    share = e2 / (e1 + e2)
    test = binomtest(n2, n1 + n2, share)
    ci = test.proportion_ci(confidence_level=1 - ALPHA, method="exact")

    def ratio_of(p: float) -> float:
        return math.inf if p >= 1.0 else p / (1.0 - p) * e1 / e2

    ratio = math.inf if n1 == 0 else (n2 / e2) / (n1 / e1)
    return _Stats(
        Method.poisson_rate_ratio,
        ratio,
        (ratio_of(float(ci.low)), ratio_of(float(ci.high))),
        float(test.pvalue),
        expected,
    )


def _t_interval(estimate: float, se: float, dof: int) -> tuple[float, tuple[float, float], float]:
    from scipy.stats import t as student

    crit = float(student.ppf(1 - ALPHA / 2, dof))
    if se <= 0:
        p = 0.0 if estimate != 0 else 1.0
    else:
        p = float(2 * student.sf(abs(estimate / se), dof))
    return estimate, (estimate - crit * se, estimate + crit * se), p


def _segmented(
    before: Sequence[WeekPoint], after: Sequence[WeekPoint], ship_week: IsoWeek
) -> _Stats:
    """Interrupted time series by OLS; t counts weeks from the first pre-ship week."""
    points = [*before, *after]
    origin = points[0].week
    t0 = _offset(ship_week, origin) + 1  # the first week wholly after shipping
    t = np.array([_offset(p.week, origin) for p in points], dtype=float)
    y = np.array([p.count / p.exposure for p in points])
    post = (t >= t0).astype(float)
    x = np.column_stack([np.ones_like(t), t, post, (t - t0) * post])
    beta, *_ = np.linalg.lstsq(x, y, rcond=None)
    dof = len(points) - x.shape[1]
    resid = y - x @ beta
    sigma2 = float(resid @ resid) / dof
    cov = sigma2 * np.linalg.pinv(x.T @ x)

    def se(v: np.ndarray) -> float:
        return math.sqrt(max(float(v @ cov @ v), 0.0))

    e = np.eye(4)
    level = _t_interval(float(beta[2]), se(e[2]), dof)
    slope = _t_interval(float(beta[3]), se(e[3]), dof)
    t_after = t[post == 1]
    mean_t = float(t_after.mean())
    d = np.array([1.0, mean_t, 0.0, 0.0])  # counterfactual: the pre-ship line carried on
    c = np.array([0.0, 0.0, 1.0, mean_t - t0])  # what the fix added to it, on average
    counterfactual = float(d @ beta)
    shift = float(c @ beta)
    cf_rates = np.clip(beta[0] + beta[1] * t_after, 0.0, None)
    expected = float(cf_rates @ np.array([p.exposure for p in after]))
    _, _, p_value = _t_interval(shift, se(c), dof)
    if counterfactual <= 0:
        return _Stats(Method.segmented_regression, None, None, p_value, expected, level, slope)
    ratio = 1.0 + shift / counterfactual
    a = c + d
    grad = a / counterfactual - float(a @ beta) * d / counterfactual**2
    _, ci, _ = _t_interval(ratio, se(grad), dof)
    return _Stats(Method.segmented_regression, ratio, ci, p_value, expected, level, slope)


def _precise(ci: tuple[float, float] | None, criterion: Criterion) -> bool:
    """Would a drop of the declared size have been significant with this much noise?"""
    if ci is None or ci[0] <= 0 or not math.isfinite(ci[1]):
        return False
    return math.log(ci[1] / ci[0]) / 2 <= -math.log(criterion.target_ratio)


def _judge(stats: _Stats, criterion: Criterion, weeks_after: int) -> tuple[Verdict, str]:
    """The verdict and which rule decided it (a key for the explanation)."""
    if stats.expected_after < MIN_EXPECTED_AFTER or stats.ratio is None:
        verdict, why = Verdict.inconclusive, "few"
    elif stats.p is not None and stats.p < ALPHA and stats.ratio <= criterion.target_ratio:
        verdict, why = Verdict.effective, "met"
    elif stats.ratio > criterion.target_ratio and _precise(stats.ci, criterion):
        verdict, why = Verdict.not_effective, "short"
    else:
        verdict, why = Verdict.inconclusive, "wide"
    if verdict is not Verdict.effective and weeks_after < criterion.horizon_weeks:
        return Verdict.too_early, "horizon"
    return verdict, why


def _pct(ratio: float) -> str:
    return "n/a" if not math.isfinite(ratio) else f"{(ratio - 1) * 100:+.0f}%"


def _p(p: float | None) -> str:
    if p is None:
        return "no test"
    return "p < 0.001" if p < 0.001 else f"p = {p:.2g}"


def _rate(rate: float | None, per: int) -> str:
    return "n/a" if rate is None else f"{rate * per:.3g}"


def _explain(
    why: str,
    *,
    subject: str,
    ship_week: IsoWeek,
    criterion: Criterion,
    stats: _Stats,
    rates: tuple[float | None, float | None],
    weeks_after: int,
    unit: str,
    per: int,
) -> str:
    if why == "few":
        return (
            f"Too few {subject} to judge the fix shipped in {ship_week}: "
            f"{stats.expected_after:.1f} expected in the {weeks_after} weeks after had nothing "
            f"changed, and at least {MIN_EXPECTED_AFTER:g} are needed."
        )
    assert stats.ratio is not None
    ci = stats.ci or (math.nan, math.nan)
    against = "against its pre-ship trend " if stats.method is Method.segmented_regression else ""
    figures = (
        f"the rate of {subject} changed by {_pct(stats.ratio)} {against}after the fix shipped "
        f"in {ship_week} ({_rate(rates[0], per)} before, {_rate(rates[1], per)} after per "
        f"{per} {unit}; 95% CI {_pct(ci[0])} to {_pct(ci[1])}, {_p(stats.p)})"
    )
    target = f"the target ({criterion.text})"
    text = {
        "met": f"{figures}, meeting {target}.",
        "short": f"{figures}, short of {target}; a drop of that size would have shown.",
        "wide": f"{figures}: too uncertain to tell whether it met {target}.",
        "horizon": (
            f"{figures}, not yet {target}; the criterion allows {criterion.horizon_weeks} weeks "
            f"and {weeks_after} have passed."
        ),
    }[why]
    return text[0].upper() + text[1:]


def assess_effect(
    points: Sequence[WeekPoint],
    *,
    ship_week: IsoWeek,
    criterion: Criterion,
    today: IsoWeek,
    subject: str = "linked complaints",
    unit: str = "complaints",
    per: int = 100,
    before_weeks: int = BEFORE_WEEKS,
) -> Effect:
    """Judge a shipped fix from weekly counts and exposures (weeks with no exposure are left
    out as unobserved); `today` is the last complete week to use. See the module docstring."""
    before, after = _split(points, ship_week, today, before_weeks)
    n1, e1, rate_before = _pooled(before)
    n2, e2, rate_after = _pooled(after)
    base: dict[str, Any] = {
        "criterion": criterion,
        "ship_week": str(ship_week),
        "weeks_before": len(before),
        "weeks_after": len(after),
        "count_before": n1,
        "count_after": n2,
        "exposure_before": e1,
        "exposure_after": e2,
        "rate_before": rate_before,
        "rate_after": rate_after,
        "unit": unit,
        "per": per,
    }
    if len(after) < MIN_WEEKS_AFTER:
        weeks = "week" if len(after) == 1 else "weeks"
        return Effect(
            verdict=Verdict.too_early,
            method=Method.none,
            ratio=None,
            ratio_ci=None,
            p_value=None,
            expected_after=None,
            explanation=(
                f"Only {len(after)} full {weeks} of data since the fix shipped in {ship_week}; "
                f"a verdict needs at least {MIN_WEEKS_AFTER}."
            ),
            **base,
        )
    if len(before) >= MIN_WEEKS_SEGMENTED and len(after) >= MIN_WEEKS_SEGMENTED:
        stats = _segmented(before, after, ship_week)
    else:
        stats = _poisson(n1, e1, n2, e2)
    verdict, why = _judge(stats, criterion, len(after))
    explanation = _explain(
        why,
        subject=subject,
        ship_week=ship_week,
        criterion=criterion,
        stats=stats,
        rates=(rate_before, rate_after),
        weeks_after=len(after),
        unit=unit,
        per=per,
    )
    return Effect(
        verdict=verdict,
        method=stats.method,
        ratio=stats.ratio,
        ratio_ci=stats.ci,
        p_value=stats.p,
        expected_after=stats.expected_after,
        explanation=explanation,
        level_change=stats.level[0] if stats.level else None,
        level_change_ci=stats.level[1] if stats.level else None,
        level_p=stats.level[2] if stats.level else None,
        slope_change=stats.slope[0] if stats.slope else None,
        slope_change_ci=stats.slope[1] if stats.slope else None,
        slope_p=stats.slope[2] if stats.slope else None,
        **base,
    )


@dataclass(frozen=True)
class Recurrence:
    """Whether a verified fix's problem came back, with the rates that say so."""

    recurred: bool
    rate_before: float | None  # before the fix shipped
    rate_settled: float | None  # between shipping and verification
    rate_recent: float | None  # the latest weeks after verification
    weeks_recent: int
    p_value: float | None
    back_share: float | None  # share of the drop that came back
    explanation: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def check_recurrence(
    points: Sequence[WeekPoint],
    *,
    ship_week: IsoWeek,
    verified_week: IsoWeek,
    today: IsoWeek,
    subject: str = "linked complaints",
    per: int = 100,
    before_weeks: int = BEFORE_WEEKS,
) -> Recurrence:
    """Has the rate risen significantly back toward its pre-ship level since verification?
    (`RECURRENCE_RULE`.) The caller reopens the fix when `recurred` is true."""
    from scipy.stats import binomtest

    before, after = _split(points, ship_week, today, before_weeks)
    settled = [p for p in after if p.week <= verified_week]
    recent = [p for p in after if p.week > verified_week][-RECURRENCE_WEEKS:]
    _, _, rate_before = _pooled(before)
    n_s, e_s, rate_settled = _pooled(settled)
    n_r, e_r, rate_recent = _pooled(recent)

    def result(recurred: bool, p: float | None, share: float | None, text: str) -> Recurrence:
        return Recurrence(
            recurred, rate_before, rate_settled, rate_recent, len(recent), p, share, text
        )

    if not settled or rate_before is None or rate_settled is None:
        return result(False, None, None, "No weeks between shipping and verification to compare.")
    if len(recent) < MIN_WEEKS_AFTER:
        return result(
            False, None, None, f"Fewer than {MIN_WEEKS_AFTER} full weeks since verification."
        )
    assert rate_recent is not None
    p = float(binomtest(n_r, n_r + n_s, e_r / (e_r + e_s), alternative="greater").pvalue)
    drop = rate_before - rate_settled
    share = (rate_recent - rate_settled) / drop if drop > 0 else None
    recurred = p < ALPHA and share is not None and share >= RECURRENCE_SHARE
    rates = (
        f"{_rate(rate_recent, per)} per {per} in the last {len(recent)} weeks against "
        f"{_rate(rate_settled, per)} after the fix and {_rate(rate_before, per)} before it "
        f"({_p(p)})"
    )
    if recurred:
        text = f"{subject[0].upper()}{subject[1:]} came back: {rates}."
    else:
        text = f"No significant return of {subject}: {rates}."
    return result(recurred, p, share, text)
