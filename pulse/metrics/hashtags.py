"""Hashtags: daily and hourly tweets per hashtag (or campaign) and party, spike days, share of voice, and the
Hashtags page's tables. See docs/metrics.md.
"""

from dataclasses import dataclass
from datetime import datetime

import polars as pl

from pulse.data.contract import normalise_hashtag
from pulse.data.dataset import Dataset
from pulse.metrics.filters import Filters, data_window, hours_shown, in_dates, in_parties
from pulse.metrics.recent import window_totals, with_coverage
from pulse.metrics.series import daily_counts, daily_stats, fill_gaps, pct_change, rolling_7d, share_pct

HASHTAG_DAILY = ("hashtag", "party", "date", "tweets", "growth_pct", "rolling_7d", "cumulative")
PARTY_DAILY = ("party", "date", "tweets", "share_of_voice_pct", "growth_pct", "rolling_7d")


def hashtag_daily(counts: pl.DataFrame, tz: str) -> pl.DataFrame:
    """Daily tweets per (hashtag, party) with growth, 7-day rolling mean and running total."""
    return hashtag_series(daily_counts(counts, tz))


def hashtag_series(days: pl.DataFrame) -> pl.DataFrame:
    """hashtag_daily from tweets already summed per local date (daily_counts)."""
    return daily_stats(fill_gaps(days, ["hashtag", "party"], "day"), ["hashtag", "party"]).select(HASHTAG_DAILY)


def party_daily(daily: pl.DataFrame) -> pl.DataFrame:
    """Daily tweets per party (from the hashtag daily series) with share of voice, growth and rolling mean."""
    return (
        daily.group_by("party", "date")
        .agg(pl.col("tweets").sum())
        .sort("party", "date")
        .with_columns(
            share_pct(pl.col("tweets"), pl.col("tweets").sum().over("date")).alias("share_of_voice_pct"),
            pct_change().over("party").alias("growth_pct"),
            rolling_7d().over("party").alias("rolling_7d"),
        )
        .select(PARTY_DAILY)
    )


# ---- Pages: Hashtags ----------------------------------------------------------------------------------------------

# A spike day: well above the series' own recent level. See docs/metrics.md.
SPIKE_FACTOR = 2.0  # tweets above this multiple of the trailing mean
SPIKE_WINDOW_DAYS = 14  # the trailing mean covers this many days before the day
SPIKE_MIN_DAYS = 7  # and needs at least this many of them
SPIKE_MIN_TWEETS = 100  # and the day has at least this many tweets, so that 3 after 1 is not a spike

HASHTAG_SUMMARY = (
    "party",
    "rank",
    "tweets",
    "share_of_party_pct",
    "tweets_7d",
    "growth_7d_pct",
    "peak_day",
    "peak_day_tweets",
    "peak_hour",
    "peak_hour_tweets",
    "spike_days",
)


@dataclass(frozen=True)
class HashtagTables:
    """The Hashtags page's tables for one set of filters, by hashtag or by campaign (`key`)."""

    key: str  # "hashtag" or "campaign": the name of the series column
    daily: pl.DataFrame  # key, party, date, tweets, growth_pct, rolling_7d, cumulative, trailing_mean, ...
    hourly: pl.DataFrame  # key, party, period_start, tweets (every hour of the range; no tweets is 0)
    summary: pl.DataFrame  # one row per series: rank in its party, totals, growth, peaks, spike days
    span: tuple[datetime, datetime] | None = None  # the data window [first hour, as_of) (pulse.metrics.recent)

    @property
    def spike_days(self) -> pl.DataFrame:
        """The spike days of the daily series, in date order."""
        return self.daily.filter(pl.col("is_spike")).sort("date", self.key).drop("is_spike")


def campaign_of(hashtag: pl.Expr, groups: pl.DataFrame) -> pl.Expr:
    """The campaign of each hashtag: its entry in `hashtag_groups`, else the hashtag itself."""
    # A groups file with two spellings of one hashtag is rejected on load; a frame built otherwise keeps
    # the first, so a hashtag never counts twice.
    # Matched as hashtags compare (case and '#' aside), so the groups file may spell a hashtag its own way.
    mapping = groups.select(normalise_hashtag(pl.col("hashtag")).alias("key"), "campaign").unique(
        "key", keep="first", maintain_order=True
    )
    return normalise_hashtag(hashtag).replace_strict(
        mapping["key"], mapping["campaign"], default=hashtag, return_dtype=pl.String
    )


def with_campaign(frame: pl.DataFrame, groups: pl.DataFrame) -> pl.DataFrame:
    """Each row's campaign (campaign_of its hashtag)."""
    return frame.with_columns(campaign_of(pl.col("hashtag"), groups).alias("campaign"))


def in_hashtags(filters: Filters, groups: pl.DataFrame, by: str = "hashtag") -> pl.Expr:
    """Whether a row's hashtag is one the filters pick (every row when they pick none): a hashtag picked, or any
    hashtag of a campaign picked (named by its name or by one of its hashtags). For a table built from campaigns
    (`by` "campaign") a hashtag picked picks its whole campaign, so no campaign is ever counted in part.
    Compared as hashtags compare (case and '#' aside)."""
    if filters.hashtags is None and filters.campaigns is None:
        return pl.lit(True)
    hashtags, campaigns = list(filters.hashtags or ()), list(filters.campaigns or ())
    if by == "campaign":
        hashtags, campaigns = [], campaigns + hashtags
    keep = pl.lit(False)
    if hashtags:
        picked = pl.Series(hashtags, dtype=pl.String).to_frame("tag").select(normalise_hashtag(pl.col("tag")))
        keep |= normalise_hashtag(pl.col("hashtag")).is_in(picked["tag"].implode())
    if campaigns:
        named = pl.Series(campaigns, dtype=pl.String).to_frame("name")
        wanted = named.select(normalise_hashtag(campaign_of(pl.col("name"), groups)))["name"]
        keep |= normalise_hashtag(campaign_of(pl.col("hashtag"), groups)).is_in(wanted.implode())
    return keep


def spellings(hashtags: pl.Series, groups: pl.DataFrame) -> pl.DataFrame:
    """Each distinct hashtag of `hashtags` with its campaign, in hashtag order: what can be picked, either way."""
    return with_campaign(hashtags.unique().sort().to_frame("hashtag"), groups)


def campaign_daily(daily: pl.DataFrame, groups: pl.DataFrame) -> pl.DataFrame:
    """The hashtag daily series summed per campaign and party, with growth, rolling mean and running total."""
    keys = ["campaign", "party"]
    summed = with_campaign(daily, groups).group_by(*keys, "date").agg(pl.col("tweets").sum())
    return daily_stats(summed, keys).select(*keys, *HASHTAG_DAILY[2:])


def spike_days(daily: pl.DataFrame, key: str) -> pl.DataFrame:
    """Flag each day whose tweets exceed SPIKE_FACTOR x the mean of the SPIKE_WINDOW_DAYS days before it.

    `daily` must have a row for every day of each series (as hashtag_daily has). The day itself is not in its
    own baseline; fewer than SPIKE_MIN_DAYS earlier days, or fewer than SPIKE_MIN_TWEETS tweets, is no spike.
    """
    keys = [key, "party"]
    trailing = pl.col("tweets").cast(pl.Float64).shift(1).rolling_mean(SPIKE_WINDOW_DAYS, min_samples=SPIKE_MIN_DAYS)
    return daily.sort(*keys, "date").with_columns(trailing.over(keys).alias("trailing_mean")).with_columns(_spike())


def _spike() -> list[pl.Expr]:
    """spike_ratio and is_spike of a day's `tweets` against its `trailing_mean`."""
    return [
        pl.when(pl.col("trailing_mean") > 0).then(pl.col("tweets") / pl.col("trailing_mean")).alias("spike_ratio"),
        ((pl.col("tweets") >= SPIKE_MIN_TWEETS) & (pl.col("tweets") > SPIKE_FACTOR * pl.col("trailing_mean")))
        .fill_null(False)
        .alias("is_spike"),
    ]


def party_hourly(counts: pl.DataFrame, filters: Filters, tz: str) -> pl.DataFrame:
    """Tweets per party and hour of the date range (every hour from the first to the last; none is 0)."""
    chosen = counts.filter(in_dates(pl.col("period_start"), filters, tz) & in_parties(filters))
    return fill_gaps(chosen.group_by("party", "period_start").agg(pl.col("tweets").sum()), ["party"], "hour")


def series_summary(daily: pl.DataFrame, hourly: pl.DataFrame, key: str, recent: pl.DataFrame) -> pl.DataFrame:
    """One row per series: its rank and share within its party, its last 7 days (`recent`: window_totals) and
    their growth, its peak day and hour."""
    keys = [key, "party"]
    weeks = recent.select(*keys, "tweets_7d", "growth_7d_pct")
    peak_day = (
        daily.sort("tweets", "date", descending=[True, False])
        .group_by(keys, maintain_order=True)
        .agg(pl.col("date").first().alias("peak_day"), pl.col("tweets").first().alias("peak_day_tweets"))
    )
    peak_hour = (
        hourly.sort("tweets", "period_start", descending=[True, False])
        .group_by(keys, maintain_order=True)
        .agg(pl.col("period_start").first().alias("peak_hour"), pl.col("tweets").first().alias("peak_hour_tweets"))
    )
    totals = daily.group_by(keys).agg(
        pl.col("tweets").sum(), pl.col("is_spike").sum().cast(pl.Int64).alias("spike_days")
    )
    return (
        totals.join(weeks, on=keys, how="left")
        .join(peak_day, on=keys, how="left")
        .join(peak_hour, on=keys, how="left")
        .with_columns(pl.col("tweets_7d").fill_null(0))
        .with_columns(
            pl.col("tweets").rank("ordinal", descending=True).over("party").cast(pl.Int64).alias("rank"),
            share_pct(pl.col("tweets"), pl.col("tweets").sum().over("party")).alias("share_of_party_pct"),
        )
        .select("party", "rank", key, *HASHTAG_SUMMARY[2:])
        .sort("party", "rank", key)
    )


def hashtag_tables(data: Dataset, filters: Filters, by: str = "hashtag") -> HashtagTables:
    """Daily (with spike days) and hourly series and their summary, per hashtag or per campaign (`by`)."""
    tz, counts = data.tz, data.hashtags.counts
    end, span = data_window(counts, filters, tz)  # every hashtag and party: the same window for all
    counts = counts.filter(in_hashtags(filters, data.hashtag_groups, by))
    recent = counts.filter(in_parties(filters))
    in_range = counts.filter(in_dates(pl.col("period_start"), filters, tz))
    # As in hashtag_daily.csv: the series of the date range (a preset's hours), then the party filter.
    daily = hashtag_series(daily_counts(in_range, tz)).filter(in_parties(filters))
    # Spike days look back before the range, so their trailing means come from the whole history.
    history = hashtag_series(daily_counts(counts, tz)).filter(in_parties(filters))
    hourly = in_range.filter(in_parties(filters))
    if by == "campaign":
        daily, history = campaign_daily(daily, data.hashtag_groups), campaign_daily(history, data.hashtag_groups)
        hourly = with_campaign(hourly, data.hashtag_groups)
        recent = with_campaign(recent, data.hashtag_groups)
    keys = [by, "party"]
    trailing = spike_days(history, by).select(*keys, "date", "trailing_mean")
    # A day a preset's hours cut is judged on its tweets in those hours, as the data's partial last day is.
    daily = daily.join(trailing, on=[*keys, "date"], how="left").with_columns(_spike()).sort(*keys, "date")
    daily = with_coverage(daily, tz, hours_shown(span, filters))
    hourly = fill_gaps(hourly.group_by(*keys, "period_start").agg(pl.col("tweets").sum()), keys, "hour")
    summary = series_summary(daily, hourly, by, window_totals(recent, end, keys))
    return HashtagTables(by, daily, hourly, summary, span)


# ---- Many lines: a chart draws the top series, the rest summed as one --------------------------------------------

OTHER_LINES = {"hashtag": "Other hashtags", "campaign": "Other campaigns"}


def top_series(series: pl.DataFrame, key: str, n: int, by: str = "tweets") -> pl.DataFrame:
    """The `n` series (`key`, party) with the most `by` summed over `series`, most first; ties by name."""
    return (
        series.group_by(key, "party")
        .agg(pl.col(by).sum())
        .sort(by, key, "party", descending=[True, False, False], nulls_last=True)
        .head(n)
        .select(key, "party")
    )


def with_other(series: pl.DataFrame, top: pl.DataFrame, key: str, at: str = "date") -> pl.DataFrame:
    """The rows of the `top` series in its order, then every other series summed per `at` (date or period_start)
    into one line, OTHER_LINES[key], of no party. A daily line gets its growth, rolling mean and running total from
    its summed tweets (as a campaign does); it is never a spike day. No other line when `top` holds every series."""
    keys = [key, "party"]
    ranked = top.select(keys).with_row_index("__rank")
    kept = ranked.join(series, on=keys).sort("__rank", at).select(series.columns)
    rest = series.join(top, on=keys, how="anti")
    if rest.is_empty():
        return kept
    coverage = [c for c in ("hours_covered", "partial_day") if c in series.columns]
    other = (
        rest.group_by(at)
        .agg(pl.col("tweets").sum(), pl.col(coverage).first())
        .with_columns(pl.lit(OTHER_LINES[key]).alias(key), pl.lit(None, series.schema["party"]).alias("party"))
        .sort(at)
    )
    if "cumulative" in series.columns:
        other = daily_stats(other, [key])
    if "is_spike" in series.columns:
        other = other.with_columns(pl.lit(False).alias("is_spike"))
    return pl.concat([kept, other], how="diagonal_relaxed").select(series.columns)


OTHER_PARTIES = "Other parties"


def share_of_voice(party_daily: pl.DataFrame) -> pl.DataFrame:
    """Each shown party's daily share of all tweets, plus the parties filtered out as 'Other parties' (to 100%).
    The day's coverage (hours_covered, partial_day) comes along when `party_daily` has it."""
    coverage = [c for c in ("hours_covered", "partial_day") if c in party_daily.columns]
    shares = party_daily.filter(pl.col("share_of_voice_pct").is_not_null()).select(
        "party", "date", "share_of_voice_pct", *coverage
    )
    rest = (
        shares.group_by("date")
        .agg((100 - pl.col("share_of_voice_pct").sum()).alias("share_of_voice_pct"), pl.col(coverage).first())
        .filter(pl.col("share_of_voice_pct") > 1e-6)  # float noise when every party is shown
        .select(pl.lit(OTHER_PARTIES).alias("party"), "date", "share_of_voice_pct", *coverage)
    )
    return pl.concat([shares, rest]).sort("date", "party")


def unique_authors_daily(
    authors: pl.DataFrame, filters: Filters, groups: pl.DataFrame, by: str = "hashtag"
) -> pl.DataFrame:
    """Unique authors per hashtag, party and local day under the filters (raw tweets with author ids only); beside
    a view by campaign (`by`), of the hashtags of whole campaigns (in_hashtags)."""
    keep = in_dates(pl.col("date"), filters) & in_parties(filters) & in_hashtags(filters, groups, by)
    return authors.filter(keep).sort("hashtag", "party", "date")
