"""The generic time-series helpers of docs/metrics.md: daily sums, gap-filled series, growth, rolling means, shares.

Nothing in pulse.metrics rounds: rounding to 2 decimals happens once, in pulse.data.export.
"""

from datetime import timedelta

import polars as pl

from pulse.data.contract import local_date
from pulse.errors import PulseError
from pulse.metrics.recent import change_pct

# Gap-filled series (every key × every day or hour of the data) are built only up to this size: hostile data
# with many keys spread over the whole window of plausible dates (pulse.config.date_window) must not make one.
MAX_FILLED_ROWS = 5_000_000

# A gap-filled series' time column and step, by the step's name.
GAP_STEPS = {"day": ("date", timedelta(days=1)), "hour": ("period_start", timedelta(hours=1))}


def pct_change(col: str = "tweets") -> pl.Expr:
    """(today - yesterday) / yesterday x 100; empty when yesterday is 0 or absent."""
    return change_pct(pl.col(col), pl.col(col).shift(1))


def rolling_7d(col: str = "tweets") -> pl.Expr:
    """Mean of the 7 days ending today, over the days that exist when fewer than 7 do."""
    return pl.col(col).cast(pl.Float64).rolling_mean(7, min_samples=1)


def share_pct(part: pl.Expr, whole: pl.Expr) -> pl.Expr:
    return pl.when(whole > 0).then(part / whole * 100)


def daily_counts(counts: pl.DataFrame, tz: str) -> pl.DataFrame:
    """Hourly counts summed per hashtag, party and local date."""
    return (
        counts.lazy()
        .group_by("hashtag", "party", local_date(pl.col("period_start"), tz).alias("date"))
        .agg(pl.col("tweets").sum())
        .collect()
    )


def check_grid(series: int, steps: int, unit: str) -> None:
    """Refuse a gap-filled table of more than MAX_FILLED_ROWS rows before it is built (see docs/security.md)."""
    if series * steps > MAX_FILLED_ROWS:
        raise PulseError(
            f"too much to chart: {series:,} series × {steps:,} {unit}s would be {series * steps:,} rows, more than "
            f"the {MAX_FILLED_ROWS:,} the server builds at once; narrow the dates, parties or hashtags"
        )


def fill_gaps(series: pl.DataFrame, keys: list[str], step: str) -> pl.DataFrame:
    """One row per key and per day or hour (`step`: "day" over `date`, "hour" over `period_start`) from the
    earliest to the latest of `series`, missing ones as 0 tweets."""
    at, length = GAP_STEPS[step]
    if series.is_empty():
        return series.select(*keys, at, "tweets")
    first, last = series[at].min(), series[at].max()
    check_grid(series.select(keys).n_unique(), (last - first) // length + 1, step)
    times = (pl.date_range if step == "day" else pl.datetime_range)(first, last, length, eager=True)
    grid = series.select(keys).unique().join(pl.DataFrame({at: times}), how="cross")
    return (
        grid.join(series.select(*keys, at, "tweets"), on=[*keys, at], how="left")
        .with_columns(pl.col("tweets").fill_null(0))
        .sort(*keys, at)
    )


def daily_stats(daily: pl.DataFrame, keys: list[str]) -> pl.DataFrame:
    """Growth, 7-day rolling mean and running total of a gap-free daily series per key."""
    return daily.sort(*keys, "date").with_columns(
        pct_change().over(keys).alias("growth_pct"),
        rolling_7d().over(keys).alias("rolling_7d"),
        pl.col("tweets").cum_sum().over(keys).alias("cumulative"),
    )
