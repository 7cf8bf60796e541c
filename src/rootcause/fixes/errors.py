"""What the fix register refuses, as RootcauseError subclasses (one line each in the CLI).

    RootcauseError
    ├── UnknownFixError      no fix with that id (exit 1)
    └── TransitionError      a status change the lifecycle does not allow (exit 1)
    ConfigError              a bad date, status, cause or criterion in a flag (exit 2)

Bad rows in an imported sheet are an InputError naming the file and every bad line.
"""

from __future__ import annotations

from collections.abc import Sequence

from rootcause.errors import RootcauseError


class UnknownFixError(RootcauseError):
    def __init__(self, fix_id: int) -> None:
        self.fix_id = fix_id
        super().__init__(f"no fix with id {fix_id} (list them with `rootcause fix list`)")


class TransitionError(RootcauseError):
    """Names the fix, where it is and where it may go, so the owner knows what to do instead."""

    def __init__(self, fix_id: int, title: str, current: str, wanted: str, allowed: Sequence[str]):
        self.fix_id, self.current, self.wanted = fix_id, current, wanted
        self.allowed = tuple(allowed)
        nxt = ", ".join(allowed) if allowed else f"none ({current} is final)"
        super().__init__(
            f'fix {fix_id} "{title}" is {current} and cannot become {wanted}; allowed next: {nxt}'
        )
