"""The metrics of docs/metrics.md: pure functions over validated polars frames.

Times are UTC; days are local dates in the time zone passed in. Nothing here rounds:
rounding to 2 decimals happens once, in pulse.export.
"""

from dataclasses import dataclass
from datetime import date, timedelta

import polars as pl

from pulse.load import Dataset, local_date

SPACE_METRICS = ("duration_min", "retention_pct", "listener_minutes", "record_multiple", "is_record")
HASHTAG_DAILY = ("hashtag", "party", "date", "tweets", "growth_pct", "rolling_7d", "cumulative")
PARTY_DAILY = ("party", "date", "tweets", "share_of_voice_pct", "growth_pct", "rolling_7d")
PARTY_SUMMARY = (
    "party",
    "spaces",
    "spaces_reach",
    "best_space_reach",
    "tweets",
    "share_of_voice_pct",
    "growth_7d_pct",
    "rallies",
)
EVENTS = ("event_type", "event_id", "party", "at", "baseline", "after_24h", "lift")


@dataclass(frozen=True)
class Filters:
    """What the user selected: inclusive local dates, parties and hashtags (None = all)."""

    start: date | None = None
    end: date | None = None
    parties: tuple[str, ...] | None = None
    hashtags: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Tables:
    """The five tables the export CLI writes and the pages show, for one set of filters."""

    spaces: pl.DataFrame
    hashtag_daily: pl.DataFrame
    party_daily: pl.DataFrame
    party_summary: pl.DataFrame
    events: pl.DataFrame

    def as_dict(self) -> dict[str, pl.DataFrame]:
        return {
            "spaces": self.spaces,
            "hashtag_daily": self.hashtag_daily,
            "party_daily": self.party_daily,
            "party_summary": self.party_summary,
            "events": self.events,
        }


def pct_change(col: str = "tweets") -> pl.Expr:
    """(today - yesterday) / yesterday x 100; empty when yesterday is 0 or absent."""
    previous = pl.col(col).shift(1)
    return pl.when(previous > 0).then((pl.col(col) - previous) / previous * 100)


def rolling_7d(col: str = "tweets") -> pl.Expr:
    """Mean of the 7 days ending today, over the days that exist when fewer than 7 do."""
    return pl.col(col).cast(pl.Float64).rolling_mean(7, min_samples=1)


def share_pct(part: pl.Expr, whole: pl.Expr) -> pl.Expr:
    return pl.when(whole > 0).then(part / whole * 100)


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


def space_metrics(spaces: pl.DataFrame) -> pl.DataFrame:
    """Each Space with duration, retention, listener-minutes and its place in the record progression."""
    # The record a Space is measured against is the largest total of Spaces that started strictly earlier,
    # so Spaces starting at the same moment are compared with what came before them, not each other.
    earlier_best = (
        spaces.group_by("started_at")
        .agg(pl.col("total_listeners").max().alias("best_at_start"))
        .sort("started_at")
        .select(
            "started_at",
            pl.col("best_at_start").cum_max().forward_fill().shift(1).alias("earlier_best"),
        )
    )
    duration = (pl.col("ended_at") - pl.col("started_at")).dt.total_microseconds() / 60e6
    return (
        spaces.join(earlier_best, on="started_at", how="left")
        .with_columns(duration.alias("duration_min"))
        .with_columns(
            share_pct(pl.col("avg_listeners"), pl.col("total_listeners")).alias("retention_pct"),
            (pl.col("avg_listeners") * pl.col("duration_min")).alias("listener_minutes"),
            pl.when(pl.col("earlier_best") > 0)
            .then(pl.col("total_listeners") / pl.col("earlier_best"))
            .alias("record_multiple"),
            pl.when(pl.col("total_listeners").is_null())
            .then(None)
            .otherwise(pl.col("earlier_best").is_null() | (pl.col("total_listeners") > pl.col("earlier_best")))
            .alias("is_record"),
        )
        .drop("earlier_best")
        .sort("started_at", "space_id")
    )


def daily_counts(counts: pl.DataFrame, tz: str) -> pl.DataFrame:
    """Hourly counts summed per hashtag, party and local date."""
    return (
        counts.lazy()
        .group_by("hashtag", "party", local_date(pl.col("period_start"), tz).alias("date"))
        .agg(pl.col("tweets").sum())
        .collect()
    )


def fill_days(daily: pl.DataFrame, keys: list[str]) -> pl.DataFrame:
    """One row per key and per date from the earliest to the latest date, missing days as 0 tweets."""
    if daily.is_empty():
        return daily.select(*keys, "date", "tweets")
    first, last = daily["date"].min(), daily["date"].max()
    grid = (
        daily.select(keys)
        .unique()
        .join(pl.DataFrame({"date": pl.date_range(first, last, "1d", eager=True)}), how="cross")
    )
    return (
        grid.join(daily.select(*keys, "date", "tweets"), on=[*keys, "date"], how="left")
        .with_columns(pl.col("tweets").fill_null(0))
        .sort(*keys, "date")
    )


def hashtag_daily(counts: pl.DataFrame, tz: str) -> pl.DataFrame:
    """Daily tweets per (hashtag, party) with growth, 7-day rolling mean and running total."""
    keys = ["hashtag", "party"]
    return (
        fill_days(daily_counts(counts, tz), keys)
        .with_columns(
            pct_change().over(keys).alias("growth_pct"),
            rolling_7d().over(keys).alias("rolling_7d"),
            pl.col("tweets").cum_sum().over(keys).alias("cumulative"),
        )
        .select(HASHTAG_DAILY)
    )


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


def current_rallies(rallies: pl.DataFrame) -> pl.DataFrame:
    """One row per rally as it now stands (its latest announcement), with its announcement history summed up."""
    return (
        rallies.sort("announced_at")
        .group_by("rally_id")
        .agg(
            pl.all().exclude("announced_at").last(),
            pl.col("announced_at").first().alias("first_announced_at"),
            pl.col("announced_at").last().alias("announced_at"),
            pl.len().cast(pl.Int64).alias("announcements"),
        )
        .with_columns(
            ((pl.col("starts_at") - pl.col("first_announced_at")).dt.total_microseconds() / 86_400e6).alias("lead_days")
        )
        .sort("starts_at", "rally_id")
    )


def week_totals(daily: pl.DataFrame) -> pl.DataFrame:
    """Per party, tweets in the 7 local days ending at the latest date of `daily`, and in the 7 days before."""
    latest = daily["date"].max()
    if latest is None:
        return pl.DataFrame(schema={"party": pl.String, "this_week": pl.Int64, "last_week": pl.Int64})
    age = (pl.lit(latest) - pl.col("date")).dt.total_days()
    return (
        daily.group_by("party")
        .agg(
            pl.col("tweets").filter(age < 7).sum().alias("this_week"),
            pl.col("tweets").filter((age >= 7) & (age < 14)).sum().alias("last_week"),
        )
        .sort("party")
    )


def party_summary(
    spaces: pl.DataFrame, daily: pl.DataFrame, rallies: pl.DataFrame, parties: tuple[str, ...] | None = None
) -> pl.DataFrame:
    """One row per party over the selected range (inputs already cut to it; `daily` keeps every party).

    Share of voice is against all parties' tweets in range, so narrowing the party filter does not inflate it.
    """
    tweets = daily.group_by("party").agg(pl.col("tweets").sum())
    growth = week_totals(daily).select(
        "party", share_pct(pl.col("this_week") - pl.col("last_week"), pl.col("last_week")).alias("growth_7d_pct")
    )
    space_stats = spaces.group_by("party").agg(
        pl.len().cast(pl.Int64).alias("spaces"),
        pl.col("total_listeners").sum().alias("spaces_reach"),
        pl.col("total_listeners").max().alias("best_space_reach"),
    )
    rally_stats = rallies.group_by("party").agg(pl.col("rally_id").n_unique().cast(pl.Int64).alias("rallies"))
    everyone = pl.concat([f.select(pl.col("party").cast(pl.String)) for f in (spaces, daily, rallies)]).unique()
    summary = (
        everyone.join(space_stats, on="party", how="left")
        .join(tweets, on="party", how="left")
        .join(growth, on="party", how="left")
        .join(rally_stats, on="party", how="left")
        .with_columns(pl.col("spaces", "spaces_reach", "tweets", "rallies").fill_null(0))
        .with_columns(share_pct(pl.col("tweets"), pl.col("tweets").sum()).alias("share_of_voice_pct"))
    )
    if parties is not None:
        summary = summary.filter(pl.col("party").is_in(list(parties)))
    return summary.select(PARTY_SUMMARY).sort("party")


def events(spaces: pl.DataFrame, rallies: pl.DataFrame) -> pl.DataFrame:
    """Every event that may move the numbers: Space starts, rally announcements and rally starts."""
    frames = [
        spaces.select(
            pl.lit("space").alias("event_type"),
            pl.col("space_id").alias("event_id"),
            "party",
            pl.col("started_at").alias("at"),
        ),
        rallies.select(
            pl.lit("rally_announcement").alias("event_type"),
            pl.col("rally_id").alias("event_id"),
            "party",
            pl.col("announced_at").alias("at"),
        ),
        current_rallies(rallies).select(
            pl.lit("rally").alias("event_type"),
            pl.col("rally_id").alias("event_id"),
            "party",
            pl.col("starts_at").alias("at"),
        ),
    ]
    return pl.concat(frames).sort("at", "event_type", "event_id")


def event_lift(events_frame: pl.DataFrame, counts: pl.DataFrame) -> pl.DataFrame:
    """Each event's party tweets in the 7 days before (per day) against the 24 hours after.

    Window sums come from a per-party running total read at the window edges, so the cost grows with
    events plus hours, not their product.
    """
    running = (
        counts.group_by("party", "period_start")
        .agg(pl.col("tweets").sum())
        .sort("party", "period_start")
        .select("party", "period_start", pl.col("tweets").cum_sum().over("party").alias("running"))
        .sort("period_start")
    )

    def tweets_before(edge: pl.Expr, name: str) -> pl.LazyFrame:
        # Tweets whose period starts strictly before the edge: the running total at the last such period.
        probes = events_frame.lazy().with_row_index("__event").with_columns(edge.alias("__edge")).sort("__edge")
        return probes.join_asof(
            running.lazy(),
            left_on="__edge",
            right_on="period_start",
            by="party",
            allow_exact_matches=False,
            check_sortedness=False,  # sorted just above; polars cannot verify it within by-groups
        ).select("__event", pl.col("running").fill_null(0).alias(name))

    at = pl.col("at")
    edges = [
        tweets_before(at - timedelta(days=7), "before_week"),
        tweets_before(at, "before_event"),
        tweets_before(at + timedelta(hours=24), "before_day_after"),
    ]
    lifted = events_frame.lazy().with_row_index("__event")
    for edge in edges:
        lifted = lifted.join(edge, on="__event", how="left")
    return (
        lifted.with_columns(
            ((pl.col("before_event") - pl.col("before_week")) / 7).alias("baseline"),
            (pl.col("before_day_after") - pl.col("before_event")).alias("after_24h"),
        )
        .with_columns(pl.when(pl.col("baseline") > 0).then(pl.col("after_24h") / pl.col("baseline")).alias("lift"))
        .select(EVENTS)
        .sort("at", "event_type", "event_id")
        .collect()
    )


def compute_tables(data: Dataset, filters: Filters) -> Tables:
    """The five export tables for one set of filters: what the CLI writes and the pages download."""
    tz = data.tz
    counts = data.hashtags.counts
    spaces = space_metrics(data.spaces)
    spaces_in = spaces.filter(in_dates(local_date(pl.col("started_at"), tz), filters) & in_parties(filters))

    daily_all = hashtag_daily(counts.filter(in_dates(local_date(pl.col("period_start"), tz), filters)), tz)
    hashtags_in = daily_all.filter(in_parties(filters))
    if filters.hashtags is not None:
        hashtags_in = hashtags_in.filter(pl.col("hashtag").is_in(list(filters.hashtags)))
    party_all = party_daily(daily_all)

    rallies_now = current_rallies(data.rallies)
    rallies_in = rallies_now.filter(in_dates(local_date(pl.col("starts_at"), tz), filters))
    summary = party_summary(
        spaces.filter(in_dates(local_date(pl.col("started_at"), tz), filters)),
        daily_all,
        rallies_in,
        filters.parties,
    )
    lifted = event_lift(events(data.spaces, data.rallies), counts).filter(
        in_dates(local_date(pl.col("at"), tz), filters) & in_parties(filters)
    )
    return Tables(
        spaces=spaces_in,
        hashtag_daily=hashtags_in,
        party_daily=party_all.filter(in_parties(filters)),
        party_summary=summary,
        events=lifted,
    )
