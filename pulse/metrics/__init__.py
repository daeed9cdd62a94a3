"""The metrics of docs/metrics.md: pure functions over validated polars frames.

Times are UTC; days are local dates in the time zone passed in. Nothing here rounds:
rounding to 2 decimals happens once, in pulse.data.export.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import polars as pl

from pulse.data.contract import local_date, normalise_hashtag
from pulse.data.load import Dataset
from pulse.errors import PulseError
from pulse.metrics.recent import (
    Rally,
    as_of,
    change_pct,
    data_span,
    latest_space,
    next_or_latest_rally,
    strongest_hour,
    window_columns,
    window_totals,
    with_coverage,
)

# Gap-filled series (every key × every day or hour of the data) are built only up to this size: hostile data
# with many keys spread over the whole window of plausible dates (pulse.config.date_window) must not make one.
MAX_FILLED_ROWS = 5_000_000
HASHTAG_DAILY = ("hashtag", "party", "date", "tweets", "growth_pct", "rolling_7d", "cumulative")
PARTY_DAILY = ("party", "date", "tweets", "share_of_voice_pct", "growth_pct", "rolling_7d")
PARTY_SUMMARY = (
    "party",
    "spaces",
    "spaces_reach",
    "best_space_reach",
    "tweets",
    "share_of_voice_pct",
    "rallies",
    "as_of",
    *window_columns(),
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
    as_of: datetime | None = field(default=None, compare=False)  # see pulse.metrics.recent.as_of; not a table

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
    return change_pct(pl.col(col), pl.col(col).shift(1))


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
        .join(party_benchmark(spaces), on="space_id", how="left")
        .with_columns(
            pl.when(pl.col("benchmark_listeners") > 0)
            .then(pl.col("total_listeners") / pl.col("benchmark_listeners"))
            .alias("overperforming")
        )
        .sort("started_at", "space_id")
    )


BENCHMARK_SPACES = 20  # the party's most recent earlier Spaces a benchmark looks at
BENCHMARK_MIN_SPACES = 4  # fewer known earlier Spaces than this: no benchmark


def party_benchmark(spaces: pl.DataFrame) -> pl.DataFrame:
    """Per Space, its party's usual audience before it (space_id, benchmark_listeners).

    The trimmed mean of the totals of the party's at most BENCHMARK_SPACES most recent Spaces that started
    strictly earlier and have a known total, dropping the lowest and highest floor(n/4); empty below
    BENCHMARK_MIN_SPACES. Each Space looks at no more than BENCHMARK_SPACES rows, so the cost is linear.
    """
    known = (
        spaces.filter(pl.col("total_listeners").is_not_null())
        .sort("party", "started_at", "space_id")
        .select("party", pl.int_range(pl.len()).over("party").alias("__pos"), "total_listeners")
    )
    # How many known Spaces of the party started strictly before each moment (ties share the moment).
    known_before = (
        spaces.filter(pl.col("total_listeners").is_not_null())
        .group_by("party", "started_at")
        .agg(pl.len().alias("__at"))
        .sort("started_at")
        .with_columns(pl.col("__at").cum_sum().over("party").alias("__upto"))
        .select("party", "started_at", "__upto")
    )
    earlier = (
        spaces.select("space_id", "party", "started_at")
        .sort("started_at")
        .join_asof(known_before, on="started_at", by="party", allow_exact_matches=False, check_sortedness=False)
        .select("space_id", "party", pl.col("__upto").fill_null(0).cast(pl.Int64).alias("__n"))
    )
    window = (
        earlier.filter(pl.col("__n") >= BENCHMARK_MIN_SPACES)
        .with_columns(
            pl.int_ranges(pl.max_horizontal(pl.col("__n") - BENCHMARK_SPACES, 0), pl.col("__n")).alias("__pos")
        )
        .explode("__pos")
        .join(known, on=["party", "__pos"], how="inner")
    )
    rank = pl.col("total_listeners").rank("ordinal").over("space_id")
    trim = (pl.len().over("space_id") // 4).cast(pl.UInt32)
    benchmark = (
        window.filter((rank > trim) & (rank <= pl.len().over("space_id") - trim))
        .group_by("space_id")
        .agg(pl.col("total_listeners").mean().alias("benchmark_listeners"))
    )
    return spaces.select("space_id").join(benchmark, on="space_id", how="left")


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


def fill_days(daily: pl.DataFrame, keys: list[str]) -> pl.DataFrame:
    """One row per key and per date from the earliest to the latest date, missing days as 0 tweets."""
    if daily.is_empty():
        return daily.select(*keys, "date", "tweets")
    first, last = daily["date"].min(), daily["date"].max()
    check_grid(daily.select(keys).n_unique(), (last - first).days + 1, "day")
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


def daily_stats(daily: pl.DataFrame, keys: list[str]) -> pl.DataFrame:
    """Growth, 7-day rolling mean and running total of a gap-free daily series per key."""
    return daily.sort(*keys, "date").with_columns(
        pct_change().over(keys).alias("growth_pct"),
        rolling_7d().over(keys).alias("rolling_7d"),
        pl.col("tweets").cum_sum().over(keys).alias("cumulative"),
    )


def hashtag_daily(counts: pl.DataFrame, tz: str) -> pl.DataFrame:
    """Daily tweets per (hashtag, party) with growth, 7-day rolling mean and running total."""
    return hashtag_series(daily_counts(counts, tz))


def hashtag_series(days: pl.DataFrame) -> pl.DataFrame:
    """hashtag_daily from tweets already summed per local date (daily_counts)."""
    return daily_stats(fill_days(days, ["hashtag", "party"]), ["hashtag", "party"]).select(HASHTAG_DAILY)


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


def party_summary(
    spaces: pl.DataFrame,
    daily: pl.DataFrame,
    rallies: pl.DataFrame,
    recent: pl.DataFrame,
    as_of_: datetime | None,
    parties: tuple[str, ...] | None = None,
) -> pl.DataFrame:
    """One row per party over the selected range (inputs already cut to it; `daily` keeps every party), with the
    recent windows ending at `as_of_` (`recent`: pulse.metrics.recent.window_totals per party).

    Share of voice is against all parties' tweets in range, so narrowing the party filter does not inflate it.
    """
    tweets = daily.group_by("party").agg(pl.col("tweets").sum())
    known = pl.col("total_listeners").is_not_null().any()
    space_stats = spaces.group_by("party").agg(
        pl.len().cast(pl.Int64).alias("spaces"),
        pl.when(known).then(pl.col("total_listeners").sum()).alias("spaces_reach"),  # no known total: unknown
        pl.col("total_listeners").max().alias("best_space_reach"),
    )
    counted = [c for c in window_columns() if c.startswith("tweets")]
    rally_stats = rallies.group_by("party").agg(pl.col("rally_id").n_unique().cast(pl.Int64).alias("rallies"))
    everyone = pl.concat([f.select(pl.col("party").cast(pl.String)) for f in (spaces, daily, rallies)]).unique()
    summary = (
        everyone.join(space_stats, on="party", how="left")
        .join(tweets, on="party", how="left")
        .join(recent, on="party", how="left")
        .join(rally_stats, on="party", how="left")
        .with_columns(
            pl.col("spaces", "tweets", "rallies", *counted).fill_null(0),
            pl.when(pl.col("spaces") > 0).then(pl.col("spaces_reach")).otherwise(0).alias("spaces_reach"),
            pl.lit(as_of_, pl.Datetime("us", "UTC")).alias("as_of"),
        )
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
    spaces = space_metrics(data.spaces).filter(in_dates(local_date(pl.col("started_at"), tz), filters))
    end, span = data_window(counts, filters, tz)

    daily_all = hashtag_daily(counts.filter(in_dates(local_date(pl.col("period_start"), tz), filters)), tz)
    hashtags_in = daily_all.filter(in_parties(filters))
    if filters.hashtags is not None:
        hashtags_in = hashtags_in.filter(pl.col("hashtag").is_in(list(filters.hashtags)))
    party_all = party_daily(daily_all)

    rallies_now = current_rallies(data.rallies)
    rallies_in = rallies_now.filter(in_dates(local_date(pl.col("starts_at"), tz), filters))
    recent = window_totals(counts, end, ["party"])
    summary = party_summary(spaces, daily_all, rallies_in, recent, end, filters.parties)
    # Each event's lift depends on that event and the counts alone: pick the events first.
    chosen = events(data.spaces, data.rallies).filter(
        in_dates(local_date(pl.col("at"), tz), filters) & in_parties(filters)
    )
    return Tables(
        spaces=spaces.filter(in_parties(filters)),
        hashtag_daily=with_coverage(hashtags_in, tz, span),
        party_daily=with_coverage(party_all.filter(in_parties(filters)), tz, span),
        party_summary=summary,
        events=event_lift(chosen, counts),
        as_of=end,
    )


def data_window(counts: pl.DataFrame, filters: Filters, tz: str) -> tuple[datetime | None, tuple | None]:
    """`as_of` for these filters (every party, before the party filter) and the data window [first hour, as_of)."""
    span = data_span(counts)
    end = as_of(counts, filters.end, tz)
    return end, None if span is None else (span[0], end)


# ---- Pages: Overview ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Today:
    """The overview's "since yesterday": the strongest hour, the latest Space and the next (or last) rally."""

    strongest: (
        dict | None
    )  # hashtag, party, period_start, tweets, mean_before, ratio (pulse.metrics.recent.strongest_hour)
    space: dict | None  # the latest Space with `listeners` (total, or peak so far while live), `live`, `median`
    rally: Rally | None


def today(data: Dataset, filters: Filters, as_of_: datetime | None) -> Today:
    """What happened in the 24 hours to `as_of_`, for the parties chosen."""
    keep = in_parties(filters)
    space = latest_space(data.spaces.filter(keep), as_of_)
    if space is not None:
        live = space["ended_at"] is None and space["total_listeners"] is None
        party_spaces = data.spaces.filter((pl.col("party") == space["party"]) & (pl.col("started_at") < as_of_))
        space |= {
            "listeners": space["peak_listeners"] if live else space["total_listeners"],
            "live": live,
            "median": party_spaces["total_listeners"].median(),
        }
    return Today(
        strongest=strongest_hour(data.hashtags.counts.filter(keep), as_of_, ["hashtag", "party"]),
        space=space,
        rally=next_or_latest_rally(current_rallies(data.rallies).filter(keep), as_of_),
    )


# ---- Pages: Spaces ------------------------------------------------------------------------------------------------

SPACE_BENCHMARK = (
    "compared",
    "space_id",
    "total_listeners",
    "peak_listeners",
    "avg_listeners",
    "retention_pct",
    "listener_minutes",
    "duration_min",
)


RANKING_FIRST = ("rank", "space_id", "party", "host", "total_listeners", "peak_listeners", "avg_listeners")


def space_ranking(spaces: pl.DataFrame) -> pl.DataFrame:
    """Spaces from the largest total audience down (ties share a rank; unknown totals last, unranked)."""
    rank = pl.col("total_listeners").rank("min", descending=True).cast(pl.Int64)
    return (
        spaces.with_columns(rank.alias("rank"))
        .sort("rank", "started_at", "space_id", nulls_last=True)
        # The audience right after who held the Space: the figure the ranking is about, in view on any screen.
        .select(*RANKING_FIRST, pl.exclude(RANKING_FIRST))
    )


def record_progression(spaces: pl.DataFrame, filters: Filters, tz: str) -> pl.DataFrame:
    """Each Space that set a new all-time record, with the record it broke; `spaces` is every Space (all parties).

    Records are measured against every earlier Space, so the previous record is taken before the date filter,
    and the party filter does not apply: a record is a record whoever held it.
    """
    return (
        spaces.filter(pl.col("is_record").fill_null(False))
        .sort("started_at", "space_id")
        .select(
            "space_id",
            "party",
            "host",
            "started_at",
            "total_listeners",
            pl.col("total_listeners").shift(1).alias("previous_record"),
            "record_multiple",
        )
        .filter(in_dates(local_date(pl.col("started_at"), tz), filters))
    )


def space_reach_by_party(spaces: pl.DataFrame) -> pl.DataFrame:
    """Per party: how many Spaces, their summed, median and best total audience; largest reach first."""
    return (
        spaces.group_by("party")
        .agg(
            pl.len().cast(pl.Int64).alias("spaces"),
            pl.col("total_listeners").sum().alias("spaces_reach"),
            pl.col("total_listeners").median().alias("median_space_reach"),
            pl.col("total_listeners").max().alias("best_space_reach"),
        )
        .sort(["spaces_reach", "party"], descending=[True, False])
    )


def space_benchmarks(spaces: pl.DataFrame, space_id: str) -> pl.DataFrame:
    """One Space beside its party's median Space and the all-time record Space (`spaces`: every Space).

    The median is taken column by column over the party's Spaces with a known value, so it is a typical
    Space, not one real Space. Empty when `space_id` is unknown.
    """
    numbers = list(SPACE_BENCHMARK[2:])
    chosen = spaces.filter(pl.col("space_id") == space_id)
    if chosen.is_empty():
        return pl.DataFrame(schema={"compared": pl.String, "space_id": pl.String, **dict.fromkeys(numbers, pl.Float64)})
    party = chosen["party"][0]
    rows = [
        chosen.select(pl.lit("This Space").alias("compared"), "space_id", *numbers),
        spaces.filter(pl.col("party") == party)
        .select(pl.lit(f"Median {party} Space").alias("compared"), pl.lit(None, pl.String).alias("space_id"), *numbers)
        .select(pl.col("compared", "space_id").first(), pl.col(numbers).median()),
        spaces.sort("total_listeners", "started_at", descending=[True, False], nulls_last=True)
        .head(1)
        .select(pl.lit("All-time record").alias("compared"), "space_id", *numbers),
    ]
    return pl.concat([r.with_columns(pl.col(numbers).cast(pl.Float64)) for r in rows]).select(SPACE_BENCHMARK)


def vs_typical_pct(value: float | None, typical: float | None) -> float | None:
    """How far `value` is above (+) or below (-) a typical value, in per cent; None without both."""
    return None if value is None or not typical else (value - typical) / typical * 100


def usual_multiple(overperforming: float | None, party: str) -> str:
    """'2.3× PTI's usual'; '–' without a multiple (fewer than 4 earlier Spaces, or no total)."""
    if overperforming is None:
        return "–"
    return f"{overperforming:.1f}× {party}'s usual"


def space_labels(spaces: pl.DataFrame, tz: str) -> dict[str, str]:
    """A label per Space for pickers, in the order given: party · host · local date · total listeners."""
    local = spaces.select("space_id", "party", "host", pl.col("started_at").dt.convert_time_zone(tz), "total_listeners")
    return {
        space: f"{party} · {host} · {at:%-d %b %Y} · " + ("–" if total is None else f"{total:,}") + " listeners"
        for space, party, host, at, total in local.iter_rows()
    }


def space_audience(samples: pl.DataFrame, space_id: str) -> pl.DataFrame:
    """The sampled audience of one Space over time, in time order (empty when it has no samples)."""
    return samples.filter(pl.col("space_id") == space_id).sort("at").select("space_id", "at", "participants")


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


def with_campaign(frame: pl.DataFrame, groups: pl.DataFrame) -> pl.DataFrame:
    """Each row's campaign: its hashtag's entry in `hashtag_groups`, else the hashtag itself."""
    # A groups file with two spellings of one hashtag is rejected on load; a frame built otherwise keeps
    # the first, so a hashtag never counts twice.
    # Matched as hashtags compare (case and '#' aside), so the groups file may spell a hashtag its own way.
    key = normalise_hashtag(pl.col("hashtag")).alias("__key")
    mapping = groups.select(key, "campaign").unique("__key", keep="first", maintain_order=True)
    return (
        frame.with_columns(key)
        .join(mapping, on="__key", how="left", maintain_order="left")
        .drop("__key")
        .with_columns(pl.col("campaign").fill_null(pl.col("hashtag")))
    )


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
    return (
        daily.sort(*keys, "date")
        .with_columns(trailing.over(keys).alias("trailing_mean"))
        .with_columns(
            pl.when(pl.col("trailing_mean") > 0).then(pl.col("tweets") / pl.col("trailing_mean")).alias("spike_ratio"),
            ((pl.col("tweets") >= SPIKE_MIN_TWEETS) & (pl.col("tweets") > SPIKE_FACTOR * pl.col("trailing_mean")))
            .fill_null(False)
            .alias("is_spike"),
        )
    )


def party_hourly(counts: pl.DataFrame, filters: Filters, tz: str) -> pl.DataFrame:
    """Tweets per party and hour of the date range (every hour from the first to the last; none is 0)."""
    chosen = counts.filter(in_dates(local_date(pl.col("period_start"), tz), filters) & in_parties(filters))
    return fill_hours(chosen.group_by("party", "period_start").agg(pl.col("tweets").sum()), ["party"])


def fill_hours(hourly: pl.DataFrame, keys: list[str]) -> pl.DataFrame:
    """One row per key and hour from the earliest to the latest hour of `hourly`, missing hours as 0 tweets."""
    if hourly.is_empty():
        return hourly.select(*keys, "period_start", "tweets")
    first, last = hourly["period_start"].min(), hourly["period_start"].max()
    check_grid(hourly.select(keys).n_unique(), (last - first) // timedelta(hours=1) + 1, "hour")
    hours = pl.datetime_range(first, last, "1h", eager=True)
    grid = hourly.select(keys).unique().join(pl.DataFrame({"period_start": hours}), how="cross")
    return (
        grid.join(hourly, on=[*keys, "period_start"], how="left")
        .with_columns(pl.col("tweets").fill_null(0))
        .sort(*keys, "period_start")
    )


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
    if filters.hashtags is not None:
        counts = counts.filter(pl.col("hashtag").is_in(list(filters.hashtags)))
    recent = counts.filter(in_parties(filters))
    days = daily_counts(counts, tz)
    # As in hashtag_daily.csv: the series of the date range, then the party filter.
    daily = hashtag_series(days.filter(in_dates(pl.col("date"), filters))).filter(in_parties(filters))
    # Spike days look back before the range, so they come from the whole history.
    history = hashtag_series(days).filter(in_parties(filters))
    hourly = counts.filter(in_dates(local_date(pl.col("period_start"), tz), filters) & in_parties(filters))
    if by == "campaign":
        daily, history = campaign_daily(daily, data.hashtag_groups), campaign_daily(history, data.hashtag_groups)
        hourly = with_campaign(hourly, data.hashtag_groups)
        recent = with_campaign(recent, data.hashtag_groups)
    keys = [by, "party"]
    spikes = spike_days(history, by).select(*keys, "date", "trailing_mean", "spike_ratio", "is_spike")
    daily = with_coverage(daily.join(spikes, on=[*keys, "date"], how="left").sort(*keys, "date"), tz, span)
    hourly = fill_hours(hourly.group_by(*keys, "period_start").agg(pl.col("tweets").sum()), keys)
    summary = series_summary(daily, hourly, by, window_totals(recent, end, keys))
    return HashtagTables(by, daily, hourly, summary, span)


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


# ---- Pages: Rallies -----------------------------------------------------------------------------------------------


def rallies_in(rallies: pl.DataFrame, filters: Filters, tz: str) -> pl.DataFrame:
    """Rallies as they now stand whose current date is in range, of the selected parties."""
    return current_rallies(rallies).filter(in_dates(local_date(pl.col("starts_at"), tz), filters) & in_parties(filters))


def rally_history(rallies: pl.DataFrame, rally_ids: pl.Series | None = None) -> pl.DataFrame:
    """Every announcement of each rally in order: the date it set, how far it moved it, and its lead time."""
    days = 86_400e6
    if rally_ids is not None:
        rallies = rallies.filter(pl.col("rally_id").is_in(rally_ids.implode()))
    return (
        rallies.sort("rally_id", "announced_at")
        .with_columns(
            pl.int_range(1, pl.len() + 1, dtype=pl.Int64).over("rally_id").alias("announcement"),
            (pl.col("announced_at") == pl.col("announced_at").max().over("rally_id")).alias("is_current"),
            pl.col("starts_at").shift(1).over("rally_id").alias("previous_starts_at"),
        )
        .with_columns(
            ((pl.col("starts_at") - pl.col("previous_starts_at")).dt.total_microseconds() / days).alias("moved_days"),
            ((pl.col("starts_at") - pl.col("announced_at")).dt.total_microseconds() / days).alias("lead_days"),
        )
        .select(
            "rally_id",
            "party",
            "city",
            "announcement",
            "announced_at",
            "starts_at",
            "previous_starts_at",
            "moved_days",
            "lead_days",
            "is_current",
        )
    )


@dataclass(frozen=True)
class RallyHeadline:
    """The Rallies page's headline figures for the rallies shown."""

    rallies: int
    reported_crowds: int  # sum of reported attendance
    without_figure: int  # rallies with no reported attendance
    rescheduled: int  # rallies whose date moved after it was first announced
    median_lift: float | None  # of the rallies held (not their announcements)


def rally_headline(rallies: pl.DataFrame, history: pl.DataFrame, lift: pl.DataFrame) -> RallyHeadline:
    """Headline figures from current rallies, their history (rally_history) and lift rows (rally_lift)."""
    return RallyHeadline(
        rallies=rallies.height,
        reported_crowds=rallies["reported_attendance"].sum(),
        without_figure=rallies["reported_attendance"].null_count(),
        rescheduled=history.filter(pl.col("moved_days") != 0)["rally_id"].n_unique(),
        median_lift=lift.filter(pl.col("event_type") == "rally")["lift"].median(),
    )


def largest_crowds(rallies: pl.DataFrame) -> pl.DataFrame:
    """Rallies by reported attendance, largest first (rallies without a figure last)."""
    return rallies.select("party", "city", "starts_at", "reported_attendance").sort(
        "reported_attendance", "starts_at", descending=[True, False], nulls_last=True
    )


def rally_lift(events_frame: pl.DataFrame, rallies: pl.DataFrame) -> pl.DataFrame:
    """The event-lift rows of rallies and their announcements, with the rally's city."""
    cities = current_rallies(rallies).select(pl.col("rally_id").alias("event_id"), "city")
    return (
        events_frame.filter(pl.col("event_type").is_in(["rally", "rally_announcement"]))
        .join(cities, on="event_id", how="left")
        .select("event_type", "event_id", "party", "city", "at", "baseline", "after_24h", "lift")
        .sort("at", "event_type", "event_id")
    )


# ---- Pages: Compare -----------------------------------------------------------------------------------------------

HEAD_TO_HEAD = (
    ("tweets_7d", "Tweets, last 7 days (to as of)"),
    ("tweets_prev_7d", "Tweets, the 7 days before"),
    ("growth_7d_pct", "7-day growth (%)"),
    ("tweets", "Tweets, selected range"),
    ("share_of_voice_pct", "Share of voice, selected range (%)"),
    ("spaces_reach", "Spaces reach, selected range (listeners)"),
    ("rallies", "Rallies, selected range"),
    ("spaces", "Spaces"),
    ("best_space_reach", "Best Space (listeners)"),
)


def head_to_head(summary: pl.DataFrame, parties: list[str]) -> pl.DataFrame:
    """Measures as rows, the chosen parties as columns (in the order given), and who leads on each."""
    chosen = summary.filter(pl.col("party").is_in(parties))
    columns = [c for c, _ in HEAD_TO_HEAD]
    long = chosen.select("party", *[pl.col(c).cast(pl.Float64) for c in columns]).unpivot(
        index="party", variable_name="measure"
    )
    leader = (
        long.filter(pl.col("value").is_not_null())
        .sort("value", "party", descending=[True, False])
        .group_by("measure", maintain_order=True)
        .agg(pl.col("party").first().alias("leader"))
    )
    wide = long.pivot("party", index="measure", values="value")
    order = pl.DataFrame({"measure": columns, "label": [label for _, label in HEAD_TO_HEAD]}).with_row_index("__order")
    present = [p for p in parties if p in wide.columns]
    return (
        order.join(wide, on="measure", how="left")
        .join(leader, on="measure", how="left")
        .sort("__order")
        .select(pl.col("label").alias("measure"), *present, "leader")
    )


def event_key() -> pl.Expr:
    """A unique, URL-safe name for an event row (a rally has one row per announcement)."""
    return pl.format("{}:{}:{}", pl.col("event_type"), pl.col("event_id"), pl.col("at").dt.strftime("%Y%m%dT%H%M"))


EVENT_KINDS = {"space": "Space", "rally": "rally", "rally_announcement": "rally announced"}  # in labels


def describe_events(events_frame: pl.DataFrame, spaces: pl.DataFrame, rallies: pl.DataFrame, tz: str) -> pl.DataFrame:
    """Events with a key and a readable label: '21 Apr 20:00 · PTI rally · Lahore'."""
    spaces_named = spaces.select(pl.col("space_id").alias("event_id"), pl.col("host").alias("what"))
    rallies_named = current_rallies(rallies).select(pl.col("rally_id").alias("event_id"), pl.col("city").alias("what"))
    kind = pl.col("event_type").replace_strict(EVENT_KINDS, default=pl.col("event_type"))
    named = pl.concat([spaces_named, rallies_named]).unique("event_id", keep="first", maintain_order=True)
    return (
        events_frame.join(named, on="event_id", how="left")
        .with_columns(
            event_key().alias("event"),
            pl.format(
                "{} · {} {} · {}",
                pl.col("at").dt.convert_time_zone(tz).dt.strftime("%-d %b %H:%M"),
                "party",
                kind,
                pl.col("what").fill_null(pl.col("event_id")),
            ).alias("label"),
        )
        .drop("what")
        .sort("at", "event_type", "event_id")
    )


def event_windows(
    chosen: pl.DataFrame, counts: pl.DataFrame, before_days: int = 7, after_days: int = 3, resolution: str = "hour"
) -> pl.DataFrame:
    """Each chosen event's party tweets from `before_days` before to `after_days` after it, aligned at t = 0.

    `chosen` has event, label, party and at. `offset` counts whole hours (or days, resolution="day") from the
    event: hour 0 is the event's first hour, day -1 the 24 hours before it. Hours without tweets are 0.
    """
    step = 1 if resolution == "hour" else 24
    first, last = -before_days * 24, after_days * 24
    party_hours = counts.group_by("party", "period_start").agg(pl.col("tweets").sum())
    hour = (pl.col("period_start") - pl.col("at")).dt.total_microseconds() // 3_600_000_000
    observed = (
        chosen.select("event", "party", "at")
        .join(party_hours, on="party", how="inner")
        .with_columns(hour.alias("hour"))
        .filter(pl.col("hour").is_between(first, last, closed="left"))
        .group_by("event", (pl.col("hour") // step).alias("offset"))
        .agg(pl.col("tweets").sum())
    )
    offsets = pl.DataFrame({"offset": pl.int_range(first // step, last // step, dtype=pl.Int64, eager=True)})
    grid = chosen.select("event", "label", "party").join(offsets, how="cross")
    return (
        grid.join(observed, on=["event", "offset"], how="left")
        .with_columns(pl.col("tweets").fill_null(0))
        .sort("event", "offset")
    )


def window_summary(windows: pl.DataFrame, lift: pl.DataFrame) -> pl.DataFrame:
    """Per chosen event: its lift row, its party's tweets before and after it in the window, and the peak."""
    sums = (
        windows.sort("tweets", "offset", descending=[True, False])
        .group_by("event", maintain_order=True)
        .agg(
            pl.col("tweets").filter(pl.col("offset") < 0).sum().alias("window_before"),
            pl.col("tweets").filter(pl.col("offset") >= 0).sum().alias("window_after"),
            pl.col("offset").first().alias("peak_offset"),
            pl.col("tweets").first().alias("peak_tweets"),
        )
    )
    return (
        lift.join(sums, on="event", how="inner")
        .select(
            "label",
            "event_type",
            "party",
            "at",
            "baseline",
            "after_24h",
            "lift",
            "window_before",
            "window_after",
            "peak_offset",
            "peak_tweets",
            "event",  # the machine key (as in links) last: the label says the same for a reader
        )
        .sort("at", "event")
    )


def headline_events(described: pl.DataFrame, spaces: pl.DataFrame, rallies: pl.DataFrame, count: int = 2) -> list[str]:
    """The events to compare first: the largest Space and the best-attended rally, then the biggest 24 h after."""
    space = spaces.sort("total_listeners", descending=True, nulls_last=True)["space_id"].head(1)
    rally = rallies.sort("reported_attendance", descending=True, nulls_last=True)["rally_id"].head(1)
    headline = described.filter(
        ((pl.col("event_type") == "space") & pl.col("event_id").is_in(space.implode()))
        | ((pl.col("event_type") == "rally") & pl.col("event_id").is_in(rally.implode()))
    ).sort("at")
    rest = (
        described.filter(pl.col("event_type") != "rally_announcement")
        .join(headline, on="event", how="anti")
        .sort("after_24h", "at", descending=[True, False], nulls_last=True)
    )
    return pl.concat([headline.select("event"), rest.select("event")]).head(count)["event"].to_list()


def unique_authors_daily(authors: pl.DataFrame, filters: Filters) -> pl.DataFrame:
    """Unique authors per hashtag, party and local day under the filters (raw tweets with author ids only)."""
    keep = in_dates(pl.col("date"), filters) & in_parties(filters)
    if filters.hashtags is not None:
        keep &= pl.col("hashtag").is_in(list(filters.hashtags))
    return authors.filter(keep).sort("hashtag", "party", "date")
