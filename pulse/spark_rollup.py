"""The rollup as a PySpark job: the polars engine's tables, for archives that one machine cannot hold.

    python -m pulse rollup --engine spark [--master local[*]] --raw PATH --out DIR [--tz TZ]
    spark-submit --master yarn pulse/spark_rollup.py --raw PATH --out DIR [--tz TZ]

Both keep DIR's manifest and rerun incrementally as the polars engine does (pulse.rollup plans, checks the
files and writes; Spark aggregates). Spark runs with its session time zone in UTC, and every local hour and
day is computed from the local wall-clock time explicitly; authors are counted exactly (count_distinct).
Planning and writing happen on the driver, which must see PATH and DIR as local paths.
"""

import argparse
import sys
from datetime import date
from pathlib import Path

if __package__ in (None, ""):  # run as a script (spark-submit): make the pulse package importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import polars as pl
from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F

from pulse.config import DEFAULT_TZ, checked_time_zone
from pulse.errors import PulseError
from pulse.rollup import (
    AUTHOR_DAYS_ORDER,
    COUNTS_ORDER,
    RawFile,
    Rolled,
    Window,
    author_days_table,
    authors_table,
    counts_table,
    rollup,
    utc_range,
)

US_PER_HOUR = 3_600_000_000
# Spark spills what does not fit in memory, so the whole change is one job: no batches of days.
BATCH_ROWS = sys.maxsize
CONF = {
    "spark.sql.session.timeZone": "UTC",  # it defaults to the machine's zone
    "spark.sql.parquet.outputTimestampType": "TIMESTAMP_MICROS",  # standard Parquet, not INT96
    "spark.sql.execution.arrow.pyspark.enabled": "true",
    "spark.ui.showConsoleProgress": "false",  # the rollup prints its own progress
}


def session(master: str | None = None, conf: dict[str, str] | None = None) -> SparkSession:
    """The Spark session the rollup runs in: `master` when given (spark-submit sets its own)."""
    builder = SparkSession.builder.appName("campaign-pulse-rollup")
    if master:
        builder = builder.master(master)
    for key, value in {**CONF, **(conf or {})}.items():
        builder = builder.config(key, value)
    return builder.getOrCreate()


def _trimmed(column: Column) -> Column:
    """Text without surrounding white space, as polars' strip_chars (Unicode white space, not only ' ')."""
    return F.regexp_replace(column.cast("string"), r"(?U)^\s+|\s+$", "")


def _created_at(frame: DataFrame) -> Column:
    """created_at as a timestamp: typed in Parquet, ISO 8601 text in CSV (no offset means UTC, the session's zone)."""
    if dict(frame.dtypes)["created_at"] == "string":
        return F.to_timestamp(_trimmed(F.col("created_at")))
    return F.col("created_at").cast("timestamp")


def read(spark: SparkSession, files: list[RawFile]) -> tuple[DataFrame, bool]:
    """Every row of `files` as created_at, party, hashtag, author_id and tweet_id (null where a file has none), and
    whether some file has an author_id column."""
    frames, authors = [], False
    for suffix in (".parquet", ".csv"):
        paths = [str(f.path) for f in files if f.path.suffix.lower() == suffix]
        if not paths:
            continue
        if suffix == ".parquet":
            frame = spark.read.option("mergeSchema", "true").parquet(*paths)
        else:
            frame = spark.read.option("header", "true").option("encoding", "UTF-8").csv(paths)
        authors |= "author_id" in frame.columns
        author, tweet = (
            F.col(c).cast("string") if c in frame.columns else F.lit(None).cast("string")
            for c in ("author_id", "tweet_id")
        )
        frames.append(
            frame.select(
                _created_at(frame).alias("created_at"),
                F.col("party").cast("string").alias("party"),
                F.col("hashtag").cast("string").alias("hashtag"),
                author.alias("author_id"),
                tweet.alias("tweet_id"),
            )
        )
    union = frames[0]
    for frame in frames[1:]:
        union = union.unionByName(frame)
    return union, authors


def roll(spark: SparkSession, files: list[RawFile], days: list[date], tz: str, window: Window = None) -> Rolled | None:
    """The rollup of local `days` from every row of `files` (of the UTC `window` when given); None when a party or
    hashtag is blank."""
    low, high = window or utc_range(days, tz)
    rows, with_authors = read(spark, files)
    rows = rows.where((F.col("created_at") >= F.lit(low)) & (F.col("created_at") < F.lit(high)))
    wall = F.from_utc_timestamp(F.col("created_at"), tz)  # the local wall-clock time, as a UTC timestamp
    party, hashtag = _trimmed(F.col("party")), _trimmed(F.col("hashtag"))
    keyed = rows.select(
        # The UTC start of the local hour: the time less the minutes and seconds past the local hour.
        F.timestamp_micros(F.unix_micros(F.col("created_at")) - F.pmod(F.unix_micros(wall), F.lit(US_PER_HOUR))).alias(
            "period_start"
        ),
        F.to_date(wall).alias("date"),
        party.alias("party"),
        F.lower(F.regexp_replace(hashtag, "^#+", "")).alias("hashtag"),
        (F.coalesce(party, F.lit("")) == "").alias("__blank_party"),
        (F.coalesce(hashtag, F.lit("")) == "").alias("__blank_tag"),
        _trimmed(F.col("author_id")).alias("author"),
        _trimmed(F.col("tweet_id")).alias("tweet"),
    ).where(F.col("date").isin(days))
    counts = keyed.groupBy(*COUNTS_ORDER).agg(
        F.count(F.lit(1)).alias("tweets"),
        F.max((F.col("__blank_party") | F.col("__blank_tag")).cast("int")).alias("__bad"),
    )
    counts = pl.from_arrow(counts.toArrow())
    if counts["__bad"].max() or 0:
        return None
    if not with_authors:
        return Rolled(counts_table(counts), None, int(counts["tweets"].sum() or 0))
    # A blank author id is no author, as a missing one is (pulse.data.tweets.compact_ids).
    authors = (
        keyed.where(F.col("author") != "")
        .groupBy("date", "party", "hashtag")
        .agg(F.count_distinct("author").alias("authors"))
    )
    authors = pl.from_arrow(authors.toArrow())
    # As pulse.data.tweets.tweet_count: distinct tweet ids, and each row without one; a blank author is none.
    tweet = F.when(F.col("tweet") != "", F.col("tweet"))
    author_days = keyed.groupBy(
        "date", "party", "hashtag", F.when(F.col("author") != "", F.col("author")).alias("author_id")
    ).agg((F.count_distinct(tweet) + F.sum(tweet.isNull().cast("long"))).alias("tweets"))
    author_days = pl.from_arrow(author_days.select(*AUTHOR_DAYS_ORDER, "tweets").toArrow())
    return Rolled(
        counts_table(counts),
        authors_table(authors),
        int(counts["tweets"].sum() or 0),
        author_days_table(author_days),
    )


def spark_engine(master: str | None = None, spark: SparkSession | None = None):
    """An engine for pulse.rollup.rollup that aggregates on Spark (a session on `master`, or the one given)."""
    spark = spark or session(master)
    return lambda files, days, tz, window=None: roll(spark, files, days, tz, window)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Campaign Pulse rollup on Spark (spark-submit entry point).")
    parser.add_argument("--raw", required=True, help="raw-tweets file, directory, hive-partitioned dataset or glob")
    parser.add_argument("--out", type=Path, required=True, help="directory for hashtags.parquet and its manifest")
    parser.add_argument("--tz", default=DEFAULT_TZ, help=f"time zone that cuts the days (default {DEFAULT_TZ})")
    args = parser.parse_args(argv)
    try:
        tz = checked_time_zone(args.tz)
        done = rollup(args.raw, args.out, tz, spark_engine(), lambda text: print(text, file=sys.stderr), BATCH_ROWS)
    except PulseError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"{done.files} raw files, {done.read} read, {done.days} local days recomputed from {done.rows:,} rows")
    return 0


if __name__ == "__main__":
    sys.exit(main())
