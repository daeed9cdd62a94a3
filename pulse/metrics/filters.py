"""What the user selected (Filters) and which rows that takes in: local dates, parties, the data window.

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
    """

    start: date | None = None
    end: date | None = None
    parties: tuple[str, ...] | None = None
    hashtags: tuple[str, ...] | None = None
    campaigns: tuple[str, ...] | None = None


def in_dates(at: pl.Expr, filters: Filters, tz: str | None = None) -> pl.Expr:
    """Whether `at` falls on a local date in the filter's inclusive range: `at` is a local date, or, given `tz`, a
    UTC time, then compared as UTC instants with the local midnights the range starts and ends at (no per-row zone
    conversion, which costs seconds on millions of rows)."""
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
