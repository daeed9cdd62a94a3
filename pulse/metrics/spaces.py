"""Spaces (X's live audio rooms): each Space's duration, retention, record and its party's usual audience, and
the Spaces page's rankings, benchmarks and labels. See docs/metrics.md.
"""

import polars as pl

from pulse.metrics.filters import Filters, in_dates
from pulse.metrics.series import share_pct


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
        .filter(in_dates(pl.col("started_at"), filters, tz))
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
