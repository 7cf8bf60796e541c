"""Recurring themes: BERTopic over a rolling window, with theme ids that survive refits.

    text      what embeddings and labels see (salutations, names, masks, boilerplate removed)
    embed     embedding stage + the fitted-embedder cache design
    cluster   k-means / HDBSCAN plus the outlier policy
    labels    c-TF-IDF phrases -> labels and keywords
    model     BERTopic assembled from the stages named in `themes.*` settings
    registry  topic -> theme identity (Hungarian matching on centres)
    status    new / growing / stable / fading / dormant (one-sided Poisson test)
    queries   every SQL query of this package
    mine      mine_themes(): one window, one transaction
    summary   week_summary() / week_themes() / theme_detail(): what the report and CLI read
    edit      rename_theme(), merge_themes()

BERTopic, scikit-learn's models, UMAP and HDBSCAN are imported only when a fit runs, so reading
stored themes stays quick.
"""

from rootcause.themes.edit import merge_themes, rename_theme
from rootcause.themes.mine import MinedTheme, ThemeRun, mine_themes
from rootcause.themes.queries import Representative, UnknownThemeError
from rootcause.themes.status import ThemeStatus, status_rule
from rootcause.themes.summary import (
    ThemeDetail,
    ThemeRow,
    WeekThemes,
    theme_detail,
    themes_by_cause,
    week_summary,
    week_themes,
    window_mined,
)

__all__ = [
    "MinedTheme",
    "Representative",
    "ThemeDetail",
    "ThemeRow",
    "ThemeRun",
    "ThemeStatus",
    "UnknownThemeError",
    "WeekThemes",
    "merge_themes",
    "mine_themes",
    "rename_theme",
    "status_rule",
    "theme_detail",
    "themes_by_cause",
    "week_summary",
    "week_themes",
    "window_mined",
]
