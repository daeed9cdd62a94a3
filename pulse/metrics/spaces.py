"""Spaces (X's live audio rooms): each Space's duration, retention, record and its party's usual audience, and
the Spaces page's rankings, benchmarks and labels. See docs/metrics.md.
"""

import polars as pl

from pulse.metrics.audience import party_benchmark as audience_benchmark
from pulse.metrics.audience import with_audience_figures
from pulse.metrics.filters import Filters, in_dates
from pulse.metrics.series import share_pct


def space_metrics(spaces: pl.DataFrame) -> pl.DataFrame:
    """Each Space with duration, retention, listener-minutes and its place in the record progression."""
    measured = with_audience_figures(
        spaces, "space_id", "total_listeners", "avg_listeners", "listener_minutes", "benchmark_listeners"
    )
    return measured.with_columns(
        share_pct(pl.col("avg_listeners"), pl.col("total_listeners")).alias("retention_pct")
    ).select(
        *spaces.columns, "duration_min", "retention_pct", pl.exclude(*spaces.columns, "duration_min", "retention_pct")
    )


def party_benchmark(spaces: pl.DataFrame) -> pl.DataFrame:
    """Per Space, its party's usual audience before it (space_id, benchmark_listeners): pulse.metrics.audience."""
    return audience_benchmark(spaces, "space_id", "total_listeners", "benchmark_listeners")


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
