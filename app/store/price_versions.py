"""Dated price versions as plain values, the price in force at a moment, and the rules prices obey.

Pure: no database, no Flask. A version is in force from its effective_from (an instant; vendors
and genai-prices date their changes, which start at 00:00 UTC) until the next version of the
same model starts. Versions of one model may share a start when the vendor prices by time of
day: one per price window (app/store/price_windows.py), the scheduled ones first.
"""
from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal

from app.store.price_windows import Window

# The first version of a model starts here: genai-prices applies a model's first known price to
# every earlier moment, and so do we, so that a price at any past date has an answer.
SINCE_EVER = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Prices:
    """List prices in USD per million tokens; the tier applies above long_context_threshold input tokens."""

    input: Decimal
    output: Decimal
    cached_input: Decimal | None = None
    long_context_threshold: int | None = None
    long_input: Decimal | None = None
    long_output: Decimal | None = None


@dataclass(frozen=True, slots=True)
class Version:
    """One model's prices from effective_from on (in its window, if it has one); id is the database
    row, once stored."""

    model_id: str
    effective_from: datetime
    prices: Prices
    source: str
    checked_at: date
    id: int | None = None
    window: Window | None = None

    @property
    def window_name(self) -> str | None:
        return None if self.window is None else self.window.name


def utc_moment(moment: date | datetime) -> datetime:
    """An aware datetime in UTC; a date means its start (00:00 UTC); naive datetimes are refused."""
    if isinstance(moment, datetime):
        if moment.tzinfo is None:
            raise ValueError("a moment needs a timezone (UTC offset)")
        return moment.astimezone(UTC)
    return datetime.combine(moment, time(), UTC)


def moment_label(moment: datetime) -> str:
    """A start as the catalog files write it: the date when it is 00:00 UTC, else the UTC instant."""
    moment = utc_moment(moment)
    return moment.date().isoformat() if moment.timetz() == time(tzinfo=UTC) else moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def price_in_force(versions: Iterable[Version], moment: date | datetime) -> Version | None:
    """The version in force at moment, or None: of the versions with the latest start at or before
    it, the one whose window's schedule is open then, else the one without a schedule."""
    moment = utc_moment(moment)
    group = _group_at(versions, moment)
    open_now = [v for v in group if v.window is not None and v.window.schedule is not None
                and v.window.schedule.is_open(moment)]
    if open_now:
        return open_now[0]
    return next((v for v in group if v.window is None or v.window.schedule is None), None)


def next_price_change(versions: Iterable[Version], moment: date | datetime) -> datetime | None:
    """When the price in force at moment next changes: a window opening or closing, or the next start."""
    moment = utc_moment(moment)
    versions = list(versions)
    starts = [v.effective_from for v in versions if v.effective_from > moment]
    limit = min(starts, default=None)
    edges = [v.window.schedule.next_change(moment) for v in _group_at(versions, moment)
             if v.window is not None and v.window.schedule is not None]
    edges = [edge for edge in edges if edge is not None and (limit is None or edge < limit)]
    return min([*edges, *([limit] if limit else [])], default=None)


def _group_at(versions: Iterable[Version], moment: datetime) -> list[Version]:
    """The versions sharing the latest start at or before moment (one, unless priced by window)."""
    ordered = sorted(versions, key=lambda version: version.effective_from)
    starts = [version.effective_from for version in ordered]
    index = bisect.bisect_right(starts, moment)
    if not index:
        return []
    return ordered[bisect.bisect_left(starts, starts[index - 1]):index]


def peak_of(versions: Iterable[Version], moment: date | datetime) -> Version | None:
    """Of the versions starting last at or before moment, the dearest window (the only one when
    the price has no windows): what a models.csv row shows, the upper bound of the day."""
    group = _group_at(versions, utc_moment(moment))
    return max(group, key=lambda v: (v.prices.output, v.prices.input), default=None)


def effective_ends(versions: Sequence[Version]) -> dict[datetime, datetime | None]:
    """Map each version's effective_from to its effective_to: the next version's start, or None."""
    starts = sorted({version.effective_from for version in versions})
    return dict(zip(starts, [*starts[1:], None]))


def price_problems(prices: Prices) -> list[str]:
    """Say what is wrong with a set of prices; empty when they make sense."""
    problems = []
    named = {"input": prices.input, "output": prices.output, "cached input": prices.cached_input,
             "long-context input": prices.long_input, "long-context output": prices.long_output}
    problems += [f"{name} price {value} is negative" for name, value in named.items()
                 if value is not None and value < 0]
    if prices.cached_input is not None and prices.cached_input > prices.input:
        problems.append(f"cached input price {prices.cached_input} is above the input price {prices.input}")
    tier = (prices.long_input, prices.long_output)
    if prices.long_context_threshold is None and any(value is not None for value in tier):
        problems.append("a long-context tier needs a threshold")
    elif prices.long_context_threshold is not None:
        if prices.long_context_threshold <= 0:
            problems.append(f"long-context threshold {prices.long_context_threshold} is not positive")
        if any(value is None for value in tier):
            problems.append("a long-context threshold needs both tier prices (input and output)")
    return problems


def history_problems(versions: Sequence[Version]) -> list[str]:
    """Say what is wrong with one model's versions: bad prices, two versions of one window at one
    moment, windows without one to stand for the rest of the week."""
    problems: list[str] = []
    groups: dict[datetime, list[Version]] = {}
    for version in versions:
        groups.setdefault(version.effective_from, []).append(version)
        where = f"{version.model_id} from {moment_label(version.effective_from)}"
        problems += [f"{where}: {problem}" for problem in price_problems(version.prices)]
    for start, group in groups.items():
        where = f"{group[0].model_id} from {moment_label(start)}"
        names = [version.window_name for version in group]
        if len(set(names)) != len(names):
            problems.append(f"{where}: a second version from the same moment"
                            + (" in the same window" if len(group) > 1 and any(names) else ""))
            continue
        if len(group) > 1 and None in names:
            problems.append(f"{where}: versions from one moment need a window each")
        rest = [v for v in group if v.window is None or v.window.schedule is None]
        if len(rest) != 1:
            problems.append(f"{where}: exactly one window must go without a schedule (the rest of the week), "
                            f"found {len(rest)}")
    return problems
