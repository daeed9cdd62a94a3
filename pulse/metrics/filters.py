"""What the user selected (Filters) and which rows that takes in: local dates, parties, the data window.

Times are UTC; days are local dates in the time zone passed in.
"""

from dataclasses import dataclass
from datetime import date, datetime

import polars as pl

from pulse.metrics.recent import as_of, data_span


@dataclass(frozen=True)
class Filters:
    """What the user selected: inclusive local dates, parties and hashtags (None = all)."""

    start: date | None = None
    end: date | None = None
    parties: tuple[str, ...] | None = None
    hashtags: tuple[str, ...] | None = None


def in_dates(day: pl.Expr, filters: Filters) -> pl.Expr:
    """Whether a local date lies in the filter's inclusive range."""
    keep = pl.lit(True)
    if filters.start is not None:
        keep &= day >= filters.start
    if filters.end is not None:
        keep &= day <= filters.end
    return keep


def in_parties(filters: Filters) -> pl.Expr:
    return pl.lit(True) if filters.parties is None else pl.col("party").is_in(list(filters.parties))


def data_window(counts: pl.DataFrame, filters: Filters, tz: str) -> tuple[datetime | None, tuple | None]:
    """`as_of` for these filters (every party, before the party filter) and the data window [first hour, as_of)."""
    span = data_span(counts)
    end = as_of(counts, filters.end, tz)
    return end, None if span is None else (span[0], end)
