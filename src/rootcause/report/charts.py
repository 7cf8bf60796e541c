"""Charts as SVG from matplotlib: vector, printable, and deterministic byte for byte.

Each chart is handed to the template as a `data:` URI for an <img>: WeasyPrint then draws it
with its own SVG renderer, each chart in its own document (no clashing element ids), and the
report needs no file next to it. One colour-blind-safe palette (Okabe-Ito) for every chart;
every axis says what it counts.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Sequence

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
