"""Theme identity across refits: which of this fit's topics is which registered theme.

Every fit numbers its topics afresh; the `theme` table is what a reader sees week after week.
A topic keeps a registered theme's id when their centres (unit vectors in the embedding space)
are at least `threshold` alike. The assignment is one-to-one and maximises total similarity
(the Hungarian method, `scipy.optimize.linear_sum_assignment`), so two topics never claim the
same theme by both being "closest". One exception, on purpose: a topic left without a partner
whose best match is still above the threshold joins that theme, because a theme split in two by
the clusterer is still one theme to its owner. Topics with no theme above the threshold become
new themes.

Merged themes (`theme.merged_into_id`) take part under their own centre but resolve to the theme
they were merged into, so a merge made by a person survives every later fit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray


@dataclass(frozen=True)
class KnownTheme:
    """A registered theme as matching sees it: its id, the id it resolves to, its centre."""

    id: int
    root_id: int
    centre: NDArray[np.float64]


def match_topics(
    topic_centres: NDArray[np.float64],
    themes: Sequence[KnownTheme],
    *,
    threshold: float,
) -> dict[int, int]:
    """Map topic row -> theme root id for every topic that matches a registered theme.

    Topics missing from the result are new themes. Ties go to the lower topic row and the lower
    theme id (the input order), so the same input always gives the same mapping.
    """
    if len(topic_centres) == 0 or not themes:
        return {}
    centres = np.vstack([t.centre for t in themes])
    similarity = np.asarray(topic_centres, dtype=np.float64) @ centres.T
    from scipy.optimize import linear_sum_assignment

    rows, cols = linear_sum_assignment(-similarity)
    matched: dict[int, int] = {}
    for r, c in zip(rows.tolist(), cols.tolist(), strict=True):
        if similarity[r, c] >= threshold:
            matched[r] = themes[c].root_id
    for r in range(len(topic_centres)):
        if r in matched:
            continue
        best = int(np.argmax(similarity[r]))
        if similarity[r, best] >= threshold:
            matched[r] = themes[best].root_id
    return matched
