"""Time windows for reports: [start, end) in UTC, whole seconds."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from ixcenter.core.errors import Problem, ValidationFailed

_DURATION = re.compile(r"^(\d+)([smhdw])$")
_UNITS = {"s": 1, "m": 60, "h": 3_600, "d": 86_400, "w": 604_800}


@dataclass(frozen=True, slots=True)
class Window:
    start: dt.datetime
    end: dt.datetime

    def __post_init__(self) -> None:
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise ValidationFailed([Problem("window", "times must be timezone-aware")])
        if self.end <= self.start:
            raise ValidationFailed([Problem("window", "the window ends before it starts")])

    @property
    def seconds(self) -> tuple[int, int]:
        """(start, end) as unix seconds."""
        return int(self.start.timestamp()), int(self.end.timestamp())

    @property
    def length(self) -> int:
        start, end = self.seconds
        return end - start

    @classmethod
    def last(cls, duration: str, now: dt.datetime) -> Window:
        """The ``duration`` ("90m", "24h", "30d", "1w") before ``now``, ending at its minute."""
        end = now.astimezone(dt.UTC).replace(second=0, microsecond=0)
        return cls(end - dt.timedelta(seconds=parse_duration(duration)), end)

    @classmethod
    def month(cls, year: int, month: int) -> Window:
        """One calendar month, UTC."""
        if not 1 <= month <= 12:
            raise ValidationFailed([Problem("month", f"no month {month}")])
        start = dt.datetime(year, month, 1, tzinfo=dt.UTC)
        end = dt.datetime(year + month // 12, month % 12 + 1, 1, tzinfo=dt.UTC)
        return cls(start, end)

    @classmethod
    def parse_month(cls, text: str) -> Window:
        """``YYYY-MM``."""
        match = re.fullmatch(r"(\d{4})-(\d{2})", text.strip())
        if not match:
            raise ValidationFailed([Problem("month", f"{text!r} is not YYYY-MM")])
        return cls.month(int(match[1]), int(match[2]))


def parse_duration(text: str) -> int:
    """Seconds in "30s", "15m", "24h", "30d" or "2w"."""
    match = _DURATION.match(text.strip())
    if not match or int(match[1]) == 0:
        raise ValidationFailed(
            [Problem("duration", f"{text!r} is not a duration like 15m, 24h or 30d")]
        )
    return int(match[1]) * _UNITS[match[2]]


def utc(timestamp: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(timestamp, dt.UTC)
