"""How close to the read floor can the raw-tweets pipeline get? Its two unavoidable aggregations, timed alone.

    .venv/bin/python bench/bound.py [--sizes 7M 20M] [--runs 5] [--out bench/out]

Issue 6 asks for the whole pipeline within 2x the time polars takes to read the columns it needs. Whatever
the implementation, the pipeline must at least read those columns, count the tweets of every (hour, party,
hashtag) and count the distinct authors of every (day, party, hashtag). This script times each of the
three alone, in one process on the same file, with the aggregations given ready-made integer keys (the
cheapest form there is: no text, no time zone, no author-id parsing, all of it built before the clock
starts). Their sum is a lower bound for any polars pipeline; pulse's whole pipeline
(pulse.data.load.load_data_dir + pulse.metrics.summary.compute_tables) is timed in the same process. The last two rows
ask the same without unique authors: the read of the three other columns, and the hourly count. Medians of `--runs` runs
after one warm-up. Data: the benchmark's generated directories (bench/out/data-<rows>).
"""

import argparse
import statistics
import sys
import time
from pathlib import Path

import polars as pl

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.run import FLOOR_COLUMNS, ensure_data, rows_of  # noqa: E402
from pulse.data.contract import normalise_hashtag  # noqa: E402
from pulse.data.load import load_data_dir  # noqa: E402
from pulse.metrics.filters import Filters  # noqa: E402
from pulse.metrics.summary import compute_tables  # noqa: E402

US_PER_HOUR, US_PER_DAY = 3_600_000_000, 86_400_000_000


def median_seconds(action, runs: int) -> float:
    action()  # warm-up: first-call costs are not what this bound is about
    seconds = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        seconds.append(time.perf_counter() - start)
    return statistics.median(seconds)


def ready_keys(columns: pl.DataFrame) -> pl.DataFrame:
    """Packed integer keys per (UTC hour, party, hashtag) and per (UTC day, party, hashtag), authors as integers.

    Hashtags are normalised as the contract says first, so there are as many groups as in pulse's tables.
    """
    codes = columns.select(
        (pl.col("created_at").dt.epoch("us") // US_PER_HOUR).alias("hour"),
        pl.col("party").str.strip_chars().cast(pl.Categorical).to_physical().cast(pl.Int64).alias("party"),
        normalise_hashtag(pl.col("hashtag")).cast(pl.Categorical).to_physical().cast(pl.Int64).alias("hashtag"),
        pl.col("author_id").str.to_integer(strict=False).alias("author"),
    )
    n_party, n_tag = codes["party"].max() + 1, codes["hashtag"].max() + 1
    pair = pl.col("party") * n_tag + pl.col("hashtag")
    hour = pl.col("hour") - pl.col("hour").min()
    return codes.select(
        (hour * n_party * n_tag + pair).alias("hour_key"),
        (hour // 24 * n_party * n_tag + pair).alias("day_key"),
        "author",
    )


def steps(data: Path, runs: int, tz: str) -> list[tuple[str, float, float]]:
    """(step, median seconds, the read it is compared with) for one data directory."""
    path = data / "hashtags.parquet"
    keys = ready_keys(pl.read_parquet(path, columns=FLOOR_COLUMNS))
    read = median_seconds(lambda: pl.read_parquet(path, columns=FLOOR_COLUMNS), runs)
    read_counts = median_seconds(lambda: pl.read_parquet(path, columns=FLOOR_COLUMNS[:3]), runs)
    # Lazy, as pulse runs them: polars then aggregates with its streaming engine, about twice as fast here.
    hourly = median_seconds(keys.lazy().group_by("hour_key").agg(pl.len()).collect, runs)
    distinct = keys.lazy().filter(pl.col("author").is_not_null()).group_by("day_key")
    authors = median_seconds(distinct.agg(pl.col("author").unique().len()).collect, runs)
    pipeline = median_seconds(lambda: compute_tables(load_data_dir(data, tz), Filters()), runs)
    return [
        ("read created_at, party, hashtag, author_id (the floor)", read, read),
        ("count tweets per hour key (ready Int64 keys)", hourly, read),
        ("count distinct authors per day key (ready Int64 keys)", authors, read),
        ("**lower bound**: the three added up", read + hourly + authors, read),
        ("pulse's whole pipeline", pipeline, read),
        ("without unique authors: read created_at, party, hashtag", read_counts, read_counts),
        ("**lower bound without unique authors**: that read and the hourly count", read_counts + hourly, read_counts),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", nargs="+", default=["7M", "20M"])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--tz", default="Asia/Karachi")
    parser.add_argument("--seed", type=int, default=20220420)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out")
    args = parser.parse_args()
    print("| rows | step | median s | ÷ its read |\n|---|---|---|---|")
    for rows in (rows_of(s) for s in args.sizes):
        measured = steps(ensure_data(args.out, rows, args.seed), args.runs, args.tz)
        for step, seconds, read in measured:
            print(f"| {rows:,} | {step} | {seconds:.3f} | {seconds / read:.1f}× |", flush=True)


if __name__ == "__main__":
    main()
