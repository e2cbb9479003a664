"""Price windows: when in the week a dated price applies (UTC weekdays and hours, dated holidays).

Pure: no database, no Flask. A vendor that prices by time of day (DeepSeek's peak and off-peak)
has, from one start, one price per window: a scheduled window ("peak") applies while its schedule
is open, and the window without a schedule ("off_peak") applies at every other moment.

As the catalog files and the database write it, a window is its name, then optionally a colon
and its schedule: ``peak: Mon-Fri 01:00-04:00 06:00-10:00 except 2026-10-01..2026-10-07``. Days
are UTC weekdays (a range or a comma list), hours are UTC [start, end) spans (``24:00`` ends a
day), and ``except`` lists dated holidays (UTC dates or inclusive ranges) when the schedule is shut.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
NAME = re.compile(r"[a-z][a-z0-9_]{0,15}")
SPAN = re.compile(r"(\d\d):(\d\d)-(\d\d):(\d\d)")
HORIZON_DAYS = 400   # how far ahead the next opening or closing is looked for (holidays can be long)


class WindowError(ValueError):
    """A window as written cannot be read; the message says what is wrong."""


@dataclass(frozen=True, slots=True)
class Schedule:
    """When a window is open: on these weekdays (0 = Monday), in these minute spans, except holidays."""

    weekdays: frozenset[int]
    spans: tuple[tuple[int, int], ...]    # [start, end) in minutes after 00:00 UTC
    holidays: frozenset[date] = frozenset()

    def is_open(self, moment: datetime) -> bool:
        """Whether the schedule is open at moment (an aware datetime)."""
        moment = moment.astimezone(UTC)
        if moment.weekday() not in self.weekdays or moment.date() in self.holidays:
            return False
        minute = moment.hour * 60 + moment.minute
        return any(start <= minute < end for start, end in self.spans)

    def next_change(self, moment: datetime) -> datetime | None:
        """The first instant after moment at which the schedule opens or closes (None within the horizon)."""
        moment = moment.astimezone(UTC)
        state = self.is_open(moment)
        day = moment.date()
        for offset in range(HORIZON_DAYS):
            current = day + timedelta(days=offset)
            start = datetime.combine(current, time(), UTC)
            for edge in sorted({m for span in self.spans for m in span} | {0}):
                instant = start + timedelta(minutes=edge)
                if instant > moment and self.is_open(instant) != state:
                    return instant
        return None

    def label(self) -> str:
        """The schedule as the catalog writes it (the inverse of parse_window's schedule part)."""
        days = _days_label(self.weekdays)
        hours = " ".join(f"{_clock(start)}-{_clock(end)}" for start, end in self.spans)
        text = f"{days} {hours}"
        if self.holidays:
            text += " except " + ", ".join(_runs(self.holidays))
        return text


@dataclass(frozen=True, slots=True)
class Window:
    """A named price window; without a schedule it is the one in force outside the others."""

    name: str
    schedule: Schedule | None = None

    def label(self) -> str:
        """The window as the catalog files write it."""
        return self.name if self.schedule is None else f"{self.name}: {self.schedule.label()}"


def parse_window(text: str) -> Window | None:
    """Read a window cell ("" is none: one price all week); WindowError naming what is wrong."""
    text = text.strip()
    if not text:
        return None
    name, colon, rest = text.partition(":")
    name = name.strip()
    if not NAME.fullmatch(name):
        raise WindowError(f"window name {name!r} must be lower-case letters, digits or _ (at most 16)")
    if not colon:
        return Window(name)
    return Window(name, parse_schedule(rest))


def parse_schedule(text: str) -> Schedule:
    """Read "DAYS HH:MM-HH:MM ... [except DATE[..DATE], ...]" (WindowError naming what is wrong)."""
    main, _, excepted = text.partition(" except ")
    parts = main.split()
    if len(parts) < 2:
        raise WindowError(f"schedule {text.strip()!r} needs days and at least one HH:MM-HH:MM span")
    spans = tuple(sorted(_span(part) for part in parts[1:]))
    for (_, end), (start, _) in zip(spans, spans[1:]):
        if start < end:
            raise WindowError(f"schedule {text.strip()!r} has overlapping spans")
    return Schedule(_weekdays(parts[0]), spans, _holidays(excepted))


def _weekdays(text: str) -> frozenset[int]:
    days: set[int] = set()
    for part in text.split(","):
        first, dash, last = part.partition("-")
        if first not in DAYS or (dash and last not in DAYS):
            raise WindowError(f"days {text!r} must be Mon..Sun, as a range (Mon-Fri) or a list (Sat,Sun)")
        start, end = DAYS.index(first), DAYS.index(last if dash else first)
        if end < start:
            raise WindowError(f"day range {part!r} runs backwards")
        days.update(range(start, end + 1))
    return frozenset(days)


def _span(text: str) -> tuple[int, int]:
    match = SPAN.fullmatch(text)
    if not match:
        raise WindowError(f"hours {text!r} must be HH:MM-HH:MM (UTC)")
    h1, m1, h2, m2 = (int(group) for group in match.groups())
    start, end = h1 * 60 + m1, h2 * 60 + m2
    if m1 > 59 or m2 > 59 or not 0 <= start < end <= 24 * 60:
        raise WindowError(f"hours {text!r} must be a non-empty span within one UTC day")
    return start, end


def _holidays(text: str) -> frozenset[date]:
    days: set[date] = set()
    for part in filter(None, (piece.strip() for piece in text.split(","))):
        first, _, last = part.partition("..")
        try:
            start, end = date.fromisoformat(first), date.fromisoformat(last or first)
        except ValueError:
            raise WindowError(f"holiday {part!r} must be YYYY-MM-DD or YYYY-MM-DD..YYYY-MM-DD") from None
        if end < start:
            raise WindowError(f"holiday range {part!r} runs backwards")
        days.update(start + timedelta(days=n) for n in range((end - start).days + 1))
    return frozenset(days)


def _days_label(weekdays: frozenset[int]) -> str:
    ordered = sorted(weekdays)
    if ordered == list(range(ordered[0], ordered[-1] + 1)) and len(ordered) > 2:
        return f"{DAYS[ordered[0]]}-{DAYS[ordered[-1]]}"
    return ",".join(DAYS[day] for day in ordered)


def _runs(days: frozenset[date]) -> list[str]:
    runs: list[list[date]] = []
    for day in sorted(days):
        if runs and day - runs[-1][-1] == timedelta(days=1):
            runs[-1][-1] = day
        else:
            runs.append([day, day])
    return [first.isoformat() if first == last else f"{first.isoformat()}..{last.isoformat()}" for first, last in runs]


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"
