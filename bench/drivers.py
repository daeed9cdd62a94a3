"""Who drives a hashtag at scale: reading raw tweets with authors, and the drivers tables, on generated data.

    nice -n 10 .venv/bin/python bench/drivers.py [--rows 7M] [--out bench/out]

Uses the seeded directory of bench/run.py (raw tweets as Parquet, with tweet_id and author_id, no text).
The reference, in the same run, is what every page already pays once per data version: load_hashtags,
the raw tweets aggregated into hourly counts. The drivers tables are then timed for the whole season and
for one week, by hashtag and by campaign, and once more with a synthetic text on every tweet (200,000
distinct texts, a quarter of them pasted within seconds) so that the copy-paste burst search runs at full
size. The raw tweets are then rolled up (pulse.rollup, polars engine, into OUT/rollup-ROWS) and the drivers
tables computed per hashtag from the rollup's hashtag_author_days instead (pulse.metrics.drivers.author_day_tables), for
the same ranges; and from the raw rows' own day counts (pulse.metrics.drivers.raw_author_days: what the export and
the page compute once per load when there is no rollup). Peak memory is the process's maximum resident set.
Prints a Markdown table.
"""

import argparse
import resource
import shutil
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import polars as pl  # noqa: E402

from bench.run import ensure_data, rows_of  # noqa: E402
from pulse.data.load import load_author_days, load_hashtags, load_raw_tweets  # noqa: E402
from pulse.data.store import Store  # noqa: E402
from pulse.metrics.drivers import (  # noqa: E402
    author_day_tables,
    author_totals,
    copy_bursts,
    driver_tables,
    keyed_days,
    raw_author_days,
    view_driver_tables,
)
from pulse.metrics.filters import Filters  # noqa: E402
from pulse.rollup import rollup  # noqa: E402

TZ = "Asia/Karachi"
GROUPS = pl.DataFrame(schema={"hashtag": pl.String, "campaign": pl.String})


def peak_gib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", default="7M")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out")
    parser.add_argument("--seed", type=int, default=20220420)
    args = parser.parse_args()
    data = ensure_data(args.out, rows_of(args.rows), args.seed)
    results: list[tuple[str, float, int, float]] = []

    def timed(label: str, action, size=lambda result: 0):
        start = time.perf_counter()
        result = action()
        results.append((label, time.perf_counter() - start, size(result), peak_gib()))
        print(f"{label}: {results[-1][1]:.2f} s", flush=True)
        return result

    store = Store(data)
    week = Filters(date(2022, 4, 10), date(2022, 4, 16))
    timed("reference: load_hashtags (hourly counts, every page)", lambda: load_hashtags(store.path("hashtags"), TZ))
    rolled = args.out / f"rollup-{data.name}"
    shutil.rmtree(rolled, ignore_errors=True)  # a full rollup, not a no-op rerun
    timed(
        "rollup of the raw tweets (once; a rerun reads new days only)",
        lambda: rollup(str(store.path("hashtags")), rolled, TZ),
        lambda r: r.rows,
    )
    days = timed(
        "read hashtag_author_days (once per data version)",
        lambda: keyed_days(load_author_days(Store(rolled))),  # as the page keeps it
        lambda d: d.height,
    )
    timed(
        "drivers from hashtag_author_days, whole season, by hashtag",
        lambda: author_day_tables(days, GROUPS, Filters()),
        lambda t: t.drivers.height,
    )
    timed(
        "drivers from hashtag_author_days, one week, by hashtag",
        lambda: author_day_tables(days, GROUPS, week),
        lambda t: t.drivers.height,
    )
    totals = timed(
        "each author's totals over hashtag_author_days (author_totals, once per data version)",
        lambda: author_totals(days),
        lambda t: t.height,
    )
    timed(
        "drivers from those totals, whole season, by hashtag (a filter change on the page)",
        lambda: author_day_tables(days, GROUPS, Filters(), totals),
        lambda t: t.drivers.height,
    )

    raw = timed("load_raw_tweets (read once per data version)", lambda: load_raw_tweets(store), lambda r: r.rows.height)
    rows = raw.rows
    raw_rows = rows.height
    raw_days = timed(
        "the raw rows' day counts per author (raw_author_days, once per data version)",
        lambda: raw_author_days(rows, TZ),
        lambda d: 0 if d is None else d.height,
    )
    for label, filters in (("whole season", Filters()), ("one week", week)):
        timed(
            f"drivers from the raw rows' day counts, {label}, by hashtag (a filter change on the page)",
            lambda filters=filters: view_driver_tables(rows, None, GROUPS, filters, TZ, raw_days=raw_days),
            lambda t: t.drivers.height,
        )
    raw_totals = timed(
        "each author's totals over the raw rows' day counts (author_totals, once per data version)",
        lambda: author_totals(raw_days),
        lambda t: t.height,
    )
    timed(
        "drivers from those totals, whole season, by hashtag (a filter change on the page)",
        lambda: view_driver_tables(rows, None, GROUPS, Filters(), TZ, raw_days=raw_days, totals=raw_totals),
        lambda t: t.drivers.height,
    )
    timed(
        "drivers grouping the raw rows, whole season, by hashtag",
        lambda: driver_tables(rows, GROUPS, Filters(), TZ),
        lambda t: t.drivers.height,
    )
    timed(
        "drivers grouping the raw rows, one week",
        lambda: driver_tables(rows, GROUPS, week, TZ),
        lambda t: t.drivers.height,
    )
    timed(
        "drivers, whole season, by campaign",
        lambda: driver_tables(rows, GROUPS, Filters(), TZ, "campaign"),
        lambda t: t.drivers.height,
    )
    # A text on every tweet: 200,000 texts; every fourth tweet's text is one of 2,000 pasted at one moment.
    index = pl.int_range(pl.len(), dtype=pl.Int64)
    pasted = pl.format("Paste number {} @someone https://t.co/x", index % 2_000)
    organic = pl.format("Organic text {} of its author", index.hash(7) % 200_000)
    texted = rows.with_columns(pl.when(index % 4 == 0).then(pasted).otherwise(organic).alias("text"))
    timed("bursts only, whole season, texts on all", lambda: copy_bursts(texted, 5), lambda b: b[0].height)
    timed(
        "drivers + bursts, one week, texts on all",
        lambda: driver_tables(texted, GROUPS, week, TZ),
        lambda t: t.bursts.height,
    )
    reference = results[0][1]
    print(f"\n{raw_rows:,} raw rows ({data}), {pl.thread_pool_size()} threads\n")
    print("| step | seconds | × reference | result rows | peak RSS so far (GiB) |")
    print("|---|---:|---:|---:|---:|")
    for label, seconds, size, peak in results:
        print(f"| {label} | {seconds:.2f} | {seconds / reference:.1f} | {size:,} | {peak:.2f} |")


if __name__ == "__main__":
    main()
