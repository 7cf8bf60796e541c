"""A fix's success criterion: "rate down 30% within 4 weeks", declared before the data are in.

Declaring the target up front keeps the verdict honest: a fix cannot be called a success after
the fact because the rate happened to move a little. The criterion is stored in
`Fix.success_criterion` as its canonical text (what the report prints) and parsed back into
numbers when judged, so the register needs no extra column.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rootcause.errors import ConfigError

_PATTERN = re.compile(
    r"^\s*(?:(?:the\s+)?rate\s+)?(?:(?:down|drops?|falls?|reduced?|reduction)\s+(?:by\s+)?)?"
    r"(?P<pct>\d+(?:\.\d+)?)\s*%"
    r"(?:\s*(?:within|in|after|by)?\s*(?P<weeks>\d+)\s*(?:weeks?|wks?|w))?\s*$",
    re.IGNORECASE,
)
MAX_HORIZON_WEEKS = 52


@dataclass(frozen=True)
class Criterion:
    """The weekly rate must fall by `reduction` (a fraction) within `horizon_weeks` full weeks."""

    reduction: float
    horizon_weeks: int

    def __post_init__(self) -> None:
        if not 0.0 < self.reduction < 1.0:
            raise ConfigError(
                f"a success criterion's drop must be between 0% and 100%, not {self.percent}"
            )
        if not 1 <= self.horizon_weeks <= MAX_HORIZON_WEEKS:
            raise ConfigError(
                f"a success criterion's horizon must be 1 to {MAX_HORIZON_WEEKS} weeks, "
                f"not {self.horizon_weeks}"
            )

    @property
    def target_ratio(self) -> float:
        """The highest after/before rate ratio that still meets the criterion."""
        return 1.0 - self.reduction

    @property
    def percent(self) -> str:
        return f"{self.reduction * 100:.4g}%"

    @property
    def text(self) -> str:
        weeks = "week" if self.horizon_weeks == 1 else "weeks"
        return f"rate down {self.percent} within {self.horizon_weeks} {weeks}"

    def as_dict(self) -> dict[str, float | int | str]:
        return {"reduction": self.reduction, "horizon_weeks": self.horizon_weeks, "text": self.text}


DEFAULT_CRITERION = Criterion(reduction=0.30, horizon_weeks=4)


def parse_criterion(text: str | None) -> Criterion:
    """Read "50% within 4 weeks" (or "rate down 50% within 4 weeks", "50%"); an empty text is
    the default, 30% within 4 weeks. Raises ConfigError with the expected form."""
    if text is None or not text.strip():
        return DEFAULT_CRITERION
    m = _PATTERN.match(text)
    if not m:
        raise ConfigError(
            f'success criterion {text!r} not understood; expected e.g. "50% within 4 weeks"'
        )
    weeks = m.group("weeks")
    return Criterion(
        reduction=round(float(m.group("pct")) / 100.0, 6),
        horizon_weeks=int(weeks) if weeks else DEFAULT_CRITERION.horizon_weeks,
    )
