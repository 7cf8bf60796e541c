"""ISO weeks: the unit every report, trend and fix verdict is counted in.

Weeks run Monday 00:00 to the next Monday 00:00 in UTC; a week is written `2026-W47`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

_WEEK_RE = re.compile(r"^\s*(\d{4})-?W(\d{1,2})\s*$", re.IGNORECASE)


@dataclass(frozen=True, order=True)
class IsoWeek:
    year: int
    week: int

    @classmethod
    def parse(cls, text: str) -> IsoWeek:
        """Parse `2026-W47` (or `2026W47`); raises ValueError with the expected form."""
        m = _WEEK_RE.match(text)
        if not m:
            raise ValueError(f"{text!r} is not an ISO week; expected YYYY-Www, e.g. 2026-W47")
        year, week = int(m.group(1)), int(m.group(2))
        try:
            date.fromisocalendar(year, week, 1)
        except ValueError:
            raise ValueError(f"{text!r} is not an ISO week: {year} has no week {week}") from None
        return cls(year, week)

    @classmethod
    def of(cls, moment: datetime | date) -> IsoWeek:
        if isinstance(moment, datetime):
            moment = (moment.astimezone(UTC) if moment.tzinfo else moment).date()
        y, w, _ = moment.isocalendar()
        return cls(y, w)

    @property
    def monday(self) -> date:
        return date.fromisocalendar(self.year, self.week, 1)

    @property
    def sunday(self) -> date:
        return self.monday + timedelta(days=6)

    @property
    def start(self) -> datetime:
        """First instant of the week (inclusive), UTC."""
        return datetime.combine(self.monday, datetime.min.time(), tzinfo=UTC)

    @property
    def end(self) -> datetime:
        """First instant after the week (exclusive), UTC."""
        return self.start + timedelta(days=7)

    def shift(self, weeks: int) -> IsoWeek:
        return IsoWeek.of(self.monday + timedelta(weeks=weeks))

    def window(self, weeks: int) -> list[IsoWeek]:
        """The `weeks` weeks ending with this one, oldest first."""
        return [self.shift(-i) for i in range(weeks - 1, -1, -1)]

    def __str__(self) -> str:
        return f"{self.year}-W{self.week:02d}"


def latest_complete_week(last_seen: datetime, now: datetime) -> IsoWeek:
    """The week a report defaults to: the newest week of data that has ended by `now`.

    If the newest complaint falls in a week still under way, the week before it is the latest
    complete one; data from the future (a clock or export error) never makes a week "complete".
    """
    week = IsoWeek.of(min(last_seen, now))
    return week if week.end <= now else week.shift(-1)
