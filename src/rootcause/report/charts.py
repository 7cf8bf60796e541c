"""Charts as SVG from matplotlib: vector, printable, and deterministic byte for byte.

Each chart is handed to the template as a `data:` URI for an <img>: WeasyPrint then draws it
with its own SVG renderer, each chart in its own document (no clashing element ids), and the
report needs no file next to it. One colour-blind-safe palette (Okabe-Ito) for every chart;
every axis says what it counts.
"""

from __future__ import annotations

import base64
import io
import math
from collections.abc import Mapping, Sequence

PALETTE = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000")
INK = "#333333"


def _pyplot() -> object:
    import matplotlib

    matplotlib.use("svg")
    matplotlib.rcParams.update({
        "svg.hashsalt": "rootcause",  # stable element ids, so the same data gives the same bytes
        "svg.fonttype": "none",  # text stays text: searchable in the PDF, drawn in DejaVu Sans
        "font.family": "DejaVu Sans",
        "font.size": 8,
        "axes.edgecolor": INK,
        "axes.labelcolor": INK,
        "xtick.color": INK,
        "ytick.color": INK,
        "axes.spines.top": False,
        "axes.spines.right": False,
    })  # fmt: skip
    import matplotlib.pyplot as plt

    return plt


def _to_svg(fig: object) -> str:
    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight", metadata={"Date": None})  # type: ignore[attr-defined]
    import matplotlib.pyplot as plt

    plt.close(fig)  # type: ignore[arg-type]
    return "data:image/svg+xml;base64," + base64.b64encode(buf.getvalue().encode()).decode()


def weekly_volume_svg(
    weeks: Sequence[str],
    totals: Sequence[int],
    *,
    highlight_last: bool = True,
    width_in: float = 6.8,
    height_in: float = 2.4,
) -> str:
    """Bars of complaints per week; the report week in a stronger colour."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(width_in, height_in))  # type: ignore[attr-defined]
    colours = [PALETTE[5]] * len(totals)
    if highlight_last and colours:
        colours[-1] = PALETTE[0]
    labels = [w.split("-")[1] for w in weeks]
    bars = ax.bar(labels, totals, color=colours, width=0.7)
    ax.bar_label(bars, fontsize=7, padding=2, color=INK)
    ax.set_ylabel("complaints per week")
    ax.set_xlabel("ISO week")
    ax.margins(y=0.15)
    ax.set_ylim(bottom=0, top=max(1, *totals) * 1.15 if totals else 1)
    ax.yaxis.get_major_locator().set_params(integer=True)
    return _to_svg(fig)


def sparkline_svg(values: Sequence[int], *, width_in: float = 1.1, height_in: float = 0.28) -> str:
    """A tiny trend line for a table cell; the last point marked."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(width_in, height_in))  # type: ignore[attr-defined]
    xs = list(range(len(values)))
    ax.plot(xs, values, color=PALETTE[0], linewidth=1)
    if values:
        ax.plot([xs[-1]], [values[-1]], "o", color=PALETTE[3], markersize=2.5)
    ax.set_axis_off()
    ax.set_ylim(bottom=0, top=max(1, *values) * 1.15 if values else 1)
    fig.subplots_adjust(0, 0, 1, 1)
    return _to_svg(fig)


def pareto_svg(labels: Sequence[str], counts: Sequence[int], cumulative: Sequence[float]) -> str:
    """Causes as bars, most frequent first, with the cumulative share and the 80% line."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6.8, 2.4))  # type: ignore[attr-defined]
    bars = ax.bar(labels, counts, color=PALETTE[0], width=0.6)
    ax.bar_label(bars, fontsize=7, padding=2, color=INK)
    ax.set_ylabel("complaints this week")
    ax.margins(y=0.2)
    share = ax.twinx()
    share.plot(labels, [100 * c for c in cumulative], color=PALETTE[1], marker="o", markersize=3)
    share.axhline(80, color=PALETTE[3], linewidth=0.8, linestyle="--")
    share.text(len(labels) - 0.5, 81, "80%", color=PALETTE[3], fontsize=7, ha="right", va="bottom")
    share.set_ylim(0, 105)
    share.set_ylabel("cumulative share (%)")
    share.spines["right"].set_visible(True)
    return _to_svg(fig)


def cause_trends_svg(
    weeks: Sequence[str],
    series: Mapping[str, Sequence[int]],
    limits: Mapping[str, tuple[float, float, float] | None],
    markers: Mapping[str, list[tuple[str, str]]],
) -> str:
    """Small multiples: one panel per cause, weekly counts with c-chart limits, and fix ship
    weeks as vertical lines labelled with the fix id."""
    plt = _pyplot()
    names = list(series)
    cols = 2
    rows = max(1, math.ceil(len(names) / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(6.8, 1.7 * rows), sharex=True, squeeze=False)  # type: ignore[attr-defined]
    labels = [w.split("-")[1] for w in weeks]
    xs = list(range(len(weeks)))
    for k, ax in enumerate(axes.flat):
        if k >= len(names):
            ax.set_axis_off()
            continue
        name = names[k]
        values = list(series[name])
        ax.plot(xs, values, color=PALETTE[0], marker="o", markersize=2.5, linewidth=1.2)
        lim = limits.get(name)
        if lim:
            centre, lower, upper = lim
            ax.axhline(centre, color=INK, linewidth=0.6)
            for y in (lower, upper):
                ax.axhline(y, color=PALETTE[3], linewidth=0.6, linestyle="--")
            if values and values[-1] > upper:
                ax.plot([xs[-1]], [values[-1]], "o", color=PALETTE[3], markersize=5)
        for week, tag in markers.get(name, []):
            if week in weeks:
                x = weeks.index(week)
                ax.axvline(x, color=PALETTE[2], linewidth=1)
                ax.text(x, ax.get_ylim()[1], tag, color=PALETTE[2], fontsize=6, va="top")
        ax.set_title(name, fontsize=8, loc="left")
        ax.set_ylabel("complaints / week", fontsize=6)
        ax.set_ylim(bottom=0)
        ax.set_xticks(xs, labels, fontsize=6)
    for ax in axes[-1]:
        ax.set_xlabel("ISO week", fontsize=6)
    fig.tight_layout()
    return _to_svg(fig)


def histogram_svg(counts: Sequence[int], *, xlabel: str, ylabel: str) -> str:
    """Equal-width bins over 0–1 (for classifier confidence)."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(3.3, 1.8))  # type: ignore[attr-defined]
    width = 1 / max(1, len(counts))
    ax.bar([i * width for i in range(len(counts))], counts, width=width * 0.9, align="edge",
           color=PALETTE[5])  # fmt: skip
    ax.set_xlim(0, 1)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    return _to_svg(fig)


def before_after_svg(
    weeks: Sequence[str], rates: Sequence[float], ship_week: str, *, ylabel: str
) -> str:
    """A fix's weekly rate, the ship week marked, mean before and after as flat lines."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(3.3, 1.7))  # type: ignore[attr-defined]
    xs = list(range(len(weeks)))
    ax.plot(xs, rates, color=PALETTE[0], marker="o", markersize=2.5, linewidth=1.2)
    if ship_week in weeks:
        cut = weeks.index(ship_week)
        ax.axvline(cut - 0.5, color=PALETTE[2], linewidth=1)
        for lo, hi in ((0, cut), (cut, len(rates))):
            part = rates[lo:hi]
            if part:
                mean = sum(part) / len(part)
                ax.plot([lo - 0.3, hi - 0.7], [mean, mean], color=PALETTE[1], linewidth=1.5)
    ax.set_xticks(xs[::2], [w.split("-")[1] for w in weeks][::2], fontsize=6)
    ax.set_xlabel("ISO week (green: shipped)", fontsize=7)
    ax.set_ylabel(ylabel, fontsize=7)
    ax.set_ylim(bottom=0)
    return _to_svg(fig)
