"""What a live audience is measured by on every platform (a Space's listeners, a stream's viewers): its duration,
audience-minutes, place in the record progression and its party's usual audience. Each function takes the names
of the columns it measures, so Spaces and streams share one definition. See docs/metrics.md.
"""

import polars as pl

BENCHMARK_SPACES = 20  # the party's most recent earlier rows (Spaces, streams) a benchmark looks at
BENCHMARK_MIN_SPACES = 4  # fewer known earlier rows than this: no benchmark


def with_audience_figures(
    frame: pl.DataFrame, key: str, figure: str, average: str, minutes: str, benchmark: str
) -> pl.DataFrame:
    """`frame` (key, party, started_at, ended_at, figure, average) with duration_min, `minutes` (average × duration),
    record_multiple and is_record (of `figure` against every earlier row), `benchmark` (party_benchmark) and
    overperforming (`figure` ÷ `benchmark`)."""
    # The record a row is measured against is the largest figure of rows that started strictly earlier,
    # so rows starting at the same moment are compared with what came before them, not each other.
    earlier_best = (
        frame.filter(pl.col("started_at").is_not_null())
        .group_by("started_at")
        .agg(pl.col(figure).max().alias("best_at_start"))
        .sort("started_at")
        .select(
            "started_at",
            pl.col("best_at_start").cum_max().forward_fill().shift(1).alias("earlier_best"),
        )
    )
    duration = (pl.col("ended_at") - pl.col("started_at")).dt.total_microseconds() / 60e6
    return (
        frame.join(earlier_best, on="started_at", how="left", maintain_order="left")
        .with_columns(duration.alias("duration_min"))
        .with_columns(
            (pl.col(average) * pl.col("duration_min")).alias(minutes),
            pl.when(pl.col("earlier_best") > 0).then(pl.col(figure) / pl.col("earlier_best")).alias("record_multiple"),
            pl.when(pl.col(figure).is_null() | pl.col("started_at").is_null())
            .then(None)
            .otherwise(pl.col("earlier_best").is_null() | (pl.col(figure) > pl.col("earlier_best")))
            .alias("is_record"),
        )
        .drop("earlier_best")
        .join(party_benchmark(frame, key, figure, benchmark), on=key, how="left", maintain_order="left")
        .with_columns(pl.when(pl.col(benchmark) > 0).then(pl.col(figure) / pl.col(benchmark)).alias("overperforming"))
        .sort("started_at", key, nulls_last=True)
    )


def party_benchmark(frame: pl.DataFrame, key: str, figure: str, name: str) -> pl.DataFrame:
    """Per row, its party's usual audience before it (key, `name`).

    The trimmed mean of `figure` over the party's at most BENCHMARK_SPACES most recent rows that started strictly
    earlier and have a known figure, dropping the lowest and highest floor(n/4); empty below BENCHMARK_MIN_SPACES.
    Each row looks at no more than BENCHMARK_SPACES rows, so the cost is linear.
    """
    started = frame.filter(pl.col("started_at").is_not_null())
    known = (
        started.filter(pl.col(figure).is_not_null())
        .sort("party", "started_at", key)
        .select("party", pl.int_range(pl.len()).over("party").alias("__pos"), figure)
    )
    # How many known rows of the party started strictly before each moment (ties share the moment).
    known_before = (
        started.filter(pl.col(figure).is_not_null())
        .group_by("party", "started_at")
        .agg(pl.len().alias("__at"))
        .sort("started_at")
        .with_columns(pl.col("__at").cum_sum().over("party").alias("__upto"))
        .select("party", "started_at", "__upto")
    )
    earlier = (
        started.select(key, "party", "started_at")
        .sort("started_at")
        .join_asof(known_before, on="started_at", by="party", allow_exact_matches=False, check_sortedness=False)
        .select(key, "party", pl.col("__upto").fill_null(0).cast(pl.Int64).alias("__n"))
    )
    window = (
        earlier.filter(pl.col("__n") >= BENCHMARK_MIN_SPACES)
        .with_columns(
            pl.int_ranges(pl.max_horizontal(pl.col("__n") - BENCHMARK_SPACES, 0), pl.col("__n")).alias("__pos")
        )
        .explode("__pos")
        .join(known, on=["party", "__pos"], how="inner")
    )
    rank = pl.col(figure).rank("ordinal").over(key)
    trim = (pl.len().over(key) // 4).cast(pl.UInt32)
    usual = (
        window.filter((rank > trim) & (rank <= pl.len().over(key) - trim))
        .group_by(key)
        .agg(pl.col(figure).mean().cast(pl.Float64).alias(name))
    )
    return frame.select(key).join(usual, on=key, how="left", maintain_order="left")
