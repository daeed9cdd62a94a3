""" "Recent" figures, all relative to the data's `as_of` (the end of the last hour it covers), counted in hours.

The last local day of live data is almost always partial, so "the last 7 days" means the 168 hours before
`as_of`, never 7 calendar days, and each daily row says how many of its hours the data covers.
See docs/metrics.md.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import polars as pl

HOUR = timedelta(hours=1)
WINDOWS = {"24h": 24, "7d": 168}  # name -> hours; each is compared with the same length just before it
STRONGEST_BASELINE_HOURS = 12  # the strongest hour is compared with the mean of this many hours before it


def change_pct(now: pl.Expr, before: pl.Expr) -> pl.Expr:
    """(now − before) / before × 100; empty when before is 0 or unknown."""
    return pl.when(before > 0).then((now - before) / before * 100)


def local_midnight(day: pl.Expr, tz: str) -> pl.Expr:
    """The UTC instant a local date starts; 01:00 where a daylight-saving change skips midnight (e.g. Chile)."""

    def at(hour: int) -> pl.Expr:
        return day.dt.combine(time(hour)).dt.replace_time_zone(tz, ambiguous="earliest", non_existent="null")

    return pl.coalesce(at(0), at(1)).dt.convert_time_zone("UTC")


def _hours(length: pl.Expr) -> pl.Expr:
    return length.dt.total_microseconds() / 3_600e6


def day_hours(day: pl.Expr, tz: str) -> pl.Expr:
    """How long a local date is, in hours: 24, or 23 / 25 on a daylight-saving change."""
    return _hours(local_midnight(day.dt.offset_by("1d"), tz) - local_midnight(day, tz))


def day_end(day: date, tz: str) -> datetime:
    """The UTC instant a local date ends (the next local midnight)."""
    return pl.select(local_midnight(pl.lit(day + timedelta(days=1)), tz)).item()


def data_span(counts: pl.DataFrame) -> tuple[datetime, datetime] | None:
    """[the first hour with data, the end of the last hour) of hourly counts, over every row; None when empty."""
    first, last = counts.select(pl.col("period_start").min().alias("first"), pl.col("period_start").max()).row(0)
    return None if first is None else (first, last + HOUR)


def as_of(counts: pl.DataFrame, end: date | None, tz: str) -> datetime | None:
    """The end of the last hour the hashtag data covers (every party), or the end of local day `end` if earlier."""
    span = data_span(counts)
    if span is None:
        return None
    return span[1] if end is None else min(span[1], day_end(end, tz))


def window(as_of_: datetime | None, hours_back: int, length: int) -> pl.Expr:
    """Whether `period_start` lies in [as_of − hours_back − length, as_of − hours_back)."""
    if as_of_ is None:
        return pl.lit(False)
    ends = as_of_ - timedelta(hours=hours_back)
    return (pl.col("period_start") >= ends - timedelta(hours=length)) & (pl.col("period_start") < ends)


def window_totals(counts: pl.DataFrame, as_of_: datetime | None, keys: list[str]) -> pl.DataFrame:
    """Per key: tweets in the last 24 h and 7 d before `as_of`, in the same length before those, and the change.

    Columns per window w: tweets_w, tweets_prev_w, growth_w_pct. Keys without a tweet in the last 336 h are absent.
    """
    sums = []
    for name, hours in WINDOWS.items():
        sums += [
            pl.col("tweets").filter(window(as_of_, 0, hours)).sum().alias(f"tweets_{name}"),
            pl.col("tweets").filter(window(as_of_, hours, hours)).sum().alias(f"tweets_prev_{name}"),
        ]
    growth = [
        change_pct(pl.col(f"tweets_{name}"), pl.col(f"tweets_prev_{name}")).alias(f"growth_{name}_pct")
        for name in WINDOWS
    ]
    return (
        counts.lazy()
        .filter(window(as_of_, 0, 2 * max(WINDOWS.values())))
        .group_by(keys)
        .agg(sums)
        .with_columns(growth)
        .select(*keys, *window_columns())
        .sort(keys)
        .collect()
    )


def window_columns() -> list[str]:
    """The columns of window_totals after its keys, in order."""
    return [c for n in WINDOWS for c in (f"tweets_{n}", f"tweets_prev_{n}", f"growth_{n}_pct")]


def party_ranking(summary: pl.DataFrame) -> pl.DataFrame:
    """Of a party summary, the parties with a tweet in the range or the last 14 days, the most tweets in the last
    24 h first: their tweets in each window to as_of and the change against the same length before it."""
    counted = ["tweets", *(c for n in WINDOWS for c in (f"tweets_{n}", f"tweets_prev_{n}"))]
    tweeting = summary.filter(pl.sum_horizontal(counted) > 0)
    shown = ["party", *(c for n in WINDOWS for c in (f"tweets_{n}", f"growth_{n}_pct"))]
    return tweeting.sort("tweets_24h", "tweets_7d", "party", descending=[True, True, False]).select(shown)


def with_coverage(daily: pl.DataFrame, tz: str, span: tuple[datetime, datetime] | None) -> pl.DataFrame:
    """Add `hours_covered` (hours of the local day inside the data window [first hour, as_of)) and
    `partial_day` (the window covers only part of the day). `span` is (first hour with data, as_of)."""
    day = pl.col("date")
    if span is None:
        covered = pl.lit(0.0)
    else:
        first, end = span
        inside = pl.min_horizontal(local_midnight(day.dt.offset_by("1d"), tz), pl.lit(end)) - pl.max_horizontal(
            local_midnight(day, tz), pl.lit(first)
        )
        covered = _hours(inside).clip(lower_bound=0.0)
    return daily.with_columns(covered.alias("hours_covered")).with_columns(
        (pl.col("hours_covered") < day_hours(day, tz)).alias("partial_day")
    )


def strongest_hour(counts: pl.DataFrame, as_of_: datetime | None, keys: list[str]) -> dict | None:
    """Of the last 24 h before `as_of`, the hour with most tweets of one series (keys, e.g. hashtag and party),
    with the mean of that series' 12 hours before it (hours without tweets count 0) and the ratio to it.
    Ties go to the earliest hour. None when the last 24 h have no tweets."""
    if as_of_ is None:
        return None
    lookback = WINDOWS["24h"] + STRONGEST_BASELINE_HOURS
    recent = counts.filter(window(as_of_, 0, lookback)).group_by(*keys, "period_start").agg(pl.col("tweets").sum())
    # The sum over [t − 12 h, t) read from the series' own hours: hours without tweets add 0, no grid needed.
    summed_before = pl.col("tweets").rolling_sum_by("period_start", f"{STRONGEST_BASELINE_HOURS}h", closed="left")
    best = (
        recent.sort(*keys, "period_start")
        .with_columns((summed_before.over(keys).fill_null(0) / STRONGEST_BASELINE_HOURS).alias("mean_before"))
        .filter(window(as_of_, 0, WINDOWS["24h"]) & (pl.col("tweets") > 0))
        .with_columns(pl.when(pl.col("mean_before") > 0).then(pl.col("tweets") / pl.col("mean_before")).alias("ratio"))
        .sort("tweets", "period_start", *keys, descending=[True, False, *[False] * len(keys)])
    )
    return None if best.is_empty() else best.row(0, named=True)


@dataclass(frozen=True)
class Rally:
    """The next announced rally, or the latest held when none is announced after `as_of`."""

    row: dict  # a row of pulse.metrics.rallies.current_rallies
    upcoming: bool


def next_or_latest_rally(rallies_now: pl.DataFrame, as_of_: datetime | None) -> Rally | None:
    """Of current rallies (one row per rally), the first starting at or after `as_of`, else the latest before it."""
    if as_of_ is None or rallies_now.is_empty():
        return None
    upcoming = rallies_now.filter(pl.col("starts_at") >= as_of_).sort("starts_at", "rally_id")
    if not upcoming.is_empty():
        return Rally(upcoming.row(0, named=True), True)
    held = rallies_now.sort("starts_at", "rally_id", descending=True)
    return Rally(held.row(0, named=True), False)


def latest_space(spaces: pl.DataFrame, until: datetime | None = None) -> dict | None:
    """The Space that started last (before `until`, when given), live or not; None when there is none.

    Spaces are tracked on their own clock: a Space live now is the latest, whatever the hashtag data's as_of."""
    started = spaces if until is None else spaces.filter(pl.col("started_at") < until)
    latest = started.sort("started_at", "space_id", descending=True)
    return None if latest.is_empty() else latest.row(0, named=True)


def preset_dates(preset_hours: int | None, as_of_: datetime | None, first: date, last: date, tz: str) -> tuple:
    """The local dates a preset touches: the days of [as_of − hours, as_of) (None hours: every date)."""
    if preset_hours is None or as_of_ is None:
        return first, last
    local = pl.select(
        pl.lit(as_of_ - timedelta(hours=preset_hours)).dt.convert_time_zone(tz).dt.date().alias("start"),
        pl.lit(as_of_ - timedelta(microseconds=1)).dt.convert_time_zone(tz).dt.date().alias("end"),
    ).row(0)
    return max(local[0], first), min(local[1], last)
