"""Process owners' fixes: a register with a lifecycle, and proof of whether each one worked.

    criterion    "rate down 30% within 4 weeks": parsed, stored as text, judged against
    effect       pure statistics: segmented regression or Poisson rate ratio -> a verdict
    fields       parsing dates, statuses and causes typed by people
    lifecycle    add / update / close, the allowed status transitions, the event log
    series       weekly counts of a theme or cause and the exposure (queries)
    register     fix_register() / fix_effects() for the report and CLI; reopen_recurring()
    suggest      unowned_growing_themes(): growing themes nobody owns, with the default owner
    spreadsheet  CSV export / all-or-nothing import
    demo         register_demo_fixes(): the demo's two fixes, linked to their themes
    errors       UnknownFixError, TransitionError

The report calls `fix_register`, `fix_effects` and `unowned_growing_themes`; the weekly run
calls `reopen_recurring`. Nothing here prints.
"""

from rootcause.fixes.criterion import DEFAULT_CRITERION, Criterion, parse_criterion
from rootcause.fixes.demo import register_demo_fixes
from rootcause.fixes.effect import (
    RECURRENCE_RULE,
    TOO_EARLY_RULE,
    VERDICT_RULES,
    Effect,
    Method,
    Recurrence,
    Verdict,
    WeekPoint,
    assess_effect,
    check_recurrence,
)
from rootcause.fixes.errors import TransitionError, UnknownFixError
from rootcause.fixes.lifecycle import (
    OPEN_STATUSES,
    TRANSITIONS,
    add_fix,
    allowed_next,
    close_fix,
    fix_events,
    get_fix,
    update_fix,
)
from rootcause.fixes.register import (
    FixEffect,
    FixRow,
    Reopened,
    SeriesPoint,
    fix_effects,
    fix_register,
    reopen_recurring,
)
from rootcause.fixes.spreadsheet import FixImport, export_fixes, import_fixes
from rootcause.fixes.suggest import Suggestion, unowned_growing_themes

__all__ = [
    "DEFAULT_CRITERION",
    "OPEN_STATUSES",
    "RECURRENCE_RULE",
    "TOO_EARLY_RULE",
    "TRANSITIONS",
    "VERDICT_RULES",
    "Criterion",
    "Effect",
    "FixEffect",
    "FixImport",
    "FixRow",
    "Method",
    "Recurrence",
    "Reopened",
    "SeriesPoint",
    "Suggestion",
    "TransitionError",
    "UnknownFixError",
    "Verdict",
    "WeekPoint",
    "add_fix",
    "allowed_next",
    "assess_effect",
    "check_recurrence",
    "close_fix",
    "export_fixes",
    "fix_effects",
    "fix_events",
    "fix_register",
    "get_fix",
    "import_fixes",
    "parse_criterion",
    "register_demo_fixes",
    "reopen_recurring",
    "unowned_growing_themes",
    "update_fix",
]
