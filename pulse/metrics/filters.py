"""What the user selected (Filters) and which rows that takes in: local dates or a preset's hours, parties, the
data window.

Times are UTC; days are local dates in the time zone passed in.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import polars as pl

from pulse.metrics.recent import as_of, data_span


@dataclass(frozen=True)
class Filters:
    """What the user selected: inclusive local dates, parties, hashtags and campaigns (None = all).

    Hashtags and campaigns are picked as hashtags compare (case and '#' aside); a campaign is every hashtag of it
    (pulse.metrics.hashtags.in_hashtags), and a table built from campaigns takes a picked hashtag's whole campaign.

    `hours` is a relative preset's window [from, to) in UTC ("Last 24 hours": the 24 hours to as_of); rows with a
    time are then taken from exactly those hours, and `start` and `end` are the local dates the hours touch (what
    a daily series shows). None for a custom range or all the data: whole local days.
    """

    start: date | None = None
    end: date | None = None
    parties: tuple[str, ...] | None = None
    hashtags: tuple[str, ...] | None = None
    campaigns: tuple[str, ...] | None = None
    hours: tuple[datetime, datetime] | None = None


def in_dates(at: pl.Expr, filters: Filters, tz: str | None = None) -> pl.Expr:
    """Whether `at` is in the filter's range. `at` is a local date (in the inclusive range of dates; for a preset,
    the dates its hours touch), or, given `tz`, a UTC time: in a preset's hours, else compared as UTC instants
    with the local midnights the range starts and ends at (no per-row zone conversion, which costs seconds on
    millions of rows)."""
    if tz is not None and filters.hours is not None:
        return (at >= filters.hours[0]) & (at < filters.hours[1])
    keep = pl.lit(True)
    if filters.start is not None:
        keep &= at >= (filters.start if tz is None else _utc_midnight(filters.start, tz))
    if filters.end is not None:
        keep &= at <= filters.end if tz is None else at < _utc_midnight(filters.end + timedelta(days=1), tz)
    return keep


def _utc_midnight(day: date, tz: str) -> datetime:
    """The UTC instant local date `day` starts at."""
    return datetime.combine(day, time(), ZoneInfo(tz)).astimezone(UTC)


def in_parties(filters: Filters) -> pl.Expr:
    return pl.lit(True) if filters.parties is None else pl.col("party").is_in(list(filters.parties))


def data_window(counts: pl.DataFrame, filters: Filters, tz: str) -> tuple[datetime | None, tuple | None]:
    """`as_of` for these filters (every party, before the party filter) and the data window [first hour, as_of)."""
    span = data_span(counts)
    end = as_of(counts, filters.end, tz)
    return end, None if span is None else (span[0], end)


def hours_shown(span: tuple[datetime, datetime] | None, filters: Filters) -> tuple[datetime, datetime] | None:
    """The part of the data window a series cut by the filters holds: from a preset's first hour, so that the
    first day it touches reads as a partial day (pulse.metrics.recent.with_coverage)."""
    if span is None or filters.hours is None:
        return span
    return max(span[0], filters.hours[0]), span[1]
