"""The executive summary: a few sentences written from the numbers by fixed templates.

No language model: every sentence is a template filled from the report context, so each claim
can be checked against a table further down the report.
"""

from __future__ import annotations

from typing import Any


def _pct(a: float, b: float) -> str:
    return f"{100 * (a - b) / b:+.0f}%"


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def summarise(r: Any) -> list[str]:
    """3–5 sentences: volume against the 8-week mean, the biggest mover among causes, new and
    growing themes, and fix verdicts."""
    out: list[str] = []
    mean = r.prior_mean
    if mean:
        change = _pct(r.this_week_total, mean)
        out.append(
            f"{r.this_week_total:,} complaints arrived in {r.week}, {change} against the mean "
            f"of the previous {min(8, len(r.weekly_totals) - 1)} weeks ({mean:,.0f})."
        )
    else:
        out.append(f"{r.this_week_total:,} complaints arrived in {r.week}.")
    if r.causes:
        top = r.causes[0]
        mover = max(r.causes, key=lambda c: (abs(c.change), c.cause))
        sentence = f"{top.label} was the largest cause ({top.share:.0%} of classified complaints)"
        if mover.change:
            sentence += (
                f"; the biggest mover was {mover.label}, {mover.change:+,} on last week "
                f"({mover.last_week:,} to {mover.this_week:,})"
            )
        out.append(sentence + ".")
    new = [t for t in r.themes if t.status == "new"]
    growing = [t for t in r.themes if t.status == "growing"]
    if new or growing:
        parts = []
        if growing:
            parts.append(
                f"{len(growing)} theme{'s' if len(growing) > 1 else ''} grew beyond "
                f"{'their' if len(growing) > 1 else 'its'} own baseline ("
                + _join([f"“{t.label}”" for t in growing[:3]])
                + ")"
            )
        if new:
            parts.append(
                f"{len(new)} new theme{'s' if len(new) > 1 else ''} appeared ("
                + _join([f"“{t.label}”" for t in new[:3]])
                + ")"
            )
        out.append(_join(parts).capitalize() + ".")
    elif r.themes:
        out.append("No theme grew significantly beyond its own baseline this week.")
    verdicts: dict[str, list[str]] = {}
    for e in r.fix_effects:
        verdicts.setdefault(str(e.effect.verdict), []).append(f"#{e.fix.id}")
    if verdicts:
        words = {
            "effective": "worked",
            "not_effective": "did not reduce complaints",
            "inconclusive": "are inconclusive so far",
            "too_early": "shipped too recently to judge",
        }
        parts = [f"fix {_join(ids)} {words.get(v, v)}" for v, ids in sorted(verdicts.items())]
        out.append("Of the shipped fixes: " + "; ".join(parts) + ".")
    if r.unowned_themes:
        out.append(
            f"{len(r.unowned_themes)} growing theme"
            f"{'s have' if len(r.unowned_themes) > 1 else ' has'} no fix owner yet."
        )
    return out[:5]
